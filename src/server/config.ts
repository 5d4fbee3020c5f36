// The server's configuration table (after config.c): every directive the core understands, with its
// type, default, bounds and whether CONFIG SET may change it, plus parsing with Redis's error texts.
// Applying side effects (maxclients vs fd limits, hz) belongs to the caller via `apply` hooks.

/** memtoull's units (util.c, 7.0), case-insensitive. */
export const MEMORY_UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1, k: 1000, kb: 1024, m: 1000 * 1000, mb: 1024 * 1024, g: 1000 * 1000 * 1000, gb: 1024 * 1024 * 1024,
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Redis's memtoull (util.c, 7.0): decimal digits followed by an optional unit, case-insensitive:
 * none or `b` = bytes, `k` = 1000, `kb` = 1024, `m` = 10^6, `mb` = 2^20, `g` = 10^9, `gb` = 2^30.
 * No sign, no fraction, no spaces. Returns undefined when Redis would report an error, and also
 * (deliberately stricter than Redis, which reads them as 0) for a unit without digits such as "mb"
 * or the empty string, and for values above Number.MAX_SAFE_INTEGER.
 */
export function memtoull(s: string): number | undefined {
  const m = /^(\d+)([a-z]*)$/i.exec(s);
  if (!m) return undefined;
  const mul = MEMORY_UNITS[m[2]!.toLowerCase()];
  if (mul === undefined) return undefined;
  const v = BigInt(m[1]!) * BigInt(mul);
  return v > MAX_SAFE ? undefined : Number(v);
}

/** Output buffer limits of one client class. */
export interface ObufLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export type ObufClass = 'normal' | 'replica' | 'pubsub';

/** Typed configuration values. Redis names in kebab-case map to these fields via CONFIGS. */
export interface ServerConfig {
  port: number;
  bind: string[];
  maxclients: number;
  timeout: number;
  'tcp-keepalive': number;
  'tcp-backlog': number;
  hz: number;
  'dynamic-hz': boolean;
  'client-query-buffer-limit': number;
  'proto-max-bulk-len': number;
  requirepass: string;
  'protected-mode': boolean;
  loglevel: 'debug' | 'verbose' | 'notice' | 'warning';
  'client-output-buffer-limit': Record<ObufClass, ObufLimit>;
  'maxmemory': number;
  /** Persistence settings: accepted and reported (clients such as redis-benchmark read them), no effect. */
  save: string;
  appendonly: boolean;
  /** redsim switch: `single` = one read per readable event (Redis); `drain` = read until EAGAIN. */
  'read-policy': 'single' | 'drain';
  /** redsim switch: `2.6` derives maxclients from the fd limit (Redis 2.6+); `2.4` keeps a fixed limit. */
  'client-limit-policy': '2.6' | '2.4';
  /** redsim switch: `lazy` = idle timeouts found by clientsCron (Redis); `exact` = per-client timers. */
  'timeout-policy': 'lazy' | 'exact';
  /** redsim switch: `debian` = Debian bookworm's 7.0.15 with its security backports; `upstream` = stock 7.0.15. */
  profile: 'debian' | 'upstream';
  /** redsim switch: `7.0.15` keeps the stale soft-limit timer as released; `fixed` resets it when the client drains. */
  'obuf-soft-timer': '7.0.15' | 'fixed';
  /** SLOWLOG: commands whose (virtual) execution takes at least this many µs are logged; negative disables. */
  'slowlog-log-slower-than': number;
  /** SLOWLOG: entries kept (oldest dropped first). */
  'slowlog-max-len': number;
  /** DEBUG is refused unless `yes`, or `local` and the client connects from 127.0.0.1 / ::1. Immutable. */
  'enable-debug-command': 'no' | 'yes' | 'local';
  /** TLS listener port; 0 = none. Immutable here (7.0 can rebind it at run time). */
  'tls-port': number;
  /** Certificate, key and CA files of the TLS listener (the simulator only names them). */
  'tls-cert-file': string;
  'tls-key-file': string;
  'tls-ca-cert-file': string;
  /** Whether TLS clients must present a certificate: yes (default), optional, no. */
  'tls-auth-clients': 'yes' | 'no' | 'optional';
  /** tls-protocols, e.g. "TLSv1.2 TLSv1.3"; '' = the library's default. */
  'tls-protocols': string;
}

export const DEFAULT_OBUF_LIMITS: Record<ObufClass, ObufLimit> = {
  normal: { hard: 0, soft: 0, softSeconds: 0 },
  replica: { hard: 256 * 2 ** 20, soft: 64 * 2 ** 20, softSeconds: 60 },
  pubsub: { hard: 32 * 2 ** 20, soft: 8 * 2 ** 20, softSeconds: 60 },
};

