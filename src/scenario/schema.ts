// The zod schema of a scenario file (the plain JS value of the YAML document). Every schema here
// reports all of its problems at once, each with a path relative to the value it checks, so the
// loader can point at the exact node. Records and one-of maps are validated by small combinators
// built on z.unknown().transform() because they need messages zod does not give (closest allowed
// key, "exactly one operation per step"); leaves use zod's own checks with `errorMap` below.
// Each combinator also registers the JSON Schema of what it accepts (`described`), so that
// json-schema.ts can derive schema/scenario.schema.json from these same tables.
import { isIP } from 'node:net';
import { z } from 'zod';
import { Filler } from '../base/bytes.ts';
import type { Segment } from '../base/bytes.ts';
import type { CloseReason, EventBody, EventKind, RejectReason } from '../timeline/events.ts';
import { parseCidr } from '../kernel/firewall.ts';
import type { FirewallRuleSpec } from '../kernel/types.ts';
import { closest } from './suggest.ts';
import type { ArgSpec, Direction, EventPattern, Expectation, FaultSpec, LinkSpec, Step } from './types.ts';
import { checkDuration, checkSize, describeValue, DURATION_PATTERN, SIZE_PATTERN } from './units.ts';

type Ctx = z.core.$RefinementCtx;
type Path = (string | number)[];

/** `params` of a custom issue: `atKey` = point at the key of the last path element, not its value. */
export interface IssueParams {
  atKey?: boolean;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (draft-07) descriptions, for editors: see json-schema.ts

/** A JSON Schema object (draft-07). */
export type JsonSchema = { [key: string]: unknown };
/** Builds the JSON Schema of one zod schema; `walk` gives the JSON Schema of a child zod schema. */
export type JsonOf = (walk: (child: z.ZodType) => JsonSchema) => JsonSchema;

const JSON_OF = new WeakMap<z.ZodType, JsonOf>();

/** Registers the JSON Schema of a custom (transform-based) schema; returns the schema. */
function described<T extends z.ZodType>(schema: T, json: JsonOf): T {
  JSON_OF.set(schema, json);
  return schema;
}

/** The registered JSON Schema builder of a custom schema, if any. */
export function jsonOf(schema: z.ZodType): JsonOf | undefined {
  return JSON_OF.get(schema);
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T, k: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v, k)]));
}

// ---------------------------------------------------------------------------------------------
// Messages

function noun(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a number';
    case 'int':
      return 'an integer';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a map';
    default:
      return expected;
  }
}

/** Error map used for every parse: short messages in the file's own vocabulary. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined || iss.expected === 'nonoptional') return 'a value is required here';
      return `expected ${noun(iss.expected)}, got ${describeValue(iss.input)}`;
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'string') return 'must not be empty';
      if (iss.origin === 'array') return `must have at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
      return iss.inclusive === false ? `must be greater than ${min} (got ${describeValue(iss.input)})` : `must be at least ${min} (got ${describeValue(iss.input)})`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return `must have at most ${max} entries`;
      if (iss.origin === 'string') return `must be at most ${max} characters long`;
      return iss.inclusive === false ? `must be less than ${max} (got ${describeValue(iss.input)})` : `must be at most ${max} (got ${describeValue(iss.input)})`;
    }
    case 'invalid_value': {
      const values = iss.values.map((v) => String(v));
      const got = iss.input;
      const hint = typeof got === 'string' ? closest(got, values) : undefined;
      return `expected one of ${values.join(', ')}; got ${describeValue(got)}${hint ? ` (did you mean ${hint}?)` : ''}`;
    }
    default:
      return undefined;
  }
};

export const PARSE_PARAMS = { error: errorMap, reportInput: true } as const;

function report(ctx: Ctx, message: string, path: Path = [], atKey = false): void {
  ctx.addIssue({ code: 'custom', message, path, input: undefined, params: atKey ? { atKey: true } : undefined });
}

/** Runs `schema` on `value` and forwards its issues under `path`; the data, or undefined. */
function sub<T>(schema: z.ZodType<T>, value: unknown, ctx: Ctx, path: Path): T | undefined {
  const r = schema.safeParse(value, PARSE_PARAMS);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    const params = i.code === 'custom' ? (i.params as IssueParams | undefined) : undefined;
    ctx.addIssue({ code: 'custom', message: i.message, path: [...path, ...(i.path as Path)], input: undefined, params });
  }
  return undefined;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function unknownKey(ctx: Ctx, key: string, allowed: readonly string[], what: string): void {
  const hint = closest(key, allowed);
  report(
    ctx,
    `unknown key '${key}' in ${what}${hint ? `; did you mean '${hint}'?` : ''} (allowed: ${allowed.join(', ')})`,
    [key],
    true,
  );
}

// ---------------------------------------------------------------------------------------------
// Combinators

type Shape = Record<string, z.ZodType>;
type Out<S extends Shape, R extends keyof S> = { [K in R]: z.output<S[K]> } & { [K in Exclude<keyof S, R>]?: z.output<S[K]> };

/**
 * A map with the keys of `shape` (all optional except `required`); unknown keys are reported
 * one by one with the closest allowed key, except keys matching `ignored`. Absent keys are absent
 * from the output.
 */
