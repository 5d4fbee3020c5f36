// Pub/Sub (pubsub.c): SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE / PUBLISH / PUBSUB, the
// confirmation and message shapes for RESP2 (arrays) and RESP3 (pushes), the PUBSUB client flag,
// using Redis's glob matcher (server/stringmatch.ts). Does not own the RESP2 subscribed-context check (that
// is processCommand's) nor sharded Pub/Sub, which answers a named not-modelled error.
import { isFiller, type Segment } from '../../base/bytes.ts';
import * as resp from '../../protocol/reply.ts';
import type { Arg } from '../../protocol/request-parser.ts';
import { CLIENT_PUBSUB, CLIENT_PUSHING, type Client } from '../client.ts';
import { addReply, addReplyError, flushReplyTrace } from '../reply.ts';
import type { Server } from '../server.ts';
import { resetClientHooks } from './auth.ts';
import { keyOf } from './keyspace.ts';
import { stringmatchlen } from '../stringmatch.ts';
import { container, registerCommand, type Command } from './table.ts';

/** One channel or pattern: its bytes (for replies) and its subscribers in subscription order. */
interface Subscription {
  name: Arg;
  clients: Set<Client>;
}

/**
 * server.pubsub_channels and server.pubsub_patterns. Redis keeps both in dicts (hash order); here
 * they are insertion-ordered Maps, so patterns are visited in the order they were first subscribed
 * (a pattern whose last subscriber left and is subscribed again moves to the end).
 */
interface PubsubState {
  channels: Map<string, Subscription>;
  patterns: Map<string, Subscription>;
}

const states = new WeakMap<Server, PubsubState>();

/** The server's Pub/Sub tables; created on first use, which also registers the free-client hook. */
function stateOf(server: Server): PubsubState {
  let st = states.get(server);
  if (!st) {
    st = { channels: new Map(), patterns: new Map() };
    states.set(server, st);
    server.freeClientHooks.push((c) => {
      if (c.subscriptions > 0) pubsubUnsubscribeAll(server, c, false);
    });
  }
  return st;
}

/** INFO stats `pubsub_channels` / `pubsub_patterns`: active channels and patterns server-wide. */
export function pubsubCounts(server: Server): { channels: number; patterns: number } {
  const st = states.get(server);
  return { channels: st?.channels.size ?? 0, patterns: st?.patterns.size ?? 0 };
}

// Shared bulk strings (createSharedObjects: shared.messagebulk, shared.subscribebulk, ...).
const BULK = {
  message: resp.bulkString('message'),
  pmessage: resp.bulkString('pmessage'),
  subscribe: resp.bulkString('subscribe'),
  unsubscribe: resp.bulkString('unsubscribe'),
  psubscribe: resp.bulkString('psubscribe'),
  punsubscribe: resp.bulkString('punsubscribe'),
};

/** `*<n>` for RESP2, `><n>` (push) for RESP3. */
function pushLen(c: Client, n: number): Buffer {
  return c.resp === 2 ? resp.arrayHeader(n) : resp.pushHeader(n);
}

/**
 * addReply with CLIENT_PUSHING set, as every pubsub.c reply helper does: CLIENT REPLY OFF/SKIP do
 * not silence Pub/Sub traffic (confirmations included).
 */
function addPushReply(server: Server, c: Client, segs: Segment[]): void {
  const had = c.has(CLIENT_PUSHING);
  c.set(CLIENT_PUSHING);
  addReply(server, c, segs);
  if (!had) c.clear(CLIENT_PUSHING);
}

/** addReplyPubsub(Pat)Subscribed / Unsubscribed: `[kind, name or null, count]`. */
function addConfirmation(server: Server, c: Client, kind: Buffer, name: Arg | null): void {
  const segs: Segment[] = [pushLen(c, 3), kind];
  if (name) segs.push(...resp.bulk(name));
  else segs.push(resp.nullBulk(c.resp));
  segs.push(resp.integer(c.subscriptions));
  addPushReply(server, c, segs);
}

/** Clears the PUBSUB flag once the client has no subscription left (it is `normal` again). */
function updatePubsubFlag(c: Client): void {
  if (c.subscriptions === 0) c.clear(CLIENT_PUBSUB);
}

function subscribeChannel(server: Server, c: Client, channel: Arg): void {
  const st = stateOf(server);
  const key = keyOf(channel);
  if (!c.channels.has(key)) {
    c.channels.add(key);
    let sub = st.channels.get(key);
    if (!sub) st.channels.set(key, (sub = { name: channel, clients: new Set() }));
    sub.clients.add(c);
  }
  addConfirmation(server, c, BULK.subscribe, channel);
}

