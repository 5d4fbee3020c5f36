// fast-check arbitraries of scenarios, for property tests of the simulator (test/properties/) and
// for users' own suites (examples/fairness.test.ts; docs/properties.md).
//
// Building blocks, small to large:
//   server configs (maxclients, timeout, hz, output/query buffer limits, the policy switches),
//   nofile limits, cost models, links (latency, jitter, buffers), commands, client scripts
//   (request-response, pipelines, pub/sub, slow readers, idle, blocked, connect/close churn),
//   faults (partitions, slicing, resets, vanishing), and whole scenarios — as the typed `Scenario`
//   (`scenarioArb`), as plain input (`scenarioInputArb`, built with `makeScenario`) or as YAML text
//   (`scenarioYamlArb`, read back with `parseScenario`).
//
// Every option accepts either a fixed value or an arbitrary (`Gen<T>`), so a test pins what it is
// about and lets the rest vary. Defaults are deliberately small (few clients, short scripts, short
// horizons) so that a property runs dozens of scenarios in seconds and shrinks quickly.
import fc from 'fast-check';
import { encodeCommand } from './script.ts';
import { makeScenario, scenarioToYaml, withChanges, type ClientInput, type ScenarioInput } from './build.ts';
import type { ArgSpec, FaultSpec, LinkSpec, Scenario, Step } from './types.ts';
import type { Direction } from '../kernel/types.ts';

/** A fixed value or an arbitrary of it. */
export type Gen<T> = T | fc.Arbitrary<T>;

/** `g` as an arbitrary: `dflt` when undefined, a constant when a plain value. */
export function gen<T>(g: Gen<T> | undefined, dflt: fc.Arbitrary<T>): fc.Arbitrary<T> {
  if (g === undefined) return dflt;
  return g instanceof fc.Arbitrary ? g : fc.constant(g);
}

/** `arb`, or (about one time in three) undefined: a directive left at its default. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { freq: 3, nil: undefined });
}

const MS = 1000;
const S = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Server

/** Sizes in bytes for output-buffer limits of one class; 0 = no limit. */
export interface ObufClassOptions {
  hard?: Gen<number>;
  soft?: Gen<number>;
  softSeconds?: Gen<number>;
}

/**
 * A `client-output-buffer-limit` value: `normal H S N` and/or `pubsub H S N` (bytes, bytes, s).
 * Defaults: hard 0 or 256 KiB–4 MiB, soft 0 or 32 KiB–1 MiB, soft-seconds 1–3.
 */
export function obufLimitsArb(o: { normal?: ObufClassOptions | null; pubsub?: ObufClassOptions | null } = {}): fc.Arbitrary<string> {
  const cls = (name: string, c: ObufClassOptions | null | undefined): fc.Arbitrary<string> => {
    if (c === null) return fc.constant('');
    return fc
      .record({
        hard: gen(c?.hard, fc.oneof(fc.constant(0), fc.integer({ min: 256 * 1024, max: 4 * 1024 * 1024 }))),
        soft: gen(c?.soft, fc.oneof(fc.constant(0), fc.integer({ min: 32 * 1024, max: 1024 * 1024 }))),
        secs: gen(c?.softSeconds, fc.integer({ min: 1, max: 3 })),
      })
      .map(({ hard, soft, secs }) => `${name} ${hard} ${soft} ${secs}`);
  };
  return fc.tuple(cls('normal', o.normal), cls('pubsub', o.pubsub)).map((parts) => parts.filter(Boolean).join(' ')).filter((s) => s !== '');
}

/** Directives of `server.config`. `undefined` (as a value) leaves a directive out. */
export interface ServerConfigOptions {
  maxclients?: Gen<number | undefined>;
  /** Idle timeout, seconds (0 = none). */
  timeout?: Gen<number | undefined>;
  hz?: Gen<number | undefined>;
  /** A whole `client-output-buffer-limit` value (see obufLimitsArb). */
  clientOutputBufferLimit?: Gen<string | undefined>;
  /** Bytes; Redis's minimum is 1 MiB. */
  clientQueryBufferLimit?: Gen<number | undefined>;
  readPolicy?: Gen<'single' | 'drain' | undefined>;
  timeoutPolicy?: Gen<'lazy' | 'exact' | undefined>;
  obufSoftTimer?: Gen<'7.0.15' | 'fixed' | undefined>;
  clientLimitPolicy?: Gen<'2.6' | '2.4' | undefined>;
  profile?: Gen<'debian' | 'upstream' | undefined>;
  /** Any other directives, added as given. */
  extra?: Gen<Record<string, string>>;
}