function record<S extends Shape, R extends keyof S & string = never>(
  what: string,
  shape: S,
  required: readonly R[] = [],
  ignored?: RegExp,
) {
  const allowed = Object.keys(shape);
  const schema = z.unknown().transform((v, ctx): Out<S, R> => {
    if (!isMap(v)) {
      report(ctx, `expected ${what}: a map with keys ${allowed.join(', ')}; got ${describeValue(v)}`);
      return z.NEVER;
    }
    for (const k of Object.keys(v)) if (!has(shape, k) && !ignored?.test(k)) unknownKey(ctx, k, allowed, what);
    const out: Record<string, unknown> = {};
    for (const k of allowed) {
      if (!has(v, k)) {
        if ((required as readonly string[]).includes(k)) report(ctx, `${what} needs the key '${k}'`);
        continue;
      }
      out[k] = sub(shape[k]!, v[k], ctx, [k]);
    }
    return out as Out<S, R>;
  });
  return described(schema, (walk) => ({
    description: what,
    type: 'object',
    properties: mapValues(shape, (s) => walk(s)),
    ...(required.length ? { required: [...required] } : {}),
    ...(ignored ? { patternProperties: { [ignored.source]: {} } } : {}),
    additionalProperties: false,
  }));
}

/** A list whose entries all satisfy `item`. */
function list<T>(item: z.ZodType<T>, what: string, min = 0) {
  const schema = z.unknown().transform((v, ctx): T[] => {
    if (!Array.isArray(v)) {
      report(ctx, `expected ${what}, got ${describeValue(v)}`);
      return z.NEVER;
    }
    if (v.length < min) report(ctx, `must have at least ${min} ${min === 1 ? 'entry' : 'entries'}`);
    return v.map((x, i) => sub(item, x, ctx, [i]) as T);
  });
  return described(schema, (walk) => ({ description: what, type: 'array', items: walk(item), ...(min ? { minItems: min } : {}) }));
}

/**
 * The key that selects the variant of a one-of map (a step's operation, a fault's kind …), after
 * reporting: a non-map, unknown keys, keys that belong to another variant, zero or several
 * variant keys. Returns undefined when the variant is not exactly one.
 */
function variantOf(
  ctx: Ctx,
  v: unknown,
  what: string,
  kinds: readonly string[],
  common: readonly string[],
  extras: Readonly<Record<string, readonly string[]>> = {},
  example = '',
  variantNoun = `of the keys ${kinds.join(', ')}`,
): string | undefined {
  if (!isMap(v)) {
    report(ctx, `expected ${what}: a map with one of the keys ${kinds.join(', ')}${example}; got ${describeValue(v)}`);
    return undefined;
  }
  const allExtras = Object.values(extras).flat();
  const allowedAll = [...common, ...kinds, ...allExtras];
  const present = Object.keys(v).filter((k) => kinds.includes(k));
  let suggestedKind = false;
  for (const k of Object.keys(v)) {
    if (allowedAll.includes(k)) continue;
    const hint = closest(k, allowedAll);
    if (hint && kinds.includes(hint)) suggestedKind = true;
    unknownKey(ctx, k, allowedAll, what);
  }
  if (present.length === 0) {
    if (!suggestedKind) report(ctx, `${what} needs one of the keys ${kinds.join(', ')}${example}`);
    return undefined;
  }
  if (present.length > 1) {
    report(ctx, `${what} takes exactly one ${variantNoun}, but this one has ${present.join(' and ')}${variantNoun === 'operation' ? ' (split it into separate steps)' : ''}`);
    return undefined;
  }
  const kind = present[0]!;
  for (const [owner, keys] of Object.entries(extras)) {
    if (owner === kind) continue;
    for (const k of keys) {
      if (has(v, k) && !(extras[kind] ?? []).includes(k)) report(ctx, `'${k}' applies only to ${owner} (this is ${kind})`, [k], true);
    }
  }
  return kind;
}

// ---------------------------------------------------------------------------------------------
// Leaves

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const text = z.string();
const nonEmptyText = z.string().min(1);

/** A marker key whose only value is `true` (`close: true`). */
const flag = described(
  z.unknown().transform((v, ctx): true => {
    if (v === true) return true;
    report(ctx, `expected true (the key alone marks this; write it as \`key: true\`), got ${describeValue(v)}`);
    return z.NEVER;
  }),
  () => ({ const: true }),
);

/** A duration in integer microseconds (or nanoseconds with `resolution: 'ns'`). */
function duration(opts: { positive?: boolean; resolution?: 'us' | 'ns' } = {}) {
  const json: JsonSchema = {
    description: `a duration with a unit (ns, us, ms, s, m, h)${opts.positive ? ', greater than 0' : ' or 0'}, e.g. 10ms or 1.5s`,
    anyOf: [...(opts.positive ? [] : [{ const: 0 }]), { type: 'string', pattern: DURATION_PATTERN }],
  };
  return described(z.unknown().transform((v, ctx): number => {
    const r = checkDuration(v, opts.resolution ?? 'us');
    if (!r.ok) {
      report(ctx, r.message);
      return z.NEVER;
    }
    if (opts.positive && r.value === 0) {
      report(ctx, 'must be longer than 0');
      return z.NEVER;
    }
    return r.value;
  }), () => json);
}

