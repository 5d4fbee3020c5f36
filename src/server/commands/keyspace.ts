// A tiny keyspace, just enough for client-handling scenarios: db 0 only, strings and lists, lazy
// expiry (db.c, t_string.c, t_list.c); WATCH/UNWATCH (multi.c); blocking pops with their timeouts
// and the unblocked-client queue (blocked.c, timeout.c). Not modelled: other types and databases,
// active expiry, keyspace notifications, replication and client-side-caching side effects.
import { isFiller, type Segment } from '../../base/bytes.ts';
import * as resp from '../../protocol/reply.ts';
import type { Arg } from '../../protocol/request-parser.ts';
import {
  CLIENT_BLOCKED, CLIENT_DIRTY_CAS, CLIENT_MULTI, CLIENT_REPLY_SKIP, CLIENT_REPLY_SKIP_NEXT,
  CLIENT_UNBLOCKED, type Client,
} from '../client.ts';
import { beforeNextClient } from '../lifecycle.ts';
import { processInputBuffer } from '../read.ts';
import { addReply, addReplyError, flushReplyTrace } from '../reply.ts';
import type { Server } from '../server.ts';
import { unblockClientHooks } from './client.ts';
import { execCheckHooks, unwatchHooks } from './multi.ts';
import { registerCommand, type CommandFlags, type CommandProc } from './table.ts';

/**
 * A key or channel name as a map key: its bytes as a latin1 string. Virtual names are spelled out
 * up to 64 KiB; longer ones get a distinct placeholder (never materialised).
 */
export function keyOf(a: Arg): string {
  if (!isFiller(a)) return a.toString('latin1');
  if (a.length <= 65536) return String.fromCharCode(a.byte).repeat(a.length);
  return `\u0000<virtual ${a.length}x${a.byte}>`;
}

type Value = { type: 'string'; value: Arg } | { type: 'list'; items: Arg[] };

interface Entry {
  v: Value;
  /** Absolute unix time in ms after which the key is expired; 0 = no TTL. */
  expireAt: number;
}

/** The clients blocked on one key, in the order they blocked (db->blocking_keys). */
interface BlockingKey {
  key: Arg;
  clients: Set<Client>;
}

interface KeyspaceState {
  db: Map<string, Entry>;
  /** db->watched_keys: for each key, its watchers in WATCH order, with the watchedKey.expired bit. */
  watched: Map<string, Map<Client, { expired: boolean }>>;
  blocking: Map<string, BlockingKey>;
  /** server.ready_keys: keys that received data while clients were blocked on them. */
  readyKeys: Map<string, Arg>;
  /** server.clients_timeout_table, ordered by (deadline, client id); Redis breaks ties by pointer. */
  timeouts: Client[];
  /** server.unblocked_clients: served or timed out, waiting for their buffer to be processed. */
  unblocked: Client[];
  blockedClients: number;
}

const states = new WeakMap<Server, KeyspaceState>();

/**
 * The server's keyspace; created on first use, which also registers its beforeSleep work and its
 * free-client cleanup on that server.
 */
function stateOf(server: Server): KeyspaceState {
  let st = states.get(server);
  if (!st) {
    const s: KeyspaceState = {
      db: new Map(), watched: new Map(), blocking: new Map(), readyKeys: new Map(), timeouts: [],
      unblocked: [], blockedClients: 0,
    };
    st = s;
    states.set(server, s);
    server.beforeSleepHooks.push(() => beforeSleep(server, s));
    server.freeClientHooks.push((c) => forgetClient(s, c));
  }
  return st;
}

/** Figures for INFO: keys in db 0 (and with a TTL), clients blocked on keys, the timeout table. */
export function keyspaceInfo(server: Server): { keys: number; expires: number; blockedClients: number; clientsInTimeoutTable: number } {
  const st = states.get(server);
  if (!st) return { keys: 0, expires: 0, blockedClients: 0, clientsInTimeoutTable: 0 };
  let expires = 0;
  for (const e of st.db.values()) if (e.expireAt) expires++;
  return { keys: st.db.size, expires, blockedClients: st.blockedClients, clientsInTimeoutTable: st.timeouts.length };
}