export function defaultConfig(): ServerConfig {
  return {
    port: 6379,
    bind: ['127.0.0.1'],
    maxclients: 10000,
    timeout: 0,
    'tcp-keepalive': 300,
    'tcp-backlog': 511,
    hz: 10,
    'dynamic-hz': true,
    'client-query-buffer-limit': 2 ** 30,
    'proto-max-bulk-len': 512 * 2 ** 20,
    requirepass: '',
    'protected-mode': true,
    loglevel: 'notice',
    'client-output-buffer-limit': structuredClone(DEFAULT_OBUF_LIMITS),
    maxmemory: 0,
    save: '',
    appendonly: false,
    'read-policy': 'single',
    'client-limit-policy': '2.6',
    'timeout-policy': 'lazy',
    profile: 'debian',
    'obuf-soft-timer': '7.0.15',
    'slowlog-log-slower-than': 10000,
    'slowlog-max-len': 128,
    'enable-debug-command': 'no',
    'tls-port': 0,
    'tls-cert-file': '',
    'tls-key-file': '',
    'tls-ca-cert-file': '',
    'tls-auth-clients': 'yes',
    'tls-protocols': '',
  };
}

type Key = keyof ServerConfig;

/** One directive: how to parse and print it. Errors are Redis's reason texts. */
interface ConfigDef {
  name: Key;
  /** Alternative names accepted by CONFIG SET/GET and config files. */
  alias?: string;
  immutable?: boolean;
  parse(v: string): { ok: true; value: unknown } | { ok: false; err: string };
  /** How a config file line (a scenario's server.config) parses, when it differs from CONFIG SET. */
  parseDirective?(v: string): { ok: true; value: unknown } | { ok: false; err: string };
  format(v: unknown): string;
}

/** CONFIG_BINDADDR_MAX (server.h). */
const BINDADDR_MAX = 16;

/** setConfigBindOption: at most 16 addresses, kept as written (`-` and `*` are read at bind time). */
function bindList(addrs: string[]): { ok: true; value: string[] } | { ok: false; err: string } {
  if (addrs.length > BINDADDR_MAX) return { ok: false, err: 'Too many bind addresses specified.' };
  return { ok: true, value: addrs };
}

const INT_MAX = 2147483647;
/** LONG_MAX / LLONG_MAX and ULLONG_MAX, as Redis prints them in range errors. */
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** string2ll: an optional `-`, then digits without leading zeros (or just `0`), within 64 bits. */
export function string2ll(s: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -LONG_MAX - 1n && n <= LONG_MAX ? n : undefined;
}

/**
 * A numeric directive (numericConfigSet): memory configs take memtoull units, others a plain
 * string2ll integer; out-of-range values get Redis's `argument must be between` text.
 */
function intDef(name: Key, min: number | bigint, max: number | bigint, memory = false): ConfigDef {
  return {
    name,
    parse(v) {
      let n: bigint | undefined;
      if (memory) {
        const m = memtoull(v);
        n = m === undefined ? undefined : BigInt(m);
      } else n = string2ll(v);
      if (n === undefined) return { ok: false, err: memory ? 'argument must be a memory value' : 'argument couldn\'t be parsed into an integer' };
      if (n < BigInt(min) || n > BigInt(max)) return { ok: false, err: `argument must be between ${min} and ${max} inclusive` };
      return { ok: true, value: Number(n) };
    },
    format: (v) => String(v),
  };
}

function boolDef(name: Key): ConfigDef {
  return {
    name,
    parse(v) {
      const l = v.toLowerCase();
      if (l === 'yes') return { ok: true, value: true };
      if (l === 'no') return { ok: true, value: false };
      return { ok: false, err: 'argument must be \'yes\' or \'no\'' };
    },
    format: (v) => (v ? 'yes' : 'no'),
  };
}

function enumDef(name: Key, values: string[]): ConfigDef {
  return {
    name,
    parse(v) {
      const l = v.toLowerCase();
      if (values.includes(l)) return { ok: true, value: l };
      return { ok: false, err: `argument(s) must be one of the following: ${values.join(', ')}` };
    },
    format: (v) => String(v),
  };
}

function stringDef(name: Key): ConfigDef {
  return { name, parse: (v) => ({ ok: true, value: v }), format: (v) => String(v) };
}

