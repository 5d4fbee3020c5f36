// CONFIG (config.c, 7.0.15): GET with glob patterns, SET of several parameters at once with
// all-or-nothing semantics (set everything, then run each distinct apply function, restoring every
// previous value if one fails), RESETSTAT and HELP. REWRITE answers not-modelled: redsim has no
// config file.
import type { Arg } from '../../protocol/request-parser.ts';
import type { Client } from '../client.ts';
import { CONFIGS, lookupConfig, parseObufLimits, type ServerConfig } from '../config.ts';
import { armIdleTimer } from '../cron.ts';
import { adjustOpenFilesLimit } from '../fd-limits.ts';
import { changeBindAddr } from '../listen.ts';
import { addReply, addReplyError } from '../reply.ts';
import * as resp from '../../protocol/reply.ts';
import { CONFIG_FDSET_INCR, type Server } from '../server.ts';
import { addReplyHelp, addReplyMapLen, argText, notModelled, sub } from './client.ts';
import { redactClientCommandArgument } from './slowlog.ts';
import { container, registerCommand } from './table.ts';
import { stringmatchlen } from '../stringmatch.ts';

type ConfigDef = NonNullable<ReturnType<typeof lookupConfig>>;
type Key = keyof ServerConfig;

/** Redis's glob matcher on names (util.c stringmatchlen, shared with Pub/Sub). */
export function stringmatch(pattern: string, str: string, nocase: boolean): boolean {
  return stringmatchlen(Buffer.from(pattern, 'latin1'), Buffer.from(str, 'latin1'), nocase);
}

// ---- CONFIG GET --------------------------------------------------------------------------------

/** Every name CONFIG GET can match (canonical names, then aliases), in table order. */
function configNames(): Array<{ key: string; def: ConfigDef }> {
  const out: Array<{ key: string; def: ConfigDef }> = [];
  for (const d of CONFIGS) {
    out.push({ key: d.name, def: d });
    if (d.alias) out.push({ key: d.alias, def: d });
  }
  return out;
}

function getValue(server: Server, def: ConfigDef): string {
  return def.format((server.config as unknown as Record<string, unknown>)[def.name]);
}

/**
 * configGetCommand: a name without `[*?` is looked up directly (and answered under the name as
 * typed); a pattern is matched case-insensitively against every name. Each parameter once. Redis
 * answers in dict (hash) order; redsim in the order found.
 */