/** freeClient: leave the blocking tables, the unblocked queue and every WATCH. */
function forgetClient(st: KeyspaceState, c: Client): void {
  if (c.bpop) removeBlocked(st, c);
  if (c.has(CLIENT_UNBLOCKED)) {
    const i = st.unblocked.indexOf(c);
    if (i !== -1) st.unblocked.splice(i, 1);
    c.clear(CLIENT_UNBLOCKED);
  }
  unwatchAllKeys(st, c);
}

// ---------------------------------------------------------------------------------------------
// Number parsing, as Redis's string2ll / string2ld.

const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);
/** LONG_STR_SIZE: strings this long or longer are never integers. */
const LONG_STR_SIZE = 21;

/** string2ll: strict decimal, no sign but '-', no leading zeros or spaces, within 64 bits. */
export function string2ll(a: Arg): bigint | null {
  if (a.length === 0 || a.length >= LONG_STR_SIZE) return null;
  const s = keyOf(a);
  if (s === '0') return 0n;
  if (!/^-?[1-9][0-9]*$/.test(s)) return null;
  const v = BigInt(s);
  return v > LLONG_MAX || v < LLONG_MIN ? null : v;
}

/** string2ld (strtold): decimal or hex floats, inf/infinity; NaN, spaces and trailing junk refused. */
function string2ld(a: Arg): number | null {
  if (a.length === 0 || a.length >= 5 * 1024) return null;
  const s = keyOf(a);
  const m = /^([+-]?)(?:(inf(?:inity)?)|(0x[0-9a-f]*\.?[0-9a-f]*(?:p[+-]?\d+)?)|((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))$/i.exec(s);
  if (!m) return null;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[2]) return sign * Infinity;
  if (m[3]) {
    const hm = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/i.exec(m[3])!;
    if (!hm[1] && !hm[2]) return null;
    const mant = parseInt((hm[1] || '0') + (hm[2] ?? ''), 16) / 16 ** (hm[2]?.length ?? 0);
    return sign * mant * 2 ** Number(hm[3] ?? 0);
  }
  const v = Number(m[4]);
  // strtold reports ERANGE for overflow (and underflow to zero), which string2ld rejects.
  if (!Number.isFinite(v)) return null;
  if (v === 0 && /[1-9]/.test(m[4]!.split(/e/i)[0]!)) return null;
  return sign * v;
}

/** getLongLongFromObjectOrReply with Redis's default message; null after replying the error. */
function getLongLongOrReply(server: Server, c: Client, a: Arg, msg = 'ERR value is not an integer or out of range'): bigint | null {
  const v = string2ll(a);
  if (v === null) addReplyError(server, c, msg);
  return v;
}