function unsubscribeChannel(server: Server, c: Client, channel: Arg, notify: boolean): boolean {
  const st = stateOf(server);
  const key = keyOf(channel);
  let removed = false;
  if (c.channels.delete(key)) {
    removed = true;
    const sub = st.channels.get(key)!;
    sub.clients.delete(c);
    if (sub.clients.size === 0) st.channels.delete(key);
  }
  if (notify) addConfirmation(server, c, BULK.unsubscribe, channel);
  return removed;
}

function subscribePattern(server: Server, c: Client, pattern: Arg): void {
  const st = stateOf(server);
  const key = keyOf(pattern);
  if (!c.patterns.has(key)) {
    c.patterns.add(key);
    let sub = st.patterns.get(key);
    if (!sub) st.patterns.set(key, (sub = { name: pattern, clients: new Set() }));
    sub.clients.add(c);
  }
  addConfirmation(server, c, BULK.psubscribe, pattern);
}

function unsubscribePattern(server: Server, c: Client, pattern: Arg, notify: boolean): boolean {
  const st = stateOf(server);
  const key = keyOf(pattern);
  let removed = false;
  if (c.patterns.delete(key)) {
    removed = true;
    const sub = st.patterns.get(key)!;
    sub.clients.delete(c);
    if (sub.clients.size === 0) st.patterns.delete(key);
  }
  if (notify) addConfirmation(server, c, BULK.punsubscribe, pattern);
  return removed;
}

/**
 * pubsubUnsubscribeAllChannels: one `unsubscribe` per channel (in the order the client subscribed;
 * Redis walks its per-client dict, whose order is a hash order), or a single null-channel reply
 * when it had none. Returns how many it left.
 */
function unsubscribeAllChannels(server: Server, c: Client, notify: boolean): number {
  const st = stateOf(server);
  let count = 0;
  for (const key of [...c.channels]) {
    const name = st.channels.get(key)!.name;
    if (unsubscribeChannel(server, c, name, notify)) count++;
  }
  if (notify && count === 0) addConfirmation(server, c, BULK.unsubscribe, null);
  return count;
}

/** pubsubUnsubscribeAllPatterns: like the above, in subscription order (Redis keeps a list). */
function unsubscribeAllPatterns(server: Server, c: Client, notify: boolean): number {
  const st = stateOf(server);
  let count = 0;
  for (const key of [...c.patterns]) {
    const name = st.patterns.get(key)!.name;
    if (unsubscribePattern(server, c, name, notify)) count++;
  }
  if (notify && count === 0) addConfirmation(server, c, BULK.punsubscribe, null);
  return count;
}

/**
 * Leaves every channel and pattern (RESET does this without notifications; freeClient too) and
 * clears the PUBSUB flag. With `notify`, replies as UNSUBSCRIBE + PUNSUBSCRIBE without arguments.
 */
export function pubsubUnsubscribeAll(server: Server, c: Client, notify: boolean): void {
  unsubscribeAllChannels(server, c, notify);
  unsubscribeAllPatterns(server, c, notify);
  updatePubsubFlag(c);
}

// RESET leaves every channel and pattern without notifications.
resetClientHooks.push((server, c) => {
  if (c.subscriptions > 0) pubsubUnsubscribeAll(server, c, false);
});

/**
 * pubsubPublishMessage: channel subscribers in subscription order, then every matching pattern's
 * subscribers. Returns the receivers (a client matched twice counts twice). A receiver pushed over
 * its output limit is only scheduled for closing, so it stays in the tables (and counted) until
 * freed, as in Redis. The payload is never copied or materialised.
 */
export function pubsubPublishMessage(server: Server, channel: Arg, message: Arg): number {
  const st = states.get(server);
  if (!st) return 0;
  let receivers = 0;
  const key = keyOf(channel);
  const sub = st.channels.get(key);
  if (sub) {
    for (const c of sub.clients) {
      addPushReply(server, c, [pushLen(c, 3), BULK.message, ...resp.bulk(channel), ...resp.bulk(message)]);
      flushReplyTrace(server, c);
      receivers++;
    }
  }
  for (const pat of st.patterns.values()) {
    if (!stringmatchlen(pat.name, channel)) continue;
    for (const c of pat.clients) {
      addPushReply(server, c, [pushLen(c, 4), BULK.pmessage, ...resp.bulk(pat.name), ...resp.bulk(channel), ...resp.bulk(message)]);
      flushReplyTrace(server, c);
      receivers++;
    }
  }
  return receivers;
}

// ---------------------------------------------------------------------------------------------
// Commands. SUBSCRIBE's "isn't allowed for a DENY BLOCKING client" needs a Lua/module caller,
// which redsim does not have, so it never happens here.

registerCommand({
  name: 'subscribe',
  arity: -2,
  flags: {},
  proc(server, c, argv) {
    for (let j = 1; j < argv.length; j++) subscribeChannel(server, c, argv[j]!);
    c.set(CLIENT_PUBSUB);
  },
});