/**
 * A `server.config` map. Without options every directive is either left out or drawn from a small
 * range: maxclients 1–16, timeout 0–3 s, hz 1/10/50/100, output limits as obufLimitsArb, query
 * buffer limit 1–4 MiB, and each policy switch either way.
 */
export function serverConfigArb(o: ServerConfigOptions = {}): fc.Arbitrary<Record<string, string>> {
  return fc
    .record({
      maxclients: gen(o.maxclients, sometimes(fc.integer({ min: 1, max: 16 }))),
      timeout: gen(o.timeout, sometimes(fc.integer({ min: 0, max: 3 }))),
      hz: gen(o.hz, sometimes(fc.constantFrom(1, 10, 50, 100))),
      'client-output-buffer-limit': gen(o.clientOutputBufferLimit, sometimes(obufLimitsArb())),
      'client-query-buffer-limit': gen(o.clientQueryBufferLimit, sometimes(fc.integer({ min: 1 << 20, max: 4 << 20 }))),
      'read-policy': gen(o.readPolicy, sometimes(fc.constantFrom('single' as const, 'drain' as const))),
      'timeout-policy': gen(o.timeoutPolicy, sometimes(fc.constantFrom('lazy' as const, 'exact' as const))),
      'obuf-soft-timer': gen(o.obufSoftTimer, sometimes(fc.constantFrom('7.0.15' as const, 'fixed' as const))),
      'client-limit-policy': gen(o.clientLimitPolicy, sometimes(fc.constantFrom('2.6' as const, '2.4' as const))),
      profile: gen(o.profile, sometimes(fc.constantFrom('debian' as const, 'upstream' as const))),
      extra: gen(o.extra, fc.constant({})),
    })
    .map(({ extra, ...d }) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(d)) if (v !== undefined) out[k] = String(v);
      return { ...out, ...extra };
    });
}

/** RLIMIT_NOFILE of the server: soft 33–1024 (sometimes just above the 32 reserved fds), hard ≥ soft. */
export function nofileArb(o: { soft?: Gen<number>; hard?: Gen<number> } = {}): fc.Arbitrary<{ soft: number; hard: number }> {
  return fc
    .record({ soft: gen(o.soft, fc.oneof(fc.integer({ min: 33, max: 64 }), fc.constant(1024))), extra: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }), fc.constant(1048576)) })
    .chain(({ soft, extra }) => gen(o.hard, fc.constant(soft + extra)).map((hard) => ({ soft, hard: Math.max(soft, hard) })));
}

/** Options of `serverArb`: the config directives plus the simulator's own server settings. */
export interface ServerOptions {
  /** How to draw `server.config` (see serverConfigArb). Ignored when `directives` is given. */
  config?: ServerConfigOptions;
  /** The whole `server.config` map, fixed or drawn: replaces `config`. */
  directives?: Gen<Record<string, string>>;
  /** RLIMIT_NOFILE; default: the loader's (soft 1024, hard 1048576). */
  nofile?: Gen<{ soft: number; hard: number } | undefined>;
  /** Default: any of fd, fifo, random. */
  pollOrder?: Gen<'fd' | 'fifo' | 'random'>;
  /** Virtual CPU per command (µs) and per byte (ns). Default 1–5 µs and 0–2 ns. */
  cost?: Gen<{ commandUs: number; byteNs: number }>;
}

/** The `server` part of a scenario. */
export function serverArb(o: ServerOptions = {}): fc.Arbitrary<NonNullable<ScenarioInput['server']>> {
  return fc
    .record({
      config: o.directives !== undefined ? gen(o.directives, fc.constant({})) : serverConfigArb(o.config),
      nofile: gen(o.nofile, fc.constant(undefined)),
      pollOrder: gen(o.pollOrder, fc.constantFrom('fd' as const, 'fifo' as const, 'random' as const)),
      cost: gen(o.cost, fc.record({ commandUs: fc.integer({ min: 1, max: 5 }), byteNs: fc.integer({ min: 0, max: 2 }) })),
    })
    .map(({ nofile, ...rest }) => (nofile ? { ...rest, nofile } : rest));
}