function configGet(server: Server, c: Client, argv: Arg[]): void {
  const matches = new Map<string, { key: string; def: ConfigDef }>(); // lower-cased key -> entry
  for (let i = 2; i < argv.length; i++) {
    const name = argText(argv[i]!);
    if (!/[[*?]/.test(name)) {
      if (matches.has(name.toLowerCase())) continue;
      const def = lookupConfig(name);
      if (def) matches.set(name.toLowerCase(), { key: name, def });
      continue;
    }
    for (const e of configNames()) {
      if (matches.has(e.def.name)) continue;
      if (stringmatch(name, e.key, true)) matches.set(e.key, e);
    }
  }
  addReplyMapLen(server, c, matches.size);
  for (const { key, def } of matches.values()) {
    addReply(server, c, resp.bulkString(key));
    addReply(server, c, resp.bulkString(getValue(server, def)));
  }
}

// ---- CONFIG SET --------------------------------------------------------------------------------

/** An apply function: null on success, else the reason text. Shared functions run once per SET. */
type ApplyFn = (server: Server) => string | null;

/** updateMaxclients: the fd limit must allow the new value; the event loop grows if needed. */
const updateMaxclients: ApplyFn = (server) => {
  const wanted = server.config.maxclients;
  adjustOpenFilesLimit(server);
  if (server.config.maxclients !== wanted) {
    return `The operating system is not able to handle the specified number of clients, try with ${server.config.maxclients}`;
  }
  if (server.loop.setsize < wanted + CONFIG_FDSET_INCR) server.loop.setsize = wanted + CONFIG_FDSET_INCR;
  return null;
};

/** updateHZ: the value was clamped into [1, 500] when parsed; the current hz follows at once. */
const updateHZ: ApplyFn = (server) => {
  server.hz = server.config.hz;
  return null;
};

/**
 * redsim's exact-timer policy keeps one idle timer per client: re-arm (or drop) them when
 * `timeout` or the policy itself changes. Redis (lazy) has nothing to apply here.
 */
const updateIdleTimers: ApplyFn = (server) => {
  for (const c of server.clients) {
    if (server.config['timeout-policy'] === 'exact') armIdleTimer(server, c);
    else if (c.idleTimer !== null) {
      server.loop.deleteTimeEvent(c.idleTimer as number);
      c.idleTimer = null;
    }
  }
  return null;
};

/** applyBind: the listeners are closed and made again for the new list. */
const applyBind: ApplyFn = (server) => (changeBindAddr(server) ? null : 'Failed to bind to specified addresses.');

const APPLY: Partial<Record<Key, ApplyFn>> = {
  bind: applyBind,
  maxclients: updateMaxclients,
  hz: updateHZ,
  timeout: updateIdleTimers,
  'timeout-policy': updateIdleTimers,
};

/** Parameters whose value is sensitive: redacted from the SLOWLOG (SENSITIVE_CONFIG). */
const SENSITIVE = new Set<string>(['requirepass']);

/**
 * Modifiable in 7.0.15 (CONFIG SET port re-creates the listeners) but not modelled. Answered with
 * a not-modelled error, never applied.
 */
const NOT_MODELLED = new Set<string>(['port']);

/**
 * Special configs whose set function always reports a change (setConfigBindOption returns 1), so
 * their apply function runs even when the value is the same: CONFIG SET bind re-binds every time.
 */
const ALWAYS_APPLY = new Set<string>(['bind']);

function setValue(server: Server, def: ConfigDef, raw: string): { ok: true } | { ok: false; err: string } {
  const cfg = server.config as unknown as Record<string, unknown>;
  const r = def.name === 'client-output-buffer-limit'
    ? parseObufLimits(raw, server.config['client-output-buffer-limit']) // only listed classes change
    : def.parse(raw);
  if (!r.ok) return r;
  cfg[def.name] = r.value;
  return { ok: true };
}

function configSet(server: Server, c: Client, argv: Arg[]): void {
  if (argv.length % 2 === 1) return addReplyError(server, c, 'ERR syntax error');
  const count = (argv.length - 2) / 2;
  const defs: ConfigDef[] = [];
  const values: string[] = [];
  let invalidArgName: string | null = null;
  let notModelledName: string | null = null;
  let errstr: string | null = null;
  let errArg = '';
  let invalid = false;
  for (let i = 0; i < count; i++) {
    const name = argText(argv[2 + i * 2]!);
    const def = lookupConfig(name);
    if (!def) {
      if (!invalid) {
        invalidArgName = name;
        invalid = true;
      }
      continue;
    }
    // Sensitive values are redacted even when the command fails.
    if (SENSITIVE.has(def.name)) redactClientCommandArgument(c, 2 + i * 2 + 1);
    if (invalid) continue;
    if (NOT_MODELLED.has(def.name) || (def.name === 'bind' && !server.listenersAfterStart)) {
      notModelledName = def.name;
      invalid = true;
      continue;
    }
    if (def.immutable) {
      errstr = "can't set immutable config";
      errArg = name;
      invalid = true;
      continue;
    }
    for (let j = 0; j < i; j++) {
      if (defs[j] === def) {
        errstr = 'duplicate parameter';
        errArg = name;
        invalid = true;
        break;
      }
    }
    defs[i] = def;
    values[i] = argText(argv[2 + i * 2 + 1]!);
  }
  const fail = (): void => {
    if (invalidArgName !== null) addReplyError(server, c, `ERR Unknown option or number of arguments for CONFIG SET - '${invalidArgName}'`);
    else if (notModelledName !== null) notModelled(server, c, `CONFIG SET ${notModelledName}`);
    else addReplyError(server, c, `ERR CONFIG SET failed (possibly related to argument '${errArg}') - ${errstr}`);
  };
  if (invalid) return fail();

  // Back up, set everything (no apply yet), then apply each distinct function once, in order.
  const cfg = server.config as unknown as Record<string, unknown>;
  const old = defs.map((d) => structuredClone(cfg[d.name]));
  const restore = (n: number, applies: ApplyFn[] | null): void => {
    for (let i = 0; i < n; i++) cfg[defs[i]!.name] = structuredClone(old[i]);
    if (applies) {
      for (const fn of applies) {
        const e = fn(server);
        if (e) server.log('warning', `Failed applying restored failed CONFIG SET command: ${e}`);
      }
    }
  };
  const applies: ApplyFn[] = [];
  const applyOwner: number[] = [];
  for (let i = 0; i < count; i++) {
    const def = defs[i]!;
    const before = getValue(server, def);
    const r = setValue(server, def, values[i]!);
    if (!r.ok) {
      restore(i + 1, null);
      errArg = def.name;
      errstr = r.err;
      return fail();
    }
    // Only a changed value runs its apply function (numericConfigSet returns 2 otherwise).
    const fn = APPLY[def.name];
    if (fn && (ALWAYS_APPLY.has(def.name) || getValue(server, def) !== before) && !applies.includes(fn)) {
      applies.push(fn);
      applyOwner.push(i);
    }
  }
  for (let k = 0; k < applies.length; k++) {
    const e = applies[k]!(server);
    if (e) {
      const owner = defs[applyOwner[k]!]!.name;
      server.log('warning', `Failed applying new configuration. Possibly related to new ${owner} setting. Restoring previous settings.`);
      restore(count, applies);
      errArg = owner;
      errstr = e;
      return fail();
    }
  }
  addReply(server, c, resp.OK);
}

// ---- CONFIG RESETSTAT / HELP / REWRITE ----------------------------------------------------------

/** resetServerStats: every INFO stats counter the core keeps (the slowlog is not touched). */
export function resetServerStats(server: Server): void {
  const s = server.stats;
  s.numcommands = 0;
  s.numconnections = 0;
  s.keyspaceMisses = 0;
  s.keyspaceHits = 0;
  s.rejectedConn = 0;
  s.totalReadsProcessed = 0;
  s.totalWritesProcessed = 0;
  s.netInputBytes = 0;
  s.netOutputBytes = 0;
  s.unexpectedErrorReplies = 0;
  s.totalErrorReplies = 0;
  s.replyBufferShrinks = 0;
  s.replyBufferExpands = 0;
}

const CONFIG_HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

registerCommand(container('config', -2, [
  sub('get', -3, configGet),
  sub('set', -4, configSet),
  sub('resetstat', 2, (server, c) => {
    resetServerStats(server);
    addReply(server, c, resp.OK);
  }),
  sub('rewrite', 2, (server, c) => notModelled(server, c, 'CONFIG REWRITE')),
  sub('help', 2, (server, c) => addReplyHelp(server, c, CONFIG_HELP)),
]));