/** A size in bytes (Redis memtoull syntax, or a YAML integer). */
function size(opts: { positive?: boolean } = {}) {
  const json: JsonSchema = {
    description: `a size in bytes${opts.positive ? ' (greater than 0)' : ''}: an integer, or digits with a unit b, k, kb, m, mb, g, gb (as in redis.conf), e.g. 16kb`,
    anyOf: [{ type: 'integer', minimum: opts.positive ? 1 : 0 }, { type: 'string', pattern: SIZE_PATTERN }],
  };
  return described(z.unknown().transform((v, ctx): number => {
    const r = checkSize(v);
    if (!r.ok) {
      report(ctx, r.message);
      return z.NEVER;
    }
    if (opts.positive && r.value === 0) {
      report(ctx, 'must be greater than 0');
      return z.NEVER;
    }
    return r.value;
  }), () => json);
}

const direction = z.enum(['both', 'to-server', 'to-client']) satisfies z.ZodType<Direction>;

// ---------------------------------------------------------------------------------------------
// Server and network

/** redis.conf directives: values may be YAML strings or numbers; stored as strings. */
const config = described(z.unknown().transform((v, ctx): Record<string, string> => {
  if (!isMap(v)) {
    report(ctx, `expected a map of redis.conf directives, e.g. {maxclients: 10, timeout: 5}; got ${describeValue(v)}`);
    return z.NEVER;
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.trim() === '' || /\s/.test(k)) report(ctx, `'${k}' is not a redis.conf directive name`, [k], true);
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' && Number.isFinite(x)) out[k] = String(x);
    else if (typeof x === 'boolean') report(ctx, `write "yes" or "no" (redis.conf booleans are yes/no), got ${x}`, [k]);
    else report(ctx, `expected the directive's value as a string or number, got ${describeValue(x)}`, [k]);
  }
  return out;
}), () => ({
  description: 'redis.conf directives, e.g. {maxclients: 10, timeout: 5}; booleans as yes/no',
  type: 'object',
  propertyNames: { pattern: '^\\S+$' },
  additionalProperties: { type: ['string', 'number'] },
}));

const nofile = record('nofile', { soft: int(0), hard: int(0) });

export const DEFAULT_NOFILE = { soft: 1024, hard: 1048576 };

const server = record('server', {
  config,
  nofile: nofile.transform((n, ctx) => {
    const soft = n.soft ?? DEFAULT_NOFILE.soft;
    const hard = n.hard ?? DEFAULT_NOFILE.hard;
    if (soft > hard) {
      report(ctx, `soft limit ${soft} is above the hard limit ${hard}${n.hard === undefined ? ' (the default)' : ''}`, ['soft']);
      return z.NEVER;
    }
    return { soft, hard };
  }),
  'poll-order': z.enum(['fd', 'fifo', 'random']),
  cost: record('cost', {
    command: duration(),
    byte: duration({ resolution: 'ns' }),
    'tls-handshake': duration(),
    'tls-record': duration({ resolution: 'ns' }),
    'tls-byte': duration({ resolution: 'ns' }),
  }),
  port: int(1, 65535),
  host: z.string().refine((h) => isIP(h) !== 0, { message: 'expected an IP address such as 127.0.0.1' }),
  interfaces: list(z.string().refine((h) => isIP(h) !== 0, { message: 'expected an IP address such as 10.0.0.1 or 2001:db8::1' }), 'a list of IP addresses'),
});

const linkShape = {
  latency: duration(),
  jitter: duration(),
  bandwidth: size(),
  sndbuf: size({ positive: true }),
  rcvbuf: size({ positive: true }),
};
const link = record('network', linkShape);

/** Link settings as written (absent fields absent), keyed like LinkSpec. */
export type LinkOverride = Partial<LinkSpec>;

function toLinkOverride(l: z.output<typeof link>): LinkOverride {
  const o: LinkOverride = {};
  if (l.latency !== undefined) o.latencyUs = l.latency;
  if (l.jitter !== undefined) o.jitterUs = l.jitter;
  if (l.bandwidth !== undefined) o.bandwidth = l.bandwidth;
  if (l.sndbuf !== undefined) o.sndbuf = l.sndbuf;
  if (l.rcvbuf !== undefined) o.rcvbuf = l.rcvbuf;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Script steps

const fill = record('a filler', { fill: size() }, ['fill']);

/** One command argument: text (numbers and booleans as their text) or {fill: size}. */
const arg = described(z.unknown().transform((v, ctx): ArgSpec => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isMap(v)) {
    const f = sub(fill, v, ctx, []);
    return f ? { fill: f.fill } : z.NEVER;
  }
  if (v === null) report(ctx, `an argument cannot be empty; write '' for an empty string`);
  else report(ctx, `expected an argument (text or {fill: size}), got ${describeValue(v)}`);
  return z.NEVER;
}), (walk) => ({ anyOf: [{ type: ['string', 'number', 'boolean'] }, walk(fill)] }));

/** A command: "SET k v" (split on whitespace) or a list of arguments. */
const command = described(z.unknown().transform((v, ctx): ArgSpec[] => {
  if (typeof v === 'string') {
    const parts = v.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) report(ctx, 'a command cannot be empty');
    return parts;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) report(ctx, 'a command cannot be empty');
    return v.map((x, i) => sub(arg, x, ctx, [i]) as ArgSpec);
  }
  report(ctx, `expected a command: a string like "SET k v" or a list like [SET, k, {fill: 1mb}]; got ${describeValue(v)}`);
  return z.NEVER;
}), (walk) => ({
  description: 'a command: "SET k v" (split on whitespace) or a list of arguments [SET, k, {fill: 1mb}]',
  anyOf: [{ type: 'string', pattern: '\\S' }, { type: 'array', minItems: 1, items: walk(arg) }],
}));