/** Link settings: latency 10–500 µs, jitter 0 or up to 200 µs; buffers left at Linux's defaults unless given. */
export function linkArb(o: { latencyUs?: Gen<number>; jitterUs?: Gen<number>; bandwidth?: Gen<number | undefined>; sndbuf?: Gen<number | undefined>; rcvbuf?: Gen<number | undefined> } = {}): fc.Arbitrary<Partial<LinkSpec>> {
  return fc
    .record({
      latencyUs: gen(o.latencyUs, fc.integer({ min: 10, max: 500 })),
      jitterUs: gen(o.jitterUs, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }))),
      bandwidth: gen(o.bandwidth, fc.constant(undefined)),
      sndbuf: gen(o.sndbuf, fc.constant(undefined)),
      rcvbuf: gen(o.rcvbuf, fc.constant(undefined)),
    })
    .map((l) => {
      const out: Partial<LinkSpec> = {};
      for (const [k, v] of Object.entries(l)) if (v !== undefined) (out as Record<string, number>)[k] = v;
      return out;
    });
}

// ---------------------------------------------------------------------------------------------
// Commands

const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);

/**
 * A command that touches only keys under `ns:` (so clients with different namespaces do not depend
 * on each other): PING, ECHO, SET/GET/DEL/EXISTS, INCR, RPUSH/LPOP/LRANGE, and ECHO of a virtual
 * payload up to `maxFill` bytes.
 */
export function independentCommandArb(ns: string, o: { maxFill?: number } = {}): fc.Arbitrary<ArgSpec[]> {
  const key = fc.constantFrom(`${ns}:a`, `${ns}:b`);
  return fc.oneof(
    fc.constant<ArgSpec[]>(['PING']),
    word.map((w): ArgSpec[] => ['ECHO', w]),
    fc.tuple(key, word).map(([k, v]): ArgSpec[] => ['SET', k, v]),
    key.map((k): ArgSpec[] => ['GET', k]),
    key.map((k): ArgSpec[] => ['DEL', k]),
    key.map((k): ArgSpec[] => ['EXISTS', k]),
    fc.constant<ArgSpec[]>(['INCR', `${ns}:n`]),
    word.map((w): ArgSpec[] => ['RPUSH', `${ns}:l`, w]),
    fc.constant<ArgSpec[]>(['LPOP', `${ns}:l`]),
    fc.constant<ArgSpec[]>(['LRANGE', `${ns}:l`, '0', '-1']),
    fc.integer({ min: 1, max: o.maxFill ?? 2000 }).map((n): ArgSpec[] => ['ECHO', { fill: n }]),
  );
}

/** A command on keys every client shares: replies then depend on the order clients are served. */
export function sharedCommandArb(): fc.Arbitrary<ArgSpec[]> {
  return fc.oneof(
    fc.constant<ArgSpec[]>(['INCR', 'shared:n']),
    word.map((w): ArgSpec[] => ['RPUSH', 'shared:l', w]),
    fc.constant<ArgSpec[]>(['LPOP', 'shared:l']),
    word.map((w): ArgSpec[] => ['SET', 'shared:k', w]),
    fc.constant<ArgSpec[]>(['GET', 'shared:k']),
  );
}

/** The small commands busy clients pipeline (14–40 bytes each on the wire). */
export function smallCommandArb(ns = 'h'): fc.Arbitrary<ArgSpec[]> {
  return fc.oneof(
    fc.constant<ArgSpec[]>(['PING']),
    fc.constant<ArgSpec[]>(['INCR', `${ns}:n`]),
    word.map((w): ArgSpec[] => ['SET', `${ns}:k`, w]),
    fc.constant<ArgSpec[]>(['GET', `${ns}:k`]),
    word.map((w): ArgSpec[] => ['ECHO', w]),
  );
}

// ---------------------------------------------------------------------------------------------
// Client scripts