/** An option word for case-insensitive comparison (virtual ones never match an option). */
function word(a: Arg): string {
  return isFiller(a) ? '' : a.toString('latin1').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Lookup, expiry, modification signals.

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** keyIsExpired: a TTL strictly in the past of the cached command time. */
function isExpired(server: Server, e: Entry): boolean {
  return e.expireAt !== 0 && server.mstime > e.expireAt;
}

/** lookupKey: lazily deletes an expired key (which touches its watchers). */
function lookupKey(server: Server, st: KeyspaceState, key: string): Entry | undefined {
  const e = st.db.get(key);
  if (!e) return undefined;
  if (isExpired(server, e)) {
    st.db.delete(key);
    touchWatchedKey(st, key);
    return undefined;
  }
  return e;
}

/** lookupKeyRead: also counts keyspace hits and misses. */
function lookupKeyRead(server: Server, st: KeyspaceState, key: string): Entry | undefined {
  const e = lookupKey(server, st, key);
  if (e) server.stats.keyspaceHits++;
  else server.stats.keyspaceMisses++;
  return e;
}

/** signalModifiedKey: WATCHers of the key see their transaction fail. */
function signalModifiedKey(st: KeyspaceState, key: string): void {
  touchWatchedKey(st, key);
}

/** signalKeyAsReady: a list was created under a key some client is blocked on. */
function signalKeyAsReady(st: KeyspaceState, key: string, arg: Arg): void {
  if (st.blocking.has(key) && !st.readyKeys.has(key)) st.readyKeys.set(key, arg);
}

/**
 * After a command that may have made keys ready: Redis serves blocked clients right after call()
 * in processCommand. Inside EXEC that happens after the whole transaction; here it is deferred to
 * beforeSleep instead (other clients' commands of the same event-loop pass may run in between).
 */
function serveIfReady(server: Server, st: KeyspaceState): void {
  if (st.readyKeys.size && !server.inExec) handleClientsBlockedOnKeys(server, st);
}

function setKey(st: KeyspaceState, key: string, v: Value, expireAt: number): void {
  st.db.set(key, { v, expireAt });
  signalModifiedKey(st, key);
}

/** listElementsRemoved: an emptied list is deleted; watchers are touched. */
function listElementsRemoved(st: KeyspaceState, key: string, e: Entry): void {
  if (e.v.type === 'list' && e.v.items.length === 0) st.db.delete(key);
  signalModifiedKey(st, key);
}

// ---------------------------------------------------------------------------------------------
// WATCH (multi.c).

function watchForKey(server: Server, st: KeyspaceState, c: Client, key: string): void {
  if (c.watchedKeys.has(key)) return;
  let m = st.watched.get(key);
  if (!m) st.watched.set(key, (m = new Map()));
  const e = st.db.get(key);
  m.set(c, { expired: e !== undefined && isExpired(server, e) });
  c.watchedKeys.add(key);
}

function unwatchAllKeys(st: KeyspaceState, c: Client): void {
  if (c.watchedKeys.size === 0) return;
  for (const key of c.watchedKeys) {
    const m = st.watched.get(key);
    if (!m) continue;
    m.delete(c);
    if (m.size === 0) st.watched.delete(key);
  }
  c.watchedKeys.clear();
}

/**
 * touchWatchedKey as in 7.0.15, including its `break`: a watcher that WATCHed the key while it
 * was already expired is skipped if the key is gone now, but if the key exists again the loop
 * stops there, so watchers after it in WATCH order are not marked dirty.
 */
function touchWatchedKey(st: KeyspaceState, key: string): void {
  const m = st.watched.get(key);
  if (!m) return;
  for (const [c, wk] of m) {
    if (wk.expired) {
      if (!st.db.has(key)) {
        wk.expired = false;
        continue;
      }
      break;
    }
    c.set(CLIENT_DIRTY_CAS);
    // No point in watching anything more once dirty (Redis unwatches right away).
    unwatchAllKeys(st, c);
  }
}

/** touchAllWatchedKeysInDb for FLUSHALL/FLUSHDB: every watched key that exists. */
function touchAllWatchedKeys(st: KeyspaceState): void {
  for (const [key, m] of [...st.watched]) {
    if (!st.db.has(key)) continue;
    for (const [c, wk] of [...m]) {
      if (wk.expired) {
        wk.expired = false;
        continue;
      }
      c.set(CLIENT_DIRTY_CAS);
    }
  }
}

unwatchHooks.push((server, c) => {
  const st = states.get(server);
  if (st) unwatchAllKeys(st, c);
});

// isWatchedKeyExpired: EXEC fails if a key that was live when WATCHed has expired since.
execCheckHooks.push((server, c) => {
  const st = states.get(server);
  if (!st || c.watchedKeys.size === 0) return;
  for (const key of c.watchedKeys) {
    if (st.watched.get(key)?.get(c)?.expired) continue;
    const e = st.db.get(key);
    if (e && isExpired(server, e)) {
      c.set(CLIENT_DIRTY_CAS);
      return;
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Blocking (blocked.c, timeout.c).

/** mstime(): the clock now, not the cached command time. */
function nowMs(server: Server): number {
  return Math.floor(server.backend.unixTimeUs() / 1000);
}

/**
 * getTimeoutFromObjectOrReply(UNIT_SECONDS): seconds as a long double, ceil(sec*1000) ms, added to
 * mstime() unless 0 (= block forever). Returns the absolute deadline, or null after the error.
 * C converts a non-finite or too large product to LLONG_MIN, hence "timeout is negative" for inf.
 */
function getTimeoutOrReply(server: Server, c: Client, a: Arg): number | null {
  const sec = string2ld(a);
  if (sec === null) {
    addReplyError(server, c, 'ERR timeout is not a float or out of range');
    return null;
  }
  let ms = Math.ceil(sec * 1000);
  if (!Number.isFinite(ms) || Math.abs(ms) >= 2 ** 63) ms = -(2 ** 63);
  if (ms < 0) {
    addReplyError(server, c, 'ERR timeout is negative');
    return null;
  }
  return ms > 0 ? ms + nowMs(server) : 0;
}

function insertTimeout(st: KeyspaceState, c: Client): void {
  const d = c.bpop!.deadlineMs;
  let lo = 0;
  let hi = st.timeouts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const o = st.timeouts[mid]!;
    if (o.bpop!.deadlineMs < d || (o.bpop!.deadlineMs === d && o.id < c.id)) lo = mid + 1;
    else hi = mid;
  }
  st.timeouts.splice(lo, 0, c);
}

/** blockForKeys: the client waits for data on any of `keys` (duplicates ignored). */
function blockForKeys(st: KeyspaceState, c: Client, keys: Arg[], deadlineMs: number, name: string): void {
  const names: string[] = [];
  for (const k of keys) {
    const key = keyOf(k);
    if (names.includes(key)) continue;
    names.push(key);
    let b = st.blocking.get(key);
    if (!b) st.blocking.set(key, (b = { key: k, clients: new Set() }));
    b.clients.add(c);
  }
  c.bpop = { keys: names, deadlineMs, argv: c.argv, name };
  c.set(CLIENT_BLOCKED);
  st.blockedClients++;
  if (deadlineMs) insertTimeout(st, c);
}

/** Leaves the blocking and timeout tables (no reply, no requeue). */
function removeBlocked(st: KeyspaceState, c: Client): void {
  const bpop = c.bpop!;
  for (const key of bpop.keys) {
    const b = st.blocking.get(key);
    if (!b) continue;
    b.clients.delete(c);
    if (b.clients.size === 0) st.blocking.delete(key);
  }
  if (bpop.deadlineMs) {
    const i = st.timeouts.indexOf(c);
    if (i !== -1) st.timeouts.splice(i, 1);
  }
  c.bpop = null;
  c.clear(CLIENT_BLOCKED);
  st.blockedClients--;
}

/**
 * unblockClient for a client blocked on keys (its reply already queued): leave the tables, reset
 * the client as resetClient does after any command (REPLY SKIP bookkeeping), and queue it so that
 * processUnblockedClients runs what accumulated in its query buffer.
 */
function unblockClientOnKeys(server: Server, st: KeyspaceState, c: Client): void {
  removeBlocked(st, c);
  c.clear(CLIENT_REPLY_SKIP);
  if (c.has(CLIENT_REPLY_SKIP_NEXT)) {
    c.set(CLIENT_REPLY_SKIP);
    c.clear(CLIENT_REPLY_SKIP_NEXT);
  }
  if (!c.has(CLIENT_UNBLOCKED)) {
    c.set(CLIENT_UNBLOCKED);
    st.unblocked.push(c);
  }
  flushReplyTrace(server, c);
}

/**
 * For CLIENT UNBLOCK: if `c` is blocked on keys, reply as a timeout (null array) or with
 * `-UNBLOCKED client unblocked via CLIENT UNBLOCK`, unblock it and return true. False for clients
 * not blocked on keys (including clients postponed by CLIENT PAUSE, which are not ours).
 */
export function unblockClient(server: Server, c: Client, mode: 'timeout' | 'error'): boolean {
  const st = states.get(server);
  if (!st || !c.bpop || !c.has(CLIENT_BLOCKED)) return false;
  if (mode === 'error') addReplyError(server, c, 'UNBLOCKED client unblocked via CLIENT UNBLOCK');
  else addReply(server, c, resp.nullArray(c.resp));
  unblockClientOnKeys(server, st, c);
  return true;
}

unblockClientHooks.push(unblockClient);

/** handleBlockedClientsTimeout: clients whose deadline is strictly before now get a null array. */
function handleBlockedClientsTimeout(server: Server, st: KeyspaceState): void {
  if (st.timeouts.length === 0) return;
  const now = nowMs(server);
  while (st.timeouts.length && st.timeouts[0]!.bpop!.deadlineMs < now) {
    const c = st.timeouts[0]!;
    addReply(server, c, resp.nullArray(c.resp));
    unblockClientOnKeys(server, st, c);
  }
}

/**
 * handleClientsBlockedOnKeys: for each ready key still holding a list, serve its blocked clients
 * in the order they blocked, one element each, until the list is empty.
 */
function handleClientsBlockedOnKeys(server: Server, st: KeyspaceState): void {
  while (st.readyKeys.size) {
    const ready = [...st.readyKeys];
    st.readyKeys.clear();
    for (const [key] of ready) {
      const e = lookupKey(server, st, key);
      if (!e || e.v.type !== 'list') continue;
      const b = st.blocking.get(key);
      if (!b) continue;
      const items = e.v.items;
      for (const receiver of b.clients) {
        const fromHead = receiver.bpop!.name === 'blpop';
        const value = fromHead ? items.shift()! : items.pop()!;
        addReply(server, receiver, [resp.arrayHeader(2), ...resp.bulk(b.key), ...resp.bulk(value)]);
        unblockClientOnKeys(server, st, receiver);
        // No signalModifiedKey: the push that made the key ready already touched its watchers.
        if (items.length === 0) {
          st.db.delete(key);
          break;
        }
      }
    }
  }
}

/** processUnblockedClients: each unblocked client runs the commands waiting in its buffer. */
function processUnblockedClients(server: Server, st: KeyspaceState): void {
  while (st.unblocked.length) {
    const c = st.unblocked.shift()!;
    c.clear(CLIENT_UNBLOCKED);
    if (!c.node) continue;
    if (!c.has(CLIENT_BLOCKED)) processInputBuffer(server, c);
    beforeNextClient(server, c);
  }
}

/**
 * The keyspace's part of beforeSleep, in Redis's order: blocked-client timeouts, then the clients
 * unblocked so far run their buffers, then keys made ready outside processCommand (by EXEC here).
 * Keys made ready inside EXEC are served first, as Redis serves them right after EXEC returns.
 */
function beforeSleep(server: Server, st: KeyspaceState): void {
  handleBlockedClientsTimeout(server, st);
  if (st.readyKeys.size) handleClientsBlockedOnKeys(server, st);
  processUnblockedClients(server, st);
  if (st.readyKeys.size) handleClientsBlockedOnKeys(server, st);
}

// ---------------------------------------------------------------------------------------------
// Commands.

const READ: CommandFlags = { keyspace: true };
const WRITE: CommandFlags = { write: true, keyspace: true };

function def(name: string, arity: number, flags: CommandFlags, proc: (server: Server, c: Client, argv: Arg[], st: KeyspaceState) => void): void {
  const p: CommandProc = (server, c, argv) => proc(server, c, argv, stateOf(server));
  registerCommand({ name, arity, flags, proc: p });
}

/** getGenericCommand: the value, null, or WRONGTYPE (false). */
function getGeneric(server: Server, c: Client, st: KeyspaceState, key: Arg): boolean {
  const e = lookupKeyRead(server, st, keyOf(key));
  if (!e) {
    addReply(server, c, resp.nullBulk(c.resp));
    return true;
  }
  if (e.v.type !== 'string') {
    addReplyError(server, c, WRONGTYPE);
    return false;
  }
  addReply(server, c, resp.bulk(e.v.value));
  return true;
}

const SET_NX = 1;
const SET_XX = 2;
const SET_EX = 4;
const SET_PX = 8;
const SET_KEEPTTL = 16;
const SET_GET = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;
const SET_EXPIRE_OPTS = new Map([['ex', SET_EX], ['px', SET_PX], ['exat', SET_EXAT], ['pxat', SET_PXAT]]);

def('set', -3, WRITE, (server, c, argv, st) => {
  // parseExtendedStringArgumentsOrReply: each option at most once, conflicting ones refused.
  let flags = 0;
  let expire: Arg | null = null;
  for (let j = 3; j < argv.length; j++) {
    const opt = word(argv[j]!);
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && !(flags & SET_XX)) flags |= SET_NX;
    else if (opt === 'xx' && !(flags & SET_NX)) flags |= SET_XX;
    else if (opt === 'get') flags |= SET_GET;
    else if (opt === 'keepttl' && !(flags & SET_ANY_EXPIRE)) flags |= SET_KEEPTTL;
    else if (SET_EXPIRE_OPTS.has(opt) && hasNext && !(flags & SET_KEEPTTL) && !(flags & SET_ANY_EXPIRE & ~SET_EXPIRE_OPTS.get(opt)!)) {
      // The same expire option may repeat (the last one wins); a different one is a syntax error.
      flags |= SET_EXPIRE_OPTS.get(opt)!;
      expire = argv[++j]!;
    } else {
      return addReplyError(server, c, 'ERR syntax error');
    }
  }
  // getExpireMillisecondsOrReply.
  let expireAt = 0;
  if (expire) {
    const v = getLongLongOrReply(server, c, expire);
    if (v === null) return;
    const seconds = (flags & (SET_EX | SET_EXAT)) !== 0;
    if (v <= 0n || (seconds && v > LLONG_MAX / 1000n)) return addReplyError(server, c, "ERR invalid expire time in 'set' command");
    let ms = seconds ? v * 1000n : v;
    if (flags & (SET_EX | SET_PX)) ms += BigInt(nowMs(server));
    if (ms <= 0n || ms > LLONG_MAX) return addReplyError(server, c, "ERR invalid expire time in 'set' command");
    expireAt = Number(ms);
  }
  if (flags & SET_GET) {
    if (!getGeneric(server, c, st, argv[1]!)) return;
  }
  const key = keyOf(argv[1]!);
  const found = lookupKey(server, st, key);
  if ((flags & SET_NX && found) || (flags & SET_XX && !found)) {
    if (!(flags & SET_GET)) addReply(server, c, resp.nullBulk(c.resp));
    return;
  }
  if (flags & SET_KEEPTTL && found) expireAt = found.expireAt;
  setKey(st, key, { type: 'string', value: argv[2]! }, expireAt);
  if (!(flags & SET_GET)) addReply(server, c, resp.OK);
});

def('get', 2, READ, (server, c, argv, st) => {
  getGeneric(server, c, st, argv[1]!);
});

def('del', -2, WRITE, (server, c, argv, st) => {
  let n = 0;
  for (let j = 1; j < argv.length; j++) {
    const key = keyOf(argv[j]!);
    lookupKey(server, st, key); // expireIfNeeded
    if (st.db.delete(key)) {
      signalModifiedKey(st, key);
      n++;
    }
  }
  addReply(server, c, resp.integer(n));
});

def('exists', -2, READ, (server, c, argv, st) => {
  let n = 0;
  for (let j = 1; j < argv.length; j++) if (lookupKeyRead(server, st, keyOf(argv[j]!))) n++;
  addReply(server, c, resp.integer(n));
});

def('type', 2, READ, (server, c, argv, st) => {
  const e = lookupKeyRead(server, st, keyOf(argv[1]!));
  addReply(server, c, resp.status(e ? e.v.type : 'none'));
});

def('dbsize', 1, READ, (server, c, _argv, st) => {
  addReply(server, c, resp.integer(st.db.size));
});

for (const name of ['flushall', 'flushdb']) {
  def(name, -1, WRITE, (server, c, argv, st) => {
    if (argv.length > 2 || (argv.length === 2 && word(argv[1]!) !== 'sync' && word(argv[1]!) !== 'async')) {
      return addReplyError(server, c, 'ERR syntax error');
    }
    touchAllWatchedKeys(st);
    st.db.clear();
    addReply(server, c, resp.OK);
  });
}

/** incrDecrCommand: 64-bit signed arithmetic with Redis's overflow error. */
function incrDecr(server: Server, c: Client, st: KeyspaceState, keyArg: Arg, incr: bigint): void {
  const key = keyOf(keyArg);
  const e = lookupKey(server, st, key);
  if (e && e.v.type !== 'string') return addReplyError(server, c, WRONGTYPE);
  let value = 0n;
  if (e) {
    const v = getLongLongOrReply(server, c, (e.v as { value: Arg }).value);
    if (v === null) return;
    value = v;
  }
  const next = value + incr;
  if (next > LLONG_MAX || next < LLONG_MIN) return addReplyError(server, c, 'ERR increment or decrement would overflow');
  setKey(st, key, { type: 'string', value: Buffer.from(String(next), 'latin1') }, e?.expireAt ?? 0);
  addReply(server, c, resp.integer(next));
}

def('incr', 2, WRITE, (server, c, argv, st) => incrDecr(server, c, st, argv[1]!, 1n));
def('decr', 2, WRITE, (server, c, argv, st) => incrDecr(server, c, st, argv[1]!, -1n));
def('incrby', 3, WRITE, (server, c, argv, st) => {
  const by = getLongLongOrReply(server, c, argv[2]!);
  if (by !== null) incrDecr(server, c, st, argv[1]!, by);
});
def('decrby', 3, WRITE, (server, c, argv, st) => {
  const by = getLongLongOrReply(server, c, argv[2]!);
  if (by === null) return;
  if (by === LLONG_MIN) return addReplyError(server, c, 'ERR decrement would overflow');
  incrDecr(server, c, st, argv[1]!, -by);
});

/** pushGenericCommand: LPUSH/RPUSH (and the X variants, which never create the list). */
function push(server: Server, c: Client, st: KeyspaceState, argv: Arg[], head: boolean, xx: boolean): void {
  const key = keyOf(argv[1]!);
  let e = lookupKey(server, st, key);
  if (e && e.v.type !== 'list') return addReplyError(server, c, WRONGTYPE);
  if (!e) {
    if (xx) return addReply(server, c, resp.CZERO);
    e = { v: { type: 'list', items: [] }, expireAt: 0 };
    st.db.set(key, e);
    signalKeyAsReady(st, key, argv[1]!);
  }
  const items = (e.v as { items: Arg[] }).items;
  for (let j = 2; j < argv.length; j++) {
    if (head) items.unshift(argv[j]!);
    else items.push(argv[j]!);
  }
  addReply(server, c, resp.integer(items.length));
  signalModifiedKey(st, key);
  serveIfReady(server, st);
}

def('lpush', -3, WRITE, (server, c, argv, st) => push(server, c, st, argv, true, false));
def('rpush', -3, WRITE, (server, c, argv, st) => push(server, c, st, argv, false, false));
def('lpushx', -3, WRITE, (server, c, argv, st) => push(server, c, st, argv, true, true));
def('rpushx', -3, WRITE, (server, c, argv, st) => push(server, c, st, argv, false, true));

/** popGenericCommand: one element as a bulk, or up to COUNT as an array (RPOP: tail first). */
function pop(server: Server, c: Client, st: KeyspaceState, argv: Arg[], head: boolean): void {
  if (argv.length > 3) return addReplyError(server, c, `ERR wrong number of arguments for '${head ? 'lpop' : 'rpop'}' command`);
  const hascount = argv.length === 3;
  let count = 0n;
  if (hascount) {
    const v = getLongLongOrReply(server, c, argv[2]!, 'ERR value is out of range, must be positive');
    if (v === null) return;
    if (v < 0n) return addReplyError(server, c, 'ERR value is out of range, must be positive');
    count = v;
  }
  const key = keyOf(argv[1]!);
  const e = lookupKey(server, st, key);
  if (!e) return addReply(server, c, hascount ? resp.nullArray(c.resp) : resp.nullBulk(c.resp));
  if (e.v.type !== 'list') return addReplyError(server, c, WRONGTYPE);
  if (hascount && count === 0n) return addReply(server, c, resp.EMPTY_ARRAY);
  const items = e.v.items;
  if (!hascount) {
    addReply(server, c, resp.bulk(head ? items.shift()! : items.pop()!));
  } else {
    const n = Number(count > BigInt(items.length) ? BigInt(items.length) : count);
    const taken = head ? items.splice(0, n) : items.splice(items.length - n, n).reverse();
    const segs: Segment[] = [resp.arrayHeader(taken.length)];
    for (const v of taken) segs.push(...resp.bulk(v));
    addReply(server, c, segs);
  }
  listElementsRemoved(st, key, e);
}

def('lpop', -2, WRITE, (server, c, argv, st) => pop(server, c, st, argv, true));
def('rpop', -2, WRITE, (server, c, argv, st) => pop(server, c, st, argv, false));

def('llen', 2, READ, (server, c, argv, st) => {
  const e = lookupKeyRead(server, st, keyOf(argv[1]!));
  if (e && e.v.type !== 'list') return addReplyError(server, c, WRONGTYPE);
  addReply(server, c, resp.integer(e ? (e.v as { items: Arg[] }).items.length : 0));
});

def('lrange', 4, READ, (server, c, argv, st) => {
  const s0 = getLongLongOrReply(server, c, argv[2]!);
  if (s0 === null) return;
  const e0 = getLongLongOrReply(server, c, argv[3]!);
  if (e0 === null) return;
  const e = lookupKeyRead(server, st, keyOf(argv[1]!));
  if (!e) return addReply(server, c, resp.EMPTY_ARRAY);
  if (e.v.type !== 'list') return addReplyError(server, c, WRONGTYPE);
  const items = e.v.items;
  const llen = BigInt(items.length);
  let start = s0 < 0n ? llen + s0 : s0;
  let end = e0 < 0n ? llen + e0 : e0;
  if (start < 0n) start = 0n;
  if (start > end || start >= llen) return addReply(server, c, resp.EMPTY_ARRAY);
  if (end >= llen) end = llen - 1n;
  const slice = items.slice(Number(start), Number(end) + 1);
  const segs: Segment[] = [resp.arrayHeader(slice.length)];
  for (const v of slice) segs.push(...resp.bulk(v));
  addReply(server, c, segs);
});

/**
 * blockingPopGenericCommand: pop from the first non-empty list among the keys; otherwise block
 * (or, inside EXEC where blocking is denied, reply the null array at once as a timeout would).
 */
function blockingPop(server: Server, c: Client, st: KeyspaceState, argv: Arg[], name: 'blpop' | 'brpop'): void {
  const deadline = getTimeoutOrReply(server, c, argv[argv.length - 1]!);
  if (deadline === null) return;
  const keys = argv.slice(1, -1);
  for (const k of keys) {
    const key = keyOf(k);
    const e = lookupKey(server, st, key);
    if (!e) continue;
    if (e.v.type !== 'list') return addReplyError(server, c, WRONGTYPE);
    const items = e.v.items;
    if (items.length === 0) continue;
    const value = name === 'blpop' ? items.shift()! : items.pop()!;
    addReply(server, c, [resp.arrayHeader(2), ...resp.bulk(k), ...resp.bulk(value)]);
    listElementsRemoved(st, key, e);
    return;
  }
  if (server.inExec) return addReply(server, c, resp.nullArray(c.resp));
  blockForKeys(st, c, keys, deadline, name);
}

def('blpop', -3, WRITE, (server, c, argv, st) => blockingPop(server, c, st, argv, 'blpop'));
def('brpop', -3, WRITE, (server, c, argv, st) => blockingPop(server, c, st, argv, 'brpop'));

def('watch', -2, {}, (server, c, argv, st) => {
  if (c.has(CLIENT_MULTI)) return addReplyError(server, c, 'ERR WATCH inside MULTI is not allowed');
  // No point in watching if the client is already dirty.
  if (!c.has(CLIENT_DIRTY_CAS)) for (let j = 1; j < argv.length; j++) watchForKey(server, st, c, keyOf(argv[j]!));
  addReply(server, c, resp.OK);
});

def('unwatch', 1, {}, (server, c, _argv, st) => {
  unwatchAllKeys(st, c);
  c.clear(CLIENT_DIRTY_CAS);
  addReply(server, c, resp.OK);
});

/** SELECT: only db 0 exists here; other valid indexes are a named not-modelled error. */
const DATABASES = 16;
registerCommand({
  name: 'select',
  arity: 2,
  flags: {},
  proc(server, c, argv) {
    const v = string2ll(argv[1]!);
    if (v === null) return addReplyError(server, c, 'ERR value is not an integer or out of range');
    if (v < -(2n ** 31n) || v > 2n ** 31n - 1n) return addReplyError(server, c, 'ERR value is out of range, value must between -2147483648 and 2147483647');
    if (v < 0n || v >= BigInt(DATABASES)) return addReplyError(server, c, 'ERR DB index is out of range');
    if (v !== 0n) return addReplyError(server, c, 'ERR redsim models only database 0');
    c.db = 0;
    addReply(server, c, resp.OK);
  },
});