function latin1(s: string, ctx: Ctx, path: Path): Buffer | undefined {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c > 0xff) {
      report(ctx, `character '${ch}' (U+${c.toString(16).toUpperCase().padStart(4, '0')}) is not a single byte; raw text is sent as latin1, write other bytes as "\\xHH" escapes`, path);
      return undefined;
    }
  }
  return Buffer.from(s, 'latin1');
}

/** raw: a string, or a list of strings and {fill: size}. */
const raw = described(z.unknown().transform((v, ctx): Segment[] => {
  if (typeof v === 'string') {
    if (v === '') report(ctx, 'raw bytes cannot be empty');
    const b = latin1(v, ctx, []);
    return b ? [b] : [];
  }
  if (Array.isArray(v)) {
    if (v.length === 0) report(ctx, 'raw bytes cannot be empty');
    const out: Segment[] = [];
    v.forEach((x, i) => {
      if (typeof x === 'string') {
        const b = latin1(x, ctx, [i]);
        if (b) out.push(b);
      } else if (isMap(x)) {
        const f = sub(fill, x, ctx, [i]);
        if (f) out.push(new Filler(f.fill));
      } else {
        report(ctx, `expected a string or {fill: size}, got ${describeValue(x)}`, [i]);
      }
    });
    return out;
  }
  report(ctx, `expected raw bytes: a string like "PING\\r\\n" or a list of strings and {fill: size}; got ${describeValue(v)}`);
  return z.NEVER;
}), (walk) => ({
  description: 'bytes sent as they are (latin1): a string, or a list of strings and {fill: size}',
  anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { anyOf: [{ type: 'string' }, walk(fill)] } }],
}));

const inline = described(z.unknown().transform((v, ctx): string => {
  if (typeof v !== 'string') {
    report(ctx, `expected the inline command as a string, got ${describeValue(v)}`);
    return z.NEVER;
  }
  if (/[\r\n]/.test(v)) report(ctx, 'an inline command is one line ("\\r\\n" is added); use raw: to send several lines');
  return v;
}), () => ({ description: 'an inline command: one line of text ("\\r\\n" is added)', type: 'string', pattern: '^[^\\r\\n]*$' }));

const commandList = list(command, 'a list of commands', 1);
const pipelineRecord = record('pipeline', { commands: commandList, repeat: int(1) }, ['commands']);
const pipeline = described(z.unknown().transform((v, ctx): { commands: ArgSpec[][]; repeat: number } => {
  if (Array.isArray(v)) {
    const commands = sub(commandList, v, ctx, []);
    return commands ? { commands, repeat: 1 } : z.NEVER;
  }
  const p = sub(pipelineRecord, v, ctx, []);
  return p ? { commands: p.commands, repeat: p.repeat ?? 1 } : z.NEVER;
}), (walk) => ({ anyOf: [walk(commandList), walk(pipelineRecord)] }));

const STEP_OPS = {
  call: command,
  send: command,
  inline,
  raw,
  pipeline,
  wait: duration(),
  'wait-replies': int(0),
  'wait-closed': flag,
  'stop-reading': flag,
  'resume-reading': flag,
  close: flag,
  vanish: flag,
} satisfies Record<Step['op'], z.ZodType>;
const STEP_KEYS = Object.keys(STEP_OPS);

const step = described(z.unknown().transform((v, ctx): Step => {
  const op = variantOf(ctx, v, 'a step', STEP_KEYS, [], {}, ', e.g. {call: PING}', 'operation') as Step['op'] | undefined;
  if (op === undefined) return z.NEVER;
  const value = sub(STEP_OPS[op] as z.ZodType, (v as Record<string, unknown>)[op], ctx, [op]);
  if (value === undefined) return z.NEVER;
  switch (op) {
    case 'call':
    case 'send':
      return { op, args: value as ArgSpec[] };
    case 'inline':
      return { op, text: value as string };
    case 'raw':
      return { op, bytes: value as Segment[] };
    case 'pipeline':
      return { op, ...(value as { commands: ArgSpec[][]; repeat: number }) };
    case 'wait':
      return { op, us: value as number };
    case 'wait-replies':
      return { op, count: value as number };
    default:
      return { op };
  }
}), (walk) => ({
  description: 'a step: a map with exactly one operation, e.g. {call: PING}',
  type: 'object',
  properties: mapValues(STEP_OPS, (s) => walk(s)),
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
}));

// ---------------------------------------------------------------------------------------------
// Clients

export const CLIENT_NAME_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * A client's TLS settings: it connects to the server's tls-port and does a TLS 1.3 handshake
 * before its script. `tls: true` takes every default.
 */