/** Request-response: optional pause, then 1–4 calls with short pauses between. */
export function requestResponseScriptArb(o: { commands?: fc.Arbitrary<ArgSpec[]>; calls?: { min: number; max: number }; pauseUs?: Gen<number> } = {}): fc.Arbitrary<Step[]> {
  const cmd = o.commands ?? independentCommandArb('rr');
  const pause = gen(o.pauseUs, fc.integer({ min: 0, max: 20 * MS }));
  return fc
    .tuple(pause, fc.array(fc.tuple(cmd, pause), { minLength: o.calls?.min ?? 1, maxLength: o.calls?.max ?? 4 }))
    .map(([first, calls]) => {
      const out: Step[] = [];
      if (first > 0) out.push({ op: 'wait', us: first });
      calls.forEach(([args, p], i) => {
        out.push({ op: 'call', args });
        if (p > 0 && i < calls.length - 1) out.push({ op: 'wait', us: p });
      });
      return out;
    });
}

/**
 * A pipelining (busy) client: `repeat` copies of 1–3 commands in one write, then (by default) a
 * wait for all the replies.
 */
export function pipelineScriptArb(o: { commands?: fc.Arbitrary<ArgSpec[]>; repeat?: Gen<number>; waitForReplies?: boolean } = {}): fc.Arbitrary<Step[]> {
  return fc
    .record({ commands: fc.array(o.commands ?? smallCommandArb(), { minLength: 1, maxLength: 3 }), repeat: gen(o.repeat, fc.integer({ min: 1, max: 2000 })) })
    .map(({ commands, repeat }) => {
      const s: Step[] = [{ op: 'pipeline', commands, repeat }];
      if (o.waitForReplies !== false) s.push({ op: 'wait-replies', count: commands.length * repeat });
      return s;
    });
}

/** A pub/sub subscriber: SUBSCRIBE to 1–2 channels, then stay connected for `holdUs`. */
export function subscriberScriptArb(o: { channels?: readonly string[]; holdUs?: Gen<number>; unsubscribeAfterUs?: Gen<number | undefined> } = {}): fc.Arbitrary<Step[]> {
  const chans = o.channels ?? ['news', 'alerts'];
  return fc
    .record({
      channels: fc.subarray([...chans], { minLength: 1 }),
      hold: gen(o.holdUs, fc.integer({ min: 100 * MS, max: 3 * S })),
      unsub: gen(o.unsubscribeAfterUs, fc.constant(undefined)),
    })
    .map(({ channels, hold, unsub }) => {
      const s: Step[] = [{ op: 'call', args: ['SUBSCRIBE', ...channels] }];
      if (channels.length > 1) s.push({ op: 'wait-replies', count: channels.length });
      if (unsub !== undefined) {
        s.push({ op: 'wait', us: unsub }, { op: 'send', args: ['UNSUBSCRIBE'] }, { op: 'wait-replies', count: 2 * channels.length });
      }
      s.push({ op: 'wait', us: hold });
      return s;
    });
}

/** A publisher: PUBLISH `count` messages of `payload` bytes (virtual) to a channel, `everyUs` apart. */
export function publisherScriptArb(o: { channels?: readonly string[]; count?: Gen<number>; payload?: Gen<number>; everyUs?: Gen<number> } = {}): fc.Arbitrary<Step[]> {
  return fc
    .record({
      channel: fc.constantFrom(...(o.channels ?? ['news', 'alerts'])),
      count: gen(o.count, fc.integer({ min: 1, max: 50 })),
      payload: gen(o.payload, fc.integer({ min: 1, max: 64 * 1024 })),
      every: gen(o.everyUs, fc.integer({ min: 0, max: 50 * MS })),
    })
    .map(({ channel, count, payload, every }) => {
      const s: Step[] = [{ op: 'wait', us: 1 * MS }];
      for (let i = 0; i < count; i++) {
        s.push({ op: 'call', args: ['PUBLISH', channel, { fill: payload }] });
        if (every > 0) s.push({ op: 'wait', us: every });
      }
      return s;
    });
}

/** Options of a slow reader (see slowReaderScriptArb). */
export interface SlowReaderOptions {
  /** Bytes of each reply (ECHO of a virtual payload). */
  replyBytes?: Gen<number>;
  /** Replies asked for while not reading. */
  count?: Gen<number>;
  /** When to resume reading (µs after asking), or undefined never to. */
  resumeAfterUs?: Gen<number | undefined>;
  /** After catching up: pause, then one more burst of this many bytes in a single reply (0 = none). */
  burstAfterUs?: Gen<number>;
  burstBytes?: Gen<number>;
  /** How long to stay connected at the end. */
  holdUs?: Gen<number>;
}