registerCommand({
  name: 'unsubscribe',
  arity: -1,
  flags: {},
  proc(server, c, argv) {
    if (argv.length === 1) unsubscribeAllChannels(server, c, true);
    else for (let j = 1; j < argv.length; j++) unsubscribeChannel(server, c, argv[j]!, true);
    updatePubsubFlag(c);
  },
});

registerCommand({
  name: 'psubscribe',
  arity: -2,
  flags: {},
  proc(server, c, argv) {
    for (let j = 1; j < argv.length; j++) subscribePattern(server, c, argv[j]!);
    c.set(CLIENT_PUBSUB);
  },
});

registerCommand({
  name: 'punsubscribe',
  arity: -1,
  flags: {},
  proc(server, c, argv) {
    if (argv.length === 1) unsubscribeAllPatterns(server, c, true);
    else for (let j = 1; j < argv.length; j++) unsubscribePattern(server, c, argv[j]!, true);
    updatePubsubFlag(c);
  },
});

registerCommand({
  name: 'publish',
  arity: 3,
  // PUBLISH is may-replicate in Redis: postponed by CLIENT PAUSE WRITE and refused to replica-
  // flagged clients (MONITOR), which is what these two flags drive in processCommand.
  flags: { write: true, keyspace: true },
  proc(server, c, argv) {
    const receivers = pubsubPublishMessage(server, argv[1]!, argv[2]!);
    addReply(server, c, resp.integer(receivers));
  },
});

// Sharded Pub/Sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) is not modelled: a named error instead of a
// quiet approximation. SSUBSCRIBE / SUNSUBSCRIBE stay allowed in the RESP2 subscribed context.
const SHARDED_ERR = 'ERR redsim does not model sharded pub/sub';
for (const [name, arity] of [['ssubscribe', -2], ['sunsubscribe', -1], ['spublish', 3]] as const) {
  registerCommand({
    name,
    arity,
    flags: name === 'spublish' ? { write: true, keyspace: true } : {},
    proc: (server, c) => addReplyError(server, c, SHARDED_ERR),
  });
}

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(server: Server, c: Client, argv: Arg[]): void {
  const sub = isFiller(argv[1]!) ? '' : argv[1]!.toString('latin1').slice(0, 128);
  addReplyError(server, c, `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try PUBSUB HELP.`);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Print this help.',
];

const pubsubSubs: Command[] = [
  {
    name: 'channels',
    arity: -2,
    flags: {},
    proc(server, c, argv) {
      if (argv.length > 3) return subcommandSyntaxError(server, c, argv);
      const pat = argv.length === 3 ? argv[2]! : null;
      const names: Arg[] = [];
      for (const sub of stateOf(server).channels.values()) {
        if (!pat || stringmatchlen(pat, sub.name)) names.push(sub.name);
      }
      const segs: Segment[] = [resp.arrayHeader(names.length)];
      for (const n of names) segs.push(...resp.bulk(n));
      addReply(server, c, segs);
    },
  },
  {
    name: 'numsub',
    arity: -2,
    flags: {},
    proc(server, c, argv) {
      const st = stateOf(server);
      const segs: Segment[] = [resp.arrayHeader((argv.length - 2) * 2)];
      for (let j = 2; j < argv.length; j++) {
        segs.push(...resp.bulk(argv[j]!), resp.integer(st.channels.get(keyOf(argv[j]!))?.clients.size ?? 0));
      }
      addReply(server, c, segs);
    },
  },
  {
    name: 'numpat',
    arity: 2,
    flags: {},
    proc(server, c) {
      addReply(server, c, resp.integer(stateOf(server).patterns.size));
    },
  },
  {
    // No shard channels exist here, so these answer as an idle standalone server would.
    name: 'shardchannels',
    arity: -2,
    flags: {},
    proc(server, c, argv) {
      if (argv.length > 3) return subcommandSyntaxError(server, c, argv);
      addReply(server, c, resp.EMPTY_ARRAY);
    },
  },
  {
    name: 'shardnumsub',
    arity: -2,
    flags: {},
    proc(server, c, argv) {
      const segs: Segment[] = [resp.arrayHeader((argv.length - 2) * 2)];
      for (let j = 2; j < argv.length; j++) segs.push(...resp.bulk(argv[j]!), resp.CZERO);
      addReply(server, c, segs);
    },
  },
  {
    name: 'help',
    arity: 2,
    flags: {},
    proc(server, c) {
      addReply(server, c, [resp.arrayHeader(PUBSUB_HELP.length), ...PUBSUB_HELP.map((l) => resp.status(l))]);
    },
  },
];

registerCommand(container('pubsub', -2, pubsubSubs));