const tlsRecord = record('tls', {
  /** The certificate it presents when asked: valid (default), none, untrusted (another CA), expired. */
  cert: z.enum(['valid', 'none', 'untrusted', 'expired']),
  /** Whether it accepts the server's certificate (default true); false aborts with an unknown_ca alert. */
  'trust-server': z.boolean(),
  /** Cut the handshake off: half-hello (half a ClientHello, then close), after-hello (close once the server answers). */
  'cut-handshake': z.enum(['half-hello', 'after-hello']),
});
const tls = described(z.unknown().transform((v, ctx): z.output<typeof tlsRecord> | undefined => {
  if (v === true) return {};
  if (v === false) return undefined;
  return sub(tlsRecord, v, ctx, []);
}), (walk) => ({ description: 'TLS for this client: true, or a map of settings', oneOf: [{ type: 'boolean' }, walk(tlsRecord)] }));

const client = record(
  'a client',
  {
    name: z.string().regex(CLIENT_NAME_RE, { message: 'a client name uses only letters, digits, _ . and -' }),
    count: int(1, 1_000_000),
    'connect-at': duration(),
    'connect-every': duration(),
    addr: z.string().refine((h) => isIP(h) !== 0, { message: 'expected an IP address such as 10.0.0.5 or ::1' }),
    'connect-to': z.string().refine((h) => isIP(h) !== 0, { message: 'expected an IP address such as 127.0.0.1 or ::1' }),
    'connect-port': int(1, 65535),
    /** How long the program waits for connect() before giving up and closing the socket; absent = the kernel's ETIMEDOUT after 127 s. */
    'connect-timeout': duration({ positive: true }),
    tls,
    network: link.transform(toLinkOverride),
    script: list(step, 'a list of steps'),
  },
  ['name'],
);

export type ClientEntry = z.output<typeof client>;

// ---------------------------------------------------------------------------------------------
// Faults

const sizePair = z.tuple([int(1), int(1)]);
const sliceRecord = record('slice', {
  direction,
  sizes: list(int(1), 'a list of segment sizes in bytes', 1),
  random: described(z.unknown().transform((v, ctx): [number, number] => {
    const pair = sub(sizePair, v, ctx, []);
    if (!pair) return z.NEVER;
    if (pair[0] > pair[1]) {
      report(ctx, `expected [min, max] with min <= max, got [${pair[0]}, ${pair[1]}]`);
      return z.NEVER;
    }
    return pair;
  }), (walk) => ({ description: '[min, max] segment sizes in bytes, min <= max', ...walk(sizePair) })),
});
const slice = described(sliceRecord.transform((s, ctx) => {
  if ((s.sizes === undefined) === (s.random === undefined)) {
    report(ctx, s.sizes ? 'give either sizes or random, not both' : 'slice needs sizes: [n, …] or random: [min, max]');
    return z.NEVER;
  }
  return s;
}), (walk) => ({ ...walk(sliceRecord), oneOf: [{ required: ['sizes'] }, { required: ['random'] }] }));

const FAULT_KINDS = ['partition', 'vanish', 'rst', 'slice'] as const;
const FAULT_COMMON = ['at', 'client'];
/** Keys that belong to one fault kind only. */
const FAULT_EXTRAS = { partition: ['duration'] };
const FAULT_FIELDS = {
  at: duration(),
  client: nonEmptyText,
  partition: direction,
  duration: duration({ positive: true }),
  vanish: flag,
  rst: z.enum(['server', 'client']),
  slice,
};

const fault = described(z.unknown().transform((v, ctx): FaultSpec => {
  const kind = variantOf(ctx, v, 'a fault', FAULT_KINDS, FAULT_COMMON, FAULT_EXTRAS, ', e.g. {at: 1s, client: c1, vanish: true}');
  if (!isMap(v)) return z.NEVER;
  const f: Record<string, unknown> = {};
  let bad = kind === undefined;
  const need = ['at', 'client', ...(kind === 'partition' ? ['duration'] : [])];
  for (const k of need) {
    if (!has(v, k)) {
      report(ctx, `a ${kind ?? ''}${kind ? ' ' : ''}fault needs the key '${k}'`);
      bad = true;
    }
  }
  for (const [k, schema] of Object.entries(FAULT_FIELDS)) {
    if (!has(v, k)) continue;
    if ((k === 'duration' && kind !== 'partition') || ((FAULT_KINDS as readonly string[]).includes(k) && k !== kind)) continue;
    f[k] = sub(schema as z.ZodType, v[k], ctx, [k]);
    if (f[k] === undefined) bad = true;
  }
  if (bad) return z.NEVER;
  const base = { atUs: f.at as number, client: f.client as string };
  switch (kind as (typeof FAULT_KINDS)[number]) {
    case 'partition':
      return { ...base, kind: 'partition', direction: f.partition as Direction, durationUs: f.duration as number };
    case 'vanish':
      return { ...base, kind: 'vanish' };
    case 'rst':
      return { ...base, kind: 'rst', toward: f.rst as 'server' | 'client' };
    case 'slice': {
      const s = f.slice as z.output<typeof slice>;
      const dir = s.direction ?? 'to-server';
      return s.sizes ? { ...base, kind: 'slice', direction: dir, sizes: s.sizes } : { ...base, kind: 'slice', direction: dir, random: s.random! };
    }
  }
}), (walk) => {
  // Each kind-specific key needs its kind, and the kind needs it (partition ⇔ duration).
  const dependencies: Record<string, string[]> = {};
  for (const [owner, keys] of Object.entries(FAULT_EXTRAS)) {
    dependencies[owner] = [...keys];
    for (const k of keys) dependencies[k] = [owner];
  }
  return {
    description: 'a fault: at, client and exactly one of partition (with duration), vanish, rst, slice',
    type: 'object',
    properties: mapValues(FAULT_FIELDS, (s) => walk(s)),
    required: [...FAULT_COMMON],
    additionalProperties: false,
    oneOf: FAULT_KINDS.map((k) => ({ required: [k] })),
    dependencies,
  };
});