/**
 * A client that stops reading, asks for `count` replies of `replyBytes` (they pile up in its output
 * buffer once the sockets are full), maybe resumes and catches up, maybe asks for one more big
 * reply later, and stays connected for `holdUs`.
 */
export function slowReaderScriptArb(o: SlowReaderOptions = {}): fc.Arbitrary<Step[]> {
  return fc
    .record({
      size: gen(o.replyBytes, fc.integer({ min: 1024, max: 128 * 1024 })),
      count: gen(o.count, fc.integer({ min: 1, max: 40 })),
      resume: gen(o.resumeAfterUs, fc.option(fc.integer({ min: 10 * MS, max: 4 * S }), { nil: undefined })),
      burstAfter: gen(o.burstAfterUs, fc.integer({ min: 0, max: 4 * S })),
      burst: gen(o.burstBytes, fc.oneof(fc.constant(0), fc.integer({ min: 16 * 1024, max: 1024 * 1024 }))),
      hold: gen(o.holdUs, fc.integer({ min: 100 * MS, max: 4 * S })),
    })
    .map(({ size, count, resume, burstAfter, burst, hold }) => {
      const s: Step[] = [
        { op: 'call', args: ['PING'] },
        { op: 'stop-reading' },
        { op: 'pipeline', commands: [['ECHO', { fill: size }]], repeat: count },
      ];
      if (resume !== undefined) {
        s.push({ op: 'wait', us: resume }, { op: 'resume-reading' }, { op: 'wait-replies', count: 1 + count });
        if (burst > 0) s.push({ op: 'wait', us: burstAfter }, { op: 'call', args: ['ECHO', { fill: burst }] });
      }
      s.push({ op: 'wait', us: hold });
      return s;
    });
}

/** An idle client: maybe one PING, then nothing for `idleUs` (default 0–5 s). */
export function idleScriptArb(o: { idleUs?: Gen<number>; pingFirst?: Gen<boolean> } = {}): fc.Arbitrary<Step[]> {
  return fc
    .record({ idle: gen(o.idleUs, fc.integer({ min: 0, max: 5 * S })), ping: gen(o.pingFirst, fc.boolean()) })
    .map(({ idle, ping }) => [...(ping ? [{ op: 'call', args: ['PING'] } as Step] : []), { op: 'wait', us: idle } as Step]);
}

/** A client blocked in `BLPOP key 0` on a key nobody pushes to, staying for `holdUs`. */
export function blockedScriptArb(o: { key?: string; holdUs?: Gen<number> } = {}): fc.Arbitrary<Step[]> {
  return gen(o.holdUs, fc.integer({ min: 100 * MS, max: 5 * S })).map((hold): Step[] => [
    { op: 'call', args: ['PING'] },
    { op: 'send', args: ['BLPOP', o.key ?? 'blocked:never', '0'] },
    { op: 'wait', us: hold },
  ]);
}

/** Connect/close churn: a few calls, an optional pause, then close() (or just leave the script). */
export function churnScriptArb(o: { commands?: fc.Arbitrary<ArgSpec[]>; pauseUs?: Gen<number>; close?: Gen<boolean> } = {}): fc.Arbitrary<Step[]> {
  return fc
    .record({
      calls: fc.array(o.commands ?? smallCommandArb('churn'), { minLength: 0, maxLength: 3 }),
      pause: gen(o.pauseUs, fc.integer({ min: 0, max: 50 * MS })),
      close: gen(o.close, fc.boolean()),
    })
    .map(({ calls, pause, close }) => {
      const s: Step[] = calls.map((args): Step => ({ op: 'call', args }));
      if (pause > 0) s.push({ op: 'wait', us: pause });
      if (close) s.push({ op: 'close' });
      return s;
    });
}

/**
 * A script that exercises the request parser: calls, pipelines, inline commands and raw RESP bytes
 * of independent commands, each followed by a wait for its replies, so the script ends only when
 * every reply has arrived (whatever the slicing).
 */