/** Parses `<class> <hard> <soft> <seconds>` groups onto `base` (only listed classes change). */
export function parseObufLimits(v: string, base: Record<ObufClass, ObufLimit>): { ok: true; value: Record<ObufClass, ObufLimit> } | { ok: false; err: string } {
  const parts = v.split(/\s+/).filter(Boolean);
  if (parts.length % 4 !== 0) return { ok: false, err: 'Wrong number of arguments in buffer limit configuration.' };
  const out = structuredClone(base);
  for (let i = 0; i < parts.length; i += 4) {
    const cls = parts[i]!.toLowerCase();
    const klass: ObufClass | undefined = cls === 'normal' ? 'normal' : cls === 'slave' || cls === 'replica' ? 'replica' : cls === 'pubsub' ? 'pubsub' : undefined;
    if (!klass) return { ok: false, err: 'Invalid client class specified in buffer limit configuration.' };
    const hard = memtoull(parts[i + 1]!);
    const soft = memtoull(parts[i + 2]!);
    const secs = /^\d+$/.test(parts[i + 3]!) ? Number(parts[i + 3]) : undefined;
    if (hard === undefined || soft === undefined || secs === undefined) {
      return { ok: false, err: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
    }
    out[klass] = { hard, soft, softSeconds: secs };
  }
  return { ok: true, value: out };
}

/** CONFIG GET form: `normal <h> <s> <sec> slave <h> <s> <sec> pubsub <h> <s> <sec>`. */
export function formatObufLimits(l: Record<ObufClass, ObufLimit>): string {
  const f = (x: ObufLimit) => `${x.hard} ${x.soft} ${x.softSeconds}`;
  return `normal ${f(l.normal)} slave ${f(l.replica)} pubsub ${f(l.pubsub)}`;
}

export const CONFIGS: ConfigDef[] = [
  { ...intDef('port', 0, 65535), immutable: true },
  {
    // CONFIG SET splits the value on single spaces (so two spaces make an empty address, which
    // then fails to resolve); a config file line splits on any run of blanks. An empty value
    // binds nothing.
    name: 'bind',
    parse: (v) => bindList(v === '' ? [] : v.split(' ')),
    parseDirective: (v) => bindList(v.split(/\s+/).filter(Boolean)),
    format: (v) => (v as string[]).join(' '),
  },
  intDef('maxclients', 1, 4294967295),
  intDef('timeout', 0, INT_MAX),
  intDef('tcp-keepalive', 0, INT_MAX),
  { ...intDef('tcp-backlog', 0, INT_MAX), immutable: true },
  {
    // Redis clamps hz into [1, 500] silently.
    name: 'hz',
    parse(v) {
      const ll = string2ll(v);
      if (ll === undefined) return { ok: false, err: 'argument couldn\'t be parsed into an integer' };
      const n = Number(ll);
      if (n < 0 || n > INT_MAX) return { ok: false, err: `argument must be between 0 and ${INT_MAX} inclusive` };
      return { ok: true, value: Math.min(500, Math.max(1, n)) };
    },
    format: (v) => String(v),
  },
  boolDef('dynamic-hz'),
  intDef('client-query-buffer-limit', 1024 * 1024, LONG_MAX, true),
  intDef('proto-max-bulk-len', 1024 * 1024, LONG_MAX, true),
  stringDef('requirepass'),
  // redsim models no persistence: `save` defaults to "" (as the conformance arm starts
  // redis-server with --save ''), and both are stored and reported only.
  stringDef('save'),
  boolDef('appendonly'),
  boolDef('protected-mode'),
  enumDef('loglevel', ['debug', 'verbose', 'notice', 'warning']),
  {
    name: 'client-output-buffer-limit',
    parse: (v) => parseObufLimits(v, DEFAULT_OBUF_LIMITS),
    format: (v) => formatObufLimits(v as Record<ObufClass, ObufLimit>),
  },
  intDef('maxmemory', 0, ULLONG_MAX, true),
  enumDef('read-policy', ['single', 'drain']),
  { ...enumDef('client-limit-policy', ['2.6', '2.4']), immutable: true },
  enumDef('timeout-policy', ['lazy', 'exact']),
  { ...enumDef('profile', ['debian', 'upstream']), immutable: true },
  enumDef('obuf-soft-timer', ['7.0.15', 'fixed']),
  intDef('slowlog-log-slower-than', -1, LONG_MAX),
  intDef('slowlog-max-len', 0, LONG_MAX),
  { ...enumDef('enable-debug-command', ['no', 'yes', 'local']), immutable: true },
  { ...intDef('tls-port', 0, 65535), immutable: true },
  stringDef('tls-cert-file'),
  stringDef('tls-key-file'),
  stringDef('tls-ca-cert-file'),
  enumDef('tls-auth-clients', ['no', 'yes', 'optional']),
  stringDef('tls-protocols'),
];

const BY_NAME = new Map<string, ConfigDef>();
for (const d of CONFIGS) {
  BY_NAME.set(d.name, d);
  if (d.alias) BY_NAME.set(d.alias, d);
}

export function lookupConfig(name: string): ConfigDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** A problem with one directive, in a config file or scenario. */
export interface ConfigIssue {
  name: string;
  message: string;
}

/**
 * Builds a config from directives as a config file would (later directives win). Unknown names and
 * bad values are gathered, worded as Redis words them at startup.
 */
export function configFromDirectives(directives: Record<string, string>): { config: ServerConfig; issues: ConfigIssue[] } {
  const config = defaultConfig();
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(directives)) {
    const def = lookupConfig(name);
    if (!def) {
      issues.push({ name, message: `Bad directive or wrong number of arguments: unknown directive '${name}'` });
      continue;
    }
    const base = def.name === 'client-output-buffer-limit'
      ? parseObufLimits(raw, config['client-output-buffer-limit'])
      : (def.parseDirective ?? def.parse)(raw);
    if (!base.ok) issues.push({ name, message: base.err });
    else (config as unknown as Record<string, unknown>)[def.name] = base.value;
  }
  return { config, issues };
}