// ---------------------------------------------------------------------------------------------
// Firewall

/** A client-side address block: an IPv4/IPv6 address or CIDR (checked by the matcher's own parser). */
const cidr = described(z.unknown().transform((v, ctx): string => {
  if (typeof v !== 'string') {
    report(ctx, `expected an address or address block such as 10.0.0.0/8, 203.0.113.9 or ::/0; got ${describeValue(v)}`);
    return z.NEVER;
  }
  const c = parseCidr(v);
  if (typeof c === 'string') {
    report(ctx, c);
    return z.NEVER;
  }
  return v;
}), () => ({ description: 'an IPv4 or IPv6 address, or a block ADDRESS/PREFIX such as 10.0.0.0/8 or ::/0', type: 'string', pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?$' }));

const firewallRecord = record('a firewall rule', {
  /** allow: the packet passes; drop: it is lost silently; reject: its sender gets a RST. */
  action: z.enum(['allow', 'drop', 'reject']),
  /** The client-side address or block the rule matches (absent = any). */
  from: cidr,
  /** The server port of the connection (absent = any). */
  port: int(1, 65535),
  /** in: client → server packets; out: server → client; both. Default in. */
  direction: z.enum(['in', 'out', 'both']),
  /** When the rule is installed. Default 0 (in place from the start). */
  at: duration(),
  /** When the rule is removed (later than at). Default never. */
  until: duration({ positive: true }),
}, ['action']);

const firewallRule = firewallRecord.transform((r, ctx): FirewallRuleSpec => {
  const atUs = r.at ?? 0;
  if (r.until !== undefined && r.until <= atUs) {
    report(ctx, `until must be later than at (${atUs === 0 ? '0' : 'the time the rule is installed'}): the rule would never be in place`, ['until']);
    return z.NEVER;
  }
  return {
    action: r.action,
    ...(r.from !== undefined ? { from: r.from } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    direction: r.direction ?? 'in',
    atUs,
    ...(r.until !== undefined ? { untilUs: r.until } : {}),
  };
});

// ---------------------------------------------------------------------------------------------
// Expectations

/** Close reasons (timeline/events.ts CloseReason); the Record type keeps the two in step. */
const CLOSE_REASON_SET: Record<CloseReason, true> = {
  quit: true,
  'peer-closed': true,
  'protocol-error': true,
  'querybuf-limit': true,
  'obuf-hard-limit': true,
  'obuf-soft-limit': true,
  'idle-timeout': true,
  keepalive: true,
  killed: true,
  reset: true,
  security: true,
  'protected-mode': true,
  'write-error': true,
  'tls-handshake': true,
  'tls-error': true,
};
export const CLOSE_REASONS = Object.keys(CLOSE_REASON_SET) as CloseReason[];

const REJECT_REASON_SET: Record<RejectReason, true> = { maxclients: true, 'protected-mode': true, refused: true, 'backlog-full': true };
const REJECT_REASONS = Object.keys(REJECT_REASON_SET);

type FieldsOf<K extends EventKind> = Exclude<keyof Extract<EventBody, { kind: K }>, 'kind'>;
/** Fields of each event kind (timeline/events.ts EventBody); the mapped type keeps them in step. */
const EVENT_FIELDS: { [K in EventKind]: Record<FieldsOf<K>, true> } = {
  connect: { addr: true, result: true },
  accept: { id: true, fd: true, addr: true },
  reject: { reason: true, addr: true, detail: true },
  read: { id: true, bytes: true, qbuf: true },
  command: { id: true, name: true, args: true },
  reply: { id: true, bytes: true, text: true },
  write: { id: true, bytes: true, pending: true },
  close: { id: true, reason: true, detail: true },
  log: { level: true, line: true },
  cron: { hz: true, visited: true, clients: true },
  fault: { fault: true, detail: true },
  tls: { id: true, what: true, detail: true },
  firewall: { action: true, rule: true, addr: true, port: true, dir: true },
  client: { what: true, detail: true },
  horizon: {},
};
const EVENT_KINDS = Object.keys(EVENT_FIELDS) as EventKind[];
const BASE_FIELDS = ['kind', 'client', 't', 'seq'];
const ALL_FIELDS = [...new Set([...BASE_FIELDS, ...Object.values(EVENT_FIELDS).flatMap((f) => Object.keys(f))])];

export function isRegexPattern(v: unknown): v is `/${string}/` {
  return typeof v === 'string' && v.length >= 2 && v.startsWith('/') && v.endsWith('/');
}

/** An event pattern: known fields of the event kind, scalar values, valid regexes. */
const pattern = described(z.unknown().transform((v, ctx): EventPattern => {
  if (!isMap(v)) {
    report(ctx, `expected an event pattern such as {kind: close, reason: quit}; got ${describeValue(v)}`);
    return z.NEVER;
  }
  if (Object.keys(v).length === 0) report(ctx, 'an event pattern needs at least one field, e.g. {kind: close}');
  let fields = ALL_FIELDS;
  const kind = v.kind;
  let literalKind: EventKind | undefined;
  if (typeof kind === 'string' && !isRegexPattern(kind)) {
    if ((EVENT_KINDS as string[]).includes(kind)) {
      literalKind = kind as EventKind;
      fields = [...BASE_FIELDS, ...Object.keys(EVENT_FIELDS[literalKind])];
    } else {
      const hint = closest(kind, EVENT_KINDS);
      report(ctx, `unknown event kind '${kind}'${hint ? `; did you mean '${hint}'?` : ''} (kinds: ${EVENT_KINDS.join(', ')})`, ['kind']);
    }
  }
  const out: EventPattern = {};
  for (const [k, x] of Object.entries(v)) {
    if (!fields.includes(k)) {
      const hint = closest(k, fields);
      const of = literalKind ? `${literalKind} events` : 'events';
      report(ctx, `${of} have no field '${k}'${hint ? `; did you mean '${hint}'?` : ''} (fields: ${fields.join(', ')})`, [k], true);
      continue;
    }
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      report(ctx, `expected a string, number or boolean to match, got ${describeValue(x)}`, [k]);
      continue;
    }
    if (isRegexPattern(x)) {
      try {
        new RegExp(x.slice(1, -1));
      } catch (e) {
        report(ctx, `invalid regular expression ${x}: ${(e as Error).message}`, [k]);
      }
    } else if (k === 'reason' && typeof x === 'string') {
      const vocab = literalKind === 'close' ? CLOSE_REASONS : literalKind === 'reject' ? REJECT_REASONS : [...CLOSE_REASONS, ...REJECT_REASONS];
      if (!vocab.includes(x)) {
        const hint = closest(x, vocab);
        report(ctx, `unknown reason '${x}'${hint ? `; did you mean '${hint}'?` : ''} (reasons: ${vocab.join(', ')})`, [k]);
      }
    }
    out[k] = x;
  }
  return out;
}), () => {
  const scalar = { type: ['string', 'number', 'boolean'] };
  const regex = { type: 'string', pattern: '^/.*/$' };
  const reasons = [...new Set([...CLOSE_REASONS, ...REJECT_REASONS])];
  return {
    description: 'an event pattern: event fields and the values they must have (a string /…/ is a regular expression)',
    type: 'object',
    properties: Object.fromEntries(ALL_FIELDS.map((f) => [f, f === 'kind' ? { anyOf: [{ enum: EVENT_KINDS }, regex] } : f === 'reason' ? { anyOf: [{ enum: reasons }, regex] } : scalar])),
    additionalProperties: false,
    minProperties: 1,
    // With a literal kind, only that kind's fields (and its reasons) are allowed.
    allOf: EVENT_KINDS.map((k) => ({
      if: { properties: { kind: { const: k } }, required: ['kind'] },
      then: {
        propertyNames: { enum: [...BASE_FIELDS, ...Object.keys(EVENT_FIELDS[k])] },
        ...(k === 'close' ? { properties: { reason: { anyOf: [{ enum: CLOSE_REASONS }, regex] } } } : {}),
        ...(k === 'reject' ? { properties: { reason: { anyOf: [{ enum: REJECT_REASONS }, regex] } } } : {}),
      },
    })),
  };
});

const TIMELINE_KINDS = ['contains', 'lacks'] as const;
const timeline = described(z.unknown().transform((v, ctx): { kind: 'contains' | 'lacks'; pattern: EventPattern } => {
  const kind = variantOf(ctx, v, 'a timeline expectation', TIMELINE_KINDS, [], {}, ', e.g. {contains: {kind: close}}');
  if (kind === undefined) return z.NEVER;
  const p = sub(pattern, (v as Record<string, unknown>)[kind], ctx, [kind]);
  return p ? { kind: kind as 'contains' | 'lacks', pattern: p } : z.NEVER;
}), (walk) => ({
  description: '{contains: PATTERN} or {lacks: PATTERN}',
  type: 'object',
  properties: Object.fromEntries(TIMELINE_KINDS.map((k) => [k, walk(pattern)])),
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
}));

/** First characters of reply renderings (protocol/reply-reader.ts renderReply, docs/scenarios.md). */
const REPLY_STARTS = '+-:$*_[~>{,#=(';
const reply = described(z.unknown().transform((v, ctx): string => {
  if (typeof v !== 'string') {
    const h = Array.isArray(v) || isMap(v) ? ' (quote renderings that begin with [ or {, e.g. \'[$a, :1]\')' : '';
    report(ctx, `expected a rendered reply as a string such as '+OK', got ${describeValue(v)}${h}`);
    return z.NEVER;
  }
  if (v === '' || !REPLY_STARTS.includes(v[0]!)) {
    report(ctx, `'${v}' is not a rendered reply: it begins with + (status), - (error), : (integer), $ (bulk or $-1), *-1, _, [ (array), ~[ (set), >[ (push), { (map), , (double), # (boolean), = (verbatim) or ( (big number)${/^[A-Z]+$/.test(v) ? `; did you mean '+${v}'?` : ''}`);
    return z.NEVER;
  }
  return v;
}), () => ({
  description: "a rendered reply such as '+PONG', ':1', '$hello' or '[$a, :1]' (quote it)",
  // An unquoted +1 or -1 is a YAML number, whose text the loader keeps.
  anyOf: [{ type: 'string', pattern: `^[${REPLY_STARTS.replace(/[\\\]^[-]/g, '\\$&')}]` }, { type: 'number' }],
}));

// A refusal (reject event) also ends the connection, so `closed` accepts its reasons too.
const closedRecord = record('closed', { reason: z.enum([...CLOSE_REASONS, ...REJECT_REASONS] as [string, ...string[]]), after: duration(), before: duration() });
const closedSpec = described(z.unknown().transform((v, ctx): { reason?: string; afterUs?: number; beforeUs?: number } => {
  if (v === true) return {};
  if (!isMap(v)) {
    const h = v === false ? '; to expect the connection to stay open write open: true' : '';
    report(ctx, `expected true or a map {reason, after, before}, got ${describeValue(v)}${h}`);
    return z.NEVER;
  }
  const c = sub(closedRecord, v, ctx, []);
  const after = checkDuration(v.after);
  const before = checkDuration(v.before);
  if (after.ok && before.ok && after.value >= before.value) {
    report(ctx, 'before must be later than after (the window is after <= t < before): no time can satisfy both', ['before']);
    return z.NEVER;
  }
  if (!c) return z.NEVER;
  const out: { reason?: string; afterUs?: number; beforeUs?: number } = {};
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.after !== undefined) out.afterUs = c.after;
  if (c.before !== undefined) out.beforeUs = c.before;
  return out;
}), (walk) => ({ anyOf: [{ const: true }, walk(closedRecord)] }));

/** An expectation without its line (added by the loader, which also expands group names). */
export type ExpectationEntry = Expectation extends infer E ? (E extends unknown ? Omit<E, 'line'> : never) : never;

/** The value of each kind of expectation. */
const EXPECT_FIELDS = {
  replies: list(reply, 'a list of rendered replies'),
  'reply-count': int(0),
  closed: closedSpec,
  open: flag,
  timeline,
};
const EXPECT_KINDS = Object.keys(EXPECT_FIELDS) as (keyof typeof EXPECT_FIELDS)[];
const expectation = described(z.unknown().transform((v, ctx): ExpectationEntry => {
  const kind = variantOf(ctx, v, 'an expectation', EXPECT_KINDS, ['client'], {}, ', e.g. {client: c1, replies: [+PONG]}') as keyof typeof EXPECT_FIELDS | undefined;
  if (!isMap(v)) return z.NEVER;
  let clientName: string | undefined;
  if (kind === 'timeline') {
    if (has(v, 'client')) report(ctx, "a timeline expectation is about the whole run and takes no client; match one with client: inside the pattern", ['client'], true);
  } else if (has(v, 'client')) {
    clientName = sub(nonEmptyText, v.client, ctx, ['client']);
  } else if (kind !== undefined) {
    report(ctx, `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} expectation needs the key 'client'`);
  }
  if (kind === undefined) return z.NEVER;
  const value = v[kind];
  const client = clientName as string;
  switch (kind) {
    case 'replies': {
      const r = sub(EXPECT_FIELDS.replies, value, ctx, [kind]);
      return r && clientName !== undefined ? { kind: 'replies', client, replies: r } : z.NEVER;
    }
    case 'reply-count': {
      const n = sub(EXPECT_FIELDS['reply-count'], value, ctx, [kind]);
      return n !== undefined && clientName !== undefined ? { kind: 'reply-count', client, count: n } : z.NEVER;
    }
    case 'closed': {
      const c = sub(EXPECT_FIELDS.closed, value, ctx, [kind]);
      return c && clientName !== undefined ? { kind: 'closed', client, ...c } : z.NEVER;
    }
    case 'open': {
      const o = sub(EXPECT_FIELDS.open, value, ctx, [kind]);
      return o && clientName !== undefined ? { kind: 'open', client } : z.NEVER;
    }
    case 'timeline': {
      const t = sub(EXPECT_FIELDS.timeline, value, ctx, [kind]);
      return t ? { kind: t.kind, pattern: t.pattern } : z.NEVER;
    }
  }
}), (walk) => ({
  description: 'an expectation: exactly one of replies, reply-count, closed, open (each with client) or timeline (without)',
  type: 'object',
  properties: { client: walk(nonEmptyText), ...mapValues(EXPECT_FIELDS, (s) => walk(s)) },
  additionalProperties: false,
  oneOf: EXPECT_KINDS.map((k) => (k === 'timeline' ? { required: [k], not: { required: ['client'] } } : { required: [k, 'client'] })),
}));

// ---------------------------------------------------------------------------------------------
// The file

/** The whole file. Top-level keys beginning with `x-` are ignored (a place for YAML anchors). */
export const scenarioSchema = record('the scenario', {
  name: nonEmptyText,
  description: text,
  seed: int(0),
  horizon: duration({ positive: true }),
  server,
  network: link.transform(toLinkOverride),
  clients: list(client, 'a list of clients'),
  faults: list(fault, 'a list of faults'),
  /** Firewall rules applied by the network, first match wins, no match allows (docs/scenarios.md#firewall). */
  firewall: list(firewallRule, 'a list of firewall rules'),
  expect: list(expectation, 'a list of expectations'),
}, [], /^x-/);

export type ScenarioEntry = z.output<typeof scenarioSchema>;

/** Keys whose list items are command arguments or replies: the loader keeps their exact text. */
export const TEXT_LIST_KEYS = new Set(['call', 'send', 'pipeline', 'commands', 'replies']);