export function parserScriptArb(ns: string, o: { maxSteps?: number } = {}): fc.Arbitrary<Step[]> {
  const cmd = independentCommandArb(ns, { maxFill: 300 });
  const piece = fc.oneof(
    cmd.map((args) => ({ steps: [{ op: 'call', args } as Step], replies: 1 })),
    fc.tuple(fc.array(cmd, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5 })).map(([commands, repeat]) => ({ steps: [{ op: 'pipeline', commands, repeat } as Step], replies: commands.length * repeat })),
    fc.oneof(fc.constant('PING'), word.map((w) => `ECHO ${w}`)).map((text) => ({ steps: [{ op: 'inline', text } as Step], replies: 1 })),
    fc.array(cmd.filter((c) => c.every((a) => typeof a === 'string')), { minLength: 1, maxLength: 3 }).map((cmds) => ({
      steps: [{ op: 'raw', bytes: [Buffer.concat(cmds.flatMap((c) => encodeCommand(c)) as Buffer[])] } as Step],
      replies: cmds.length,
    })),
  );
  return fc.array(piece, { minLength: 1, maxLength: o.maxSteps ?? 4 }).map((pieces) => {
    const out: Step[] = [];
    let total = 0;
    for (const p of pieces) {
      out.push(...p.steps);
      total += p.replies;
      if (p.steps[0]!.op !== 'call') out.push({ op: 'wait-replies', count: total });
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Clients

/** One client named `name` running a script from `script`. */
export function clientArb(name: string, script: fc.Arbitrary<Step[]>, o: { connectAtUs?: Gen<number>; network?: Gen<Partial<LinkSpec> | undefined> } = {}): fc.Arbitrary<ClientInput> {
  return fc
    .record({ script, connectAtUs: gen(o.connectAtUs, fc.integer({ min: 0, max: 5 * MS })), network: gen(o.network, fc.constant(undefined)) })
    .map(({ script: s, connectAtUs, network }) => ({ name, script: s, connectAtUs, ...(network ? { network } : {}) }));
}

/** `min`–`max` clients named `${prefix}1`, `${prefix}2` …, each with its own script from `script(name)`. */
export function clientsArb(prefix: string, script: (name: string) => fc.Arbitrary<Step[]>, o: { min?: number; max?: number; connectAtUs?: Gen<number> } = {}): fc.Arbitrary<ClientInput[]> {
  const max = o.max ?? 3;
  const all = Array.from({ length: max }, (_, i) => clientArb(`${prefix}${i + 1}`, script(`${prefix}${i + 1}`), { connectAtUs: o.connectAtUs }));
  return fc.integer({ min: o.min ?? 1, max }).chain((n) => fc.tuple(...all.slice(0, n)));
}

// ---------------------------------------------------------------------------------------------
// Faults

/** A partition of one client's link, at 0–2 s for 10 ms–2 s. */
export function partitionFaultArb(client: string, o: { atUs?: Gen<number>; durationUs?: Gen<number>; direction?: Gen<Direction> } = {}): fc.Arbitrary<FaultSpec> {
  return fc
    .record({
      atUs: gen(o.atUs, fc.integer({ min: 0, max: 2 * S })),
      durationUs: gen(o.durationUs, fc.integer({ min: 10 * MS, max: 2 * S })),
      direction: gen(o.direction, fc.constantFrom<Direction>('both', 'to-server', 'to-client')),
    })
    .map((f) => ({ kind: 'partition', client, ...f }));
}

/**
 * Slicing of one client's byte stream from `atUs` (default 0): fixed sizes cycled (1–`maxSize`
 * bytes each) or sizes drawn from a random range, to the server by default.
 */
export function sliceFaultArb(client: string, o: { atUs?: Gen<number>; direction?: Gen<Direction>; maxSize?: number } = {}): fc.Arbitrary<FaultSpec> {
  const max = o.maxSize ?? 64;
  const size = fc.integer({ min: 1, max });
  return fc
    .record({
      atUs: gen(o.atUs, fc.constant(0)),
      direction: gen(o.direction, fc.constant<Direction>('to-server')),
      how: fc.oneof(
        fc.array(size, { minLength: 1, maxLength: 4 }).map((sizes) => ({ sizes })),
        fc.tuple(size, size).map(([a, b]) => ({ random: [Math.min(a, b), Math.max(a, b)] as [number, number] })),
      ),
    })
    .map(({ atUs, direction, how }): FaultSpec => ('sizes' in how ? { kind: 'slice', client, atUs, direction, sizes: how.sizes } : { kind: 'slice', client, atUs, direction, random: how.random }));
}

/** An RST toward the server or the client at 0–2 s. */
export function rstFaultArb(client: string, o: { atUs?: Gen<number> } = {}): fc.Arbitrary<FaultSpec> {
  return fc.record({ atUs: gen(o.atUs, fc.integer({ min: 0, max: 2 * S })), toward: fc.constantFrom<'server' | 'client'>('server', 'client') }).map((f) => ({ kind: 'rst', client, ...f }));
}

/** The client machine vanishes at 0–2 s. */
export function vanishFaultArb(client: string, o: { atUs?: Gen<number> } = {}): fc.Arbitrary<FaultSpec> {
  return gen(o.atUs, fc.integer({ min: 0, max: 2 * S })).map((atUs): FaultSpec => ({ kind: 'vanish', client, atUs }));
}

export type FaultKind = FaultSpec['kind'];

/** 0–`max` faults of the given kinds on the given clients. */
export function faultsArb(clients: readonly string[], o: { kinds?: readonly FaultKind[]; max?: number } = {}): fc.Arbitrary<FaultSpec[]> {
  if (clients.length === 0) return fc.constant([]);
  const kinds = o.kinds ?? ['partition', 'slice', 'rst', 'vanish'];
  const one = fc.constantFrom(...clients).chain((c) =>
    fc.oneof(
      ...kinds.map((k) => (k === 'partition' ? partitionFaultArb(c) : k === 'slice' ? sliceFaultArb(c, { direction: fc.constantFrom<Direction>('to-server', 'to-client', 'both') }) : k === 'rst' ? rstFaultArb(c) : vanishFaultArb(c))),
    ),
  );
  return fc.array(one, { maxLength: o.max ?? 2 });
}

// ---------------------------------------------------------------------------------------------
// Scenarios

export interface ScenarioOptions {
  name?: string;
  seed?: Gen<number>;
  /** Default 2–6 s. */
  horizonUs?: Gen<number>;
  /** How to draw the server (serverArb options), or an arbitrary of it. */
  server?: ServerOptions | fc.Arbitrary<NonNullable<ScenarioInput['server']>>;
  network?: Gen<Partial<LinkSpec>>;
  clients: Gen<ClientInput[]>;
  /** Faults given the clients (default none). */
  faults?: (clients: ClientInput[]) => fc.Arbitrary<FaultSpec[]>;
}

/** A scenario as plain input (see `makeScenario`). */
export function scenarioInputArb(o: ScenarioOptions): fc.Arbitrary<ScenarioInput> {
  const server = o.server instanceof fc.Arbitrary ? o.server : serverArb(o.server ?? {});
  return fc
    .record({
      seed: gen(o.seed, fc.integer({ min: 0, max: 1000 })),
      horizonUs: gen(o.horizonUs, fc.integer({ min: 2 * S, max: 6 * S })),
      server,
      network: gen(o.network, linkArb()),
      clients: gen(o.clients, fc.constant<ClientInput[]>([])),
    })
    .chain((base) => (o.faults ? o.faults(base.clients) : fc.constant<FaultSpec[]>([])).map((faults): ScenarioInput => ({ name: o.name ?? 'generated', ...base, faults })));
}

/** A typed `Scenario`, ready for `runScenario`. */
export function scenarioArb(o: ScenarioOptions): fc.Arbitrary<Scenario> {
  return scenarioInputArb(o).map((i) => makeScenario(i));
}

/** A scenario as YAML text (what a scenario file holds); read it with `parseScenario`. */
export function scenarioYamlArb(o: ScenarioOptions): fc.Arbitrary<string> {
  return scenarioArb(o).map((sc) => scenarioToYaml(sc));
}

/**
 * A little of everything: 1–`maxClients` clients with request-response, pipeline, pub/sub, slow
 * reader, idle, blocked or churn scripts, a random server config and link, and up to two faults.
 * For properties that must hold whatever happens (determinism, conservation).
 */
export function anyScenarioArb(o: { maxClients?: number; server?: ServerOptions; faults?: boolean } = {}): fc.Arbitrary<Scenario> {
  const script = (name: string) =>
    fc.oneof(
      requestResponseScriptArb({ commands: independentCommandArb(name) }),
      pipelineScriptArb({ repeat: fc.integer({ min: 1, max: 300 }) }),
      subscriberScriptArb({ holdUs: fc.integer({ min: 10 * MS, max: 1 * S }) }),
      publisherScriptArb({ count: fc.integer({ min: 1, max: 5 }), payload: fc.integer({ min: 1, max: 20_000 }) }),
      slowReaderScriptArb({ count: fc.integer({ min: 1, max: 10 }), resumeAfterUs: fc.option(fc.integer({ min: 10 * MS, max: 1 * S }), { nil: undefined }), holdUs: fc.integer({ min: 10 * MS, max: 1 * S }), burstAfterUs: fc.integer({ min: 0, max: 1 * S }) }),
      idleScriptArb({ idleUs: fc.integer({ min: 0, max: 2 * S }) }),
      blockedScriptArb({ holdUs: fc.integer({ min: 10 * MS, max: 1 * S }) }),
      churnScriptArb(),
    );
  return scenarioArb({
    horizonUs: fc.integer({ min: 1 * S, max: 3 * S }),
    server: o.server ?? {},
    clients: clientsArb('c', script, { min: 1, max: o.maxClients ?? 4, connectAtUs: fc.integer({ min: 0, max: 20 * MS }) }),
    faults: o.faults === false ? undefined : (cs) => faultsArb(cs.map((c) => c.name)),
  });
}

// ---------------------------------------------------------------------------------------------
// Variations of a given scenario (what `redsim check` explores)

/** What may vary around a user's scenario. */
export interface VariationOptions {
  seed?: boolean;
  pollOrder?: boolean;
  /** Scale latency by 0.5–4× and add jitter up to 200 µs. */
  latency?: boolean;
  /** Add slice faults (random sizes, to the server and/or the client) on some clients. */
  slicing?: boolean;
}

/** A change applied to a scenario; shrinks toward "no change" (seed 0, fd order, no slicing). */
export interface Variation {
  seed: number;
  pollOrder: 'keep' | 'fd' | 'fifo' | 'random';
  latencyScale: number;
  jitterUs: number;
  slices: Array<{ client: number; direction: Direction; sizes: number[] }>;
}

export function variationArb(sc: Scenario, o: VariationOptions = {}): fc.Arbitrary<Variation> {
  const all = { seed: true, pollOrder: true, latency: true, slicing: true, ...o };
  const n = sc.clients.length;
  return fc.record({
    seed: all.seed ? fc.integer({ min: 0, max: 1_000_000 }) : fc.constant(sc.seed),
    pollOrder: all.pollOrder ? fc.constantFrom<Variation['pollOrder']>('keep', 'fd', 'fifo', 'random') : fc.constant<Variation['pollOrder']>('keep'),
    latencyScale: all.latency ? fc.constantFrom(1, 0.5, 2, 4) : fc.constant(1),
    jitterUs: all.latency ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })) : fc.constant(0),
    slices: all.slicing && n > 0
      ? fc.array(fc.record({ client: fc.integer({ min: 0, max: n - 1 }), direction: fc.constantFrom<Direction>('to-server', 'to-client', 'both'), sizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 3 }) }), { maxLength: Math.min(n, 3) })
      : fc.constant([]),
  });
}

/** `sc` with the variation applied. */
export function applyVariation(sc: Scenario, v: Variation): Scenario {
  const scale = (l: LinkSpec): LinkSpec => ({ ...l, latencyUs: Math.round(l.latencyUs * v.latencyScale), jitterUs: l.jitterUs + v.jitterUs });
  const seen = new Set<number>();
  const slices: FaultSpec[] = [];
  for (const s of v.slices) {
    if (seen.has(s.client) || !sc.clients[s.client]) continue;
    seen.add(s.client);
    slices.push({ kind: 'slice', client: sc.clients[s.client]!.name, atUs: 0, direction: s.direction, sizes: s.sizes });
  }
  return withChanges(sc, {
    seed: v.seed,
    server: { ...sc.server, pollOrder: v.pollOrder === 'keep' ? sc.server.pollOrder : v.pollOrder },
    network: scale(sc.network),
    clients: sc.clients.map((c) => ({ ...c, network: scale(c.network), script: c.script.slice() })),
    faults: [...sc.faults, ...slices],
  });
}

/** Variations of `sc` as scenarios. */
export function scenarioVariationArb(sc: Scenario, o: VariationOptions = {}): fc.Arbitrary<Scenario> {
  return variationArb(sc, o).map((v) => applyVariation(sc, v));
}
