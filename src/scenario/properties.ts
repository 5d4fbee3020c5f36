// Properties of the client-handling core that must hold for every scenario, each a function from a
// scenario to null (holds) or a Violation. They are what `redsim check --property NAME` and the
// property tests (test/properties/) check; docs/properties.md states each one and its bounds.
//
// A Violation carries expectations that, added to the scenario file, make `npx redsim run FILE`
// fail the way the property failed (e.g. "the timeline lacks the close of c1 at t=…"), so a saved
// counterexample reproduces with the plain run command. Properties that compare several runs
// (determinism) cannot always be written as one run's expectations; they say so in `note`.
import { encodeCommand } from './script.ts';
import { makeScenario, steps, withChanges, type ExpectationInput } from './build.ts';
import { observeRun, type ClientView, type ObservedRun } from './observe.ts';
import { runScenario, type RunResult } from './run.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import type { ArgSpec, Scenario, Step } from './types.ts';

export interface Violation {
  /** One paragraph: what was observed against what the property says. */
  message: string;
  /** The client concerned, when there is one. */
  client?: string;
  /** Expectations that fail on this scenario the way the property failed (may be empty). */
  expect: ExpectationInput[];
  /** How to see the failure when `expect` cannot express it. */
  note?: string;
  /**
   * When the property compared the scenario with a variant of it (another poll order, no slicing …),
   * the variant the expectations are about; the saved file is this scenario then.
   */
  scenario?: Scenario;
}

export interface ScenarioProperty {
  name: string;
  /** One line, for --help and reports. */
  summary: string;
  /** null when the property holds for `sc`. May run `sc` several times. */
  check(sc: Scenario): Violation | null;
}

// ---------------------------------------------------------------------------------------------
// Helpers over a timeline

type Ev<K extends TimelineEvent['kind']> = Extract<TimelineEvent, { kind: K }>;

function ofKind<K extends TimelineEvent['kind']>(events: readonly TimelineEvent[], kind: K): Ev<K>[] {
  return events.filter((e): e is Ev<K> => e.kind === kind);
}

const fmtT = (us: number): string => (us >= 1_000_000 ? `${(us / 1_000_000).toFixed(6)} s` : us >= 1000 ? `${(us / 1000).toFixed(3)} ms` : `${us} µs`);

/** The `lacks` expectation that fails because of exactly this event. */
function lacksEvent(e: TimelineEvent): ExpectationInput {
  const p: Record<string, string | number | boolean> = { kind: e.kind, t: e.t };
  if (e.client !== undefined) p.client = e.client;
  if (e.kind === 'close' || e.kind === 'reject') p.reason = e.reason;
  if (e.kind === 'client') p.what = e.what;
  if (e.kind === 'accept') p.id = e.id;
  return { kind: 'lacks', pattern: p };
}

/** Config directive as a number (the scenario's text, or Redis's default when absent). */
function configNumber(sc: Scenario, name: string, dflt: number): number {
  const v = sc.server.config[name];
  if (v === undefined) return dflt;
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(v.trim());
  if (!m) return dflt;
  const mul: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1 << 20, g: 1e9, gb: 2 ** 30 };
  return Number(m[1]) * mul[(m[2] ?? '').toLowerCase()]!;
}

/** Per client id: the scenario client name, accept time. */
function acceptsById(events: readonly TimelineEvent[]): Map<number, { name: string; t: number }> {
  const m = new Map<number, { name: string; t: number }>();
  for (const e of ofKind(events, 'accept')) m.set(e.id, { name: e.client ?? e.addr, t: e.t });
  return m;
}

/** Time of the last read or write with bytes (or the accept) of client `id` at or before `at`; -1 if none. */
function lastActivity(events: readonly TimelineEvent[], id: number, at: number): number {
  let last = -1;
  for (const e of events) {
    if (e.t > at) break; // events are in time order
    if (e.kind === 'accept' && e.id === id) last = e.t;
    else if ((e.kind === 'read' || e.kind === 'write') && e.id === id && e.bytes > 0) last = e.t;
  }
  return last;
}

/** Commands a client executed, in order, as `name args`. */
function commandsOf(events: readonly TimelineEvent[], client: string): string[] {
  return ofKind(events, 'command').filter((e) => e.client === client).map((e) => `${e.name} ${e.args}`);
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function show(xs: readonly string[], i: number): string {
  return i < xs.length ? JSON.stringify(xs[i]) : '(nothing)';
}

/** Wraps a run that may throw (a core invariant, a bad config) into a violation. */
function guarded(name: string, f: () => Violation | null): Violation | null {
  try {
    return f();
  } catch (e) {
    const err = e as Error;
    return { message: `[${name}] the run threw ${err.name}: ${err.message}`, expect: [], note: 'the run itself fails: npx redsim run FILE shows the error' };
  }
}

// ---------------------------------------------------------------------------------------------
// determinism

/** A small busy scenario run between two runs of the scenario under test, to shake out state shared across runs. */
function noiseScenario(): Scenario {
  return withChanges(NOISE_BASE, {});
}

const NOISE_BASE = makeScenario({
  name: 'noise',
  horizonUs: 1_500_000,
  seed: 99,
  server: { config: { timeout: 1, 'client-output-buffer-limit': 'normal 64kb 16kb 1' }, pollOrder: 'random' },
  network: { jitterUs: 30 },
  clients: [
    { name: 'n1', script: [steps.pipeline(['INCR n', 'PING', ['ECHO', { fill: 3000 }]], 30), steps.waitReplies(90), steps.call('SUBSCRIBE ch')] },
    { name: 'n2', connectAtUs: 300, script: [steps.stopReading(), steps.pipeline([['ECHO', { fill: 20000 }]], 20), steps.wait(50_000)] },
    { name: 'n3', connectAtUs: 500, script: [steps.call('PUBLISH ch x'), steps.send('BLPOP q 0'), steps.wait(20_000), steps.close()] },
  ],
  faults: [{ atUs: 0, client: 'n1', kind: 'slice', direction: 'both', random: [64, 512] }],
});

/** Same scenario and seed → the same timeline hash, even with another run in between. */
export const determinism: ScenarioProperty = {
  name: 'determinism',
  summary: 'the same scenario and seed give the same timeline hash (also after another run in the same process)',
  check(sc) {
    return guarded('determinism', () => {
      const a = runScenario(sc);
      runScenario(noiseScenario());
      const b = runScenario(sc);
      if (a.hash === b.hash) return null;
      const i = firstDifference(a.events.map((e) => JSON.stringify(e)), b.events.map((e) => JSON.stringify(e)));
      return {
        message: `two runs of the same scenario with seed ${sc.seed} differ: hash ${a.hash.slice(0, 12)} then ${b.hash.slice(0, 12)}; first different event #${i}: ${JSON.stringify(a.events[i])} vs ${JSON.stringify(b.events[i])}`,
        expect: [],
        note: 'run the file twice with --json and compare the hashes (npx redsim check FILE --property determinism)',
      };
    });
  },
};

// ---------------------------------------------------------------------------------------------
// replies independent of the poll order

/** Every client receives the same replies whatever order poll reports ready sockets in. */
export const repliesIndependentOfOrder: ScenarioProperty = {
  name: 'replies-independent-of-order',
  summary: 'each client receives the same reply sequence under poll-order fd, fifo and random (for clients that do not depend on each other)',
  check(sc) {
    return guarded('replies-independent-of-order', () => {
      const ref = withChanges(sc, { server: { ...sc.server, pollOrder: 'fd' } });
      const base = runScenario(ref);
      const variants: Scenario[] = [];
      if (sc.server.pollOrder !== 'fd') variants.push(sc);
      for (const order of ['fifo', 'random'] as const) if (order !== sc.server.pollOrder) variants.push(withChanges(sc, { server: { ...sc.server, pollOrder: order } }));
      for (const v of variants) {
        const r = runScenario(v);
        for (const c of base.clients) {
          const got = r.clients.find((x) => x.name === c.name)!.replies;
          const i = firstDifference(c.replies, got);
          if (i === -1) continue;
          return {
            message: `client ${c.name} received different replies under poll-order ${v.server.pollOrder} (seed ${v.seed}) than under fd: reply #${i + 1} is ${show(got, i)} instead of ${show(c.replies, i)} (${got.length} vs ${c.replies.length} replies)`,
            client: c.name,
            expect: [{ kind: 'replies', client: c.name, replies: c.replies.slice() }],
            note: `the expected replies are those received under poll-order fd; this file uses poll-order ${v.server.pollOrder}`,
            scenario: v,
          };
        }
      }
      return null;
    });
  },
};

// ---------------------------------------------------------------------------------------------
// fragmentation

/** The scenario without its slice faults. */
export function withoutSlicing(sc: Scenario): Scenario {
  return withChanges(sc, { faults: sc.faults.filter((f) => f.kind !== 'slice') });
}

/** Any slicing of the byte streams gives the same commands and the same replies as no slicing. */
export const fragmentation: ScenarioProperty = {
  name: 'fragmentation',
  summary: 'slicing byte streams anywhere (slice faults) gives the same commands and replies as unsliced delivery',
  check(sc) {
    return guarded('fragmentation', () => {
      const whole = runScenario(withoutSlicing(sc));
      const sliced = runScenario(sc);
      for (const c of whole.clients) {
        const got = sliced.clients.find((x) => x.name === c.name)!;
        const wantCmds = commandsOf(whole.events, c.name);
        const gotCmds = commandsOf(sliced.events, c.name);
        const j = firstDifference(wantCmds, gotCmds);
        const i = firstDifference(c.replies, got.replies);
        if (i === -1 && j === -1) continue;
        const what = j !== -1
          ? `command #${j + 1} is ${show(gotCmds, j)} instead of ${show(wantCmds, j)}`
          : `reply #${i + 1} is ${show(got.replies, i)} instead of ${show(c.replies, i)}`;
        return {
          message: `client ${c.name}: with its bytes sliced, ${what} (${gotCmds.length} vs ${wantCmds.length} commands, ${got.replies.length} vs ${c.replies.length} replies)`,
          client: c.name,
          expect: [{ kind: 'replies', client: c.name, replies: c.replies.slice() }],
          note: 'the expected replies are those received without the slice faults',
        };
      }
      return null;
    });
  },
};

// ---------------------------------------------------------------------------------------------
// conservation

const MAXCLIENTS_ERR_BYTES = '-ERR max number of clients reached\r\n'.length;

/** Options of the conservation check (the test suite injects a broken accounting to show it fails). */
export interface ConservationOptions {
  /** Count bytes in the client's receive buffer as accounted for (default true). */
  countReceiveBuffers?: boolean;
}

export function conservationWith(opts: ConservationOptions = {}): ScenarioProperty {
  return {
    name: 'conservation',
    summary: 'every byte the server wrote is read by its client, still buffered, or discarded by a recorded close; every accepted client is closed once or open at the end',
    check(sc) {
      return guarded('conservation', () => {
        const o = observeRun(sc);
        const v = bytesConserved(sc, o, opts.countReceiveBuffers !== false);
        return v ?? closedOnce(o);
      });
    },
  };
}

export const conservation = conservationWith();

function bytesConserved(sc: Scenario, o: ObservedRun, countRcv: boolean): Violation | null {
  const ev = o.result.events;
  for (const c of sc.clients) {
    let written = 0;
    let discarder: TimelineEvent | undefined;
    for (const e of ev) {
      if (e.client !== c.name) continue;
      if (e.kind === 'write') written += e.bytes;
      else if (e.kind === 'reject' && e.reason === 'maxclients') written += MAXCLIENTS_ERR_BYTES;
      if (!discarder && (e.kind === 'close' || e.kind === 'reject' || (e.kind === 'client' && (e.what === 'reset' || e.what === 'close')) || (e.kind === 'fault' && (e.fault === 'rst' || e.fault === 'vanish')))) discarder = e;
    }
    const read = o.bytesRead.get(c.name) ?? 0;
    let buffered = o.bytesBuffered.get(c.name) ?? 0;
    if (!countRcv) buffered = o.bytesInServerSendQueues.get(c.name) ?? 0;
    const lost = written - read - buffered;
    if (lost < 0) {
      return {
        message: `client ${c.name}: the server wrote ${written} bytes but ${read} were read and ${buffered} are still buffered: ${-lost} bytes appeared from nowhere`,
        client: c.name,
        expect: [],
        note: 'compare the write events of this client with what it received (npx redsim run FILE -t)',
      };
    }
    if (lost > 0 && !discarder) {
      return {
        message: `client ${c.name}: the server wrote ${written} bytes, ${read} were read and ${buffered} are still buffered: ${lost} bytes vanished without a close, reset or fault that discards them`,
        client: c.name,
        expect: [],
        note: 'compare the write events of this client with what it received (npx redsim run FILE -t)',
      };
    }
  }
  return null;
}

function closedOnce(o: ObservedRun): Violation | null {
  const ev = o.result.events;
  const accepted = acceptsById(ev);
  const closes = new Map<number, TimelineEvent[]>();
  for (const e of ofKind(ev, 'close')) {
    if (!accepted.has(e.id)) return { message: `close event for client id ${e.id}, which was never accepted: ${JSON.stringify(e)}`, expect: [lacksEvent(e)] };
    closes.set(e.id, [...(closes.get(e.id) ?? []), e]);
  }
  for (const [id, a] of accepted) {
    const n = closes.get(id)?.length ?? 0;
    const open = o.openAtEnd.has(id);
    if (n > 1) return { message: `client ${a.name} (id ${id}) was closed ${n} times: ${closes.get(id)!.map((e) => JSON.stringify(e)).join(', ')}`, client: a.name, expect: [lacksEvent(closes.get(id)![1]!)] };
    if (n === 1 && open) return { message: `client ${a.name} (id ${id}) has a close event but is still connected at the end`, client: a.name, expect: [lacksEvent(closes.get(id)![0]!)] };
    if (n === 0 && !open) return { message: `client ${a.name} (id ${id}) is gone at the end without a close event`, client: a.name, expect: [{ kind: 'contains', pattern: { kind: 'close', client: a.name } }] };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// idle timeouts

/**
 * Runs `sc` noting each client's flags just before each event (so a close can be judged on the
 * flags the client had when it was freed) and the time of its last read or write with bytes.
 */
function observeFlags(sc: Scenario, onCron?: (t: number, clients: ClientView[], hz: number, lastAct: ReadonlyMap<number, number>) => void): { o: ObservedRun; beforeClose: Map<number, ClientView> } {
  const last = new Map<number, ClientView>();
  const lastAct = new Map<number, number>();
  const beforeClose = new Map<number, ClientView>();
  const o = observeRun(sc, {
    probe: (e, view) => {
      if (e.kind === 'close') {
        const v = last.get(e.id);
        if (v) beforeClose.set(e.id, v);
        last.delete(e.id);
        lastAct.delete(e.id);
        return;
      }
      if (e.kind === 'accept' || ((e.kind === 'read' || e.kind === 'write') && e.bytes > 0)) lastAct.set(e.id, e.t);
      // Flags change only when a command runs or a client is unblocked; refresh on those and at cron.
      if (e.kind === 'command' || e.kind === 'reply' || e.kind === 'accept' || e.kind === 'cron' || e.kind === 'write' || e.kind === 'log') {
        const cs = view.clients();
        for (const c of cs) last.set(c.id, c);
        if (e.kind === 'cron' && onCron) onCron(e.t, cs, view.hz, lastAct);
      }
    },
  });
  return { o, beforeClose };
}

/**
 * Nobody is closed for idleness before its idle time strictly exceeds `timeout`, and pub/sub and
 * blocked clients are never closed for idleness.
 */
export const noCloseBeforeTimeout: ScenarioProperty = {
  name: 'no-close-before-timeout',
  summary: 'no client is closed for idleness before its idle time strictly exceeds timeout; pub/sub and blocked clients never are',
  check(sc) {
    return guarded('no-close-before-timeout', () => {
      const { o, beforeClose } = observeFlags(sc);
      const timeoutS = o.config.timeout;
      for (const e of ofKind(o.result.events, 'close')) {
        if (e.reason !== 'idle-timeout') continue;
        const name = e.client ?? String(e.id);
        const before = beforeClose.get(e.id);
        if (before && !before.timeoutApplies) {
          return {
            message: `client ${name} was closed for idleness at ${fmtT(e.t)} although it was ${before.pubsub ? 'a pub/sub subscriber' : before.blocked ? 'blocked' : 'exempt from timeout'}`,
            client: name,
            expect: [lacksEvent(e)],
          };
        }
        const last = lastActivity(o.result.events, e.id, e.t);
        if (e.t - last <= timeoutS * 1_000_000) {
          return {
            message: `client ${name} was closed for idleness at ${fmtT(e.t)} after only ${fmtT(e.t - last)} idle (last read or write at ${fmtT(last)}; timeout ${timeoutS} s)`,
            client: name,
            expect: [lacksEvent(e)],
          };
        }
      }
      return null;
    });
  },
};

/** Options of the timeout upper bound (the test suite uses a too-tight bound to show lazy misses it). */
export interface TimeoutBoundOptions {
  /** Bound on (idle time − timeout) of a connected, non-exempt client, µs; default `timeoutSlackUs`. */
  slackUs?: (p: { policy: 'lazy' | 'exact'; hz: number; clients: number }) => number;
}

/**
 * The documented lateness of an idle close beyond `timeout`. lazy: whole seconds (up to 1 s) plus
 * the time until clientsCron visits the client (ceil(clients / max(min(clients, 5), clients/hz))
 * ticks of 1/hz s), plus 20 ms of loop latency; exact: 20 ms.
 */
export function timeoutSlackUs(p: { policy: 'lazy' | 'exact'; hz: number; clients: number }): number {
  if (p.policy === 'exact') return 20_000;
  const iterations = Math.max(Math.min(p.clients, 5), Math.floor(p.clients / p.hz));
  const ticks = Math.ceil(Math.max(1, p.clients) / Math.max(1, iterations));
  return 1_000_000 + Math.ceil((ticks * 1_000_000) / p.hz) + 20_000;
}

/**
 * Checked at every cron tick: a connected client to which `timeout` applies (not pub/sub, blocked
 * …) and that is not already being closed has been idle at most timeout + slack.
 */
export function timeoutBoundWith(opts: TimeoutBoundOptions = {}): ScenarioProperty {
  const slackOf = opts.slackUs ?? timeoutSlackUs;
  return {
    name: 'timeout-bound',
    summary: 'a client idle (and not exempt) for longer than timeout + the documented slack has been closed',
    check(sc) {
      return guarded('timeout-bound', () => {
        let maxClients = 0;
        let found: Violation | null = null;
        observeFlags(sc, (t, clients, hz, lastAct) => {
          maxClients = Math.max(maxClients, clients.length);
          if (found) return;
          for (const c of clients) {
            const timeoutS = cfgTimeout(sc);
            if (!c.timeoutApplies || c.closing || timeoutS === 0) continue;
            const policy = (sc.server.config['timeout-policy'] ?? 'lazy') === 'exact' ? 'exact' : 'lazy';
            const idle = t - (lastAct.get(c.id) ?? t);
            const bound = timeoutS * 1_000_000 + slackOf({ policy, hz, clients: maxClients });
            if (idle > bound) {
              found = {
                message: `client ${c.name} was still connected at ${fmtT(t)} after ${fmtT(idle)} idle; timeout ${timeoutS} s (${policy}, hz ${hz}, up to ${maxClients} clients) allows at most ${fmtT(bound)}`,
                client: c.name,
                expect: [{ kind: 'closed', client: c.name, reason: 'idle-timeout', beforeUs: t }],
              };
              return;
            }
          }
        });
        return found;
      });
    },
  };
}

function cfgTimeout(sc: Scenario): number {
  return configNumber(sc, 'timeout', 0);
}

export const timeoutBound = timeoutBoundWith();

// ---------------------------------------------------------------------------------------------
// maxclients

/**
 * Connected clients never exceed maxclients; maxclients after start-up is at most the fd soft
 * limit − 32 (what adjustOpenFilesLimit guarantees since Redis 2.6; client-limit-policy 2.4 does
 * not); a refusal happens only at maxclients, and every refused client receives
 * `-ERR max number of clients reached` before its EOF.
 */
export const clientLimits: ScenarioProperty = {
  name: 'client-limits',
  summary: 'connected clients ≤ maxclients ≤ fd soft limit − 32 (as Redis ≥ 2.6 ensures); refusals only at the limit, each with the error before EOF',
  check(sc) {
    return guarded('client-limits', () => {
      const o = observeRun(sc);
      if (o.result.serverExit !== null) return null; // Redis refused to start: nothing to check
      const ev = o.result.events;
      const max = o.config.maxclients;
      if (max > o.fdLimit.soft - 32) {
        return {
          message: `after start-up maxclients is ${max} but the fd soft limit is ${o.fdLimit.soft} (client-limit-policy ${o.config['client-limit-policy']}): Redis keeps 32 fds in reserve, so maxclients should be at most ${o.fdLimit.soft - 32}`,
          expect: [{ kind: 'contains', pattern: { kind: 'log', line: '/maxclients has been reduced to/' } }],
        };
      }
      let connected = 0;
      for (const e of ev) {
        if (e.kind === 'accept') {
          connected++;
          if (connected > max) {
            return { message: `client ${e.client} was accepted at ${fmtT(e.t)} as the ${connected}th connected client; maxclients is ${max}`, client: e.client, expect: [lacksEvent(e)] };
          }
        } else if (e.kind === 'close') connected--;
        else if (e.kind === 'reject' && e.reason === 'maxclients') {
          const name = e.client ?? e.addr;
          if (connected < max) {
            return { message: `client ${name} was refused at ${fmtT(e.t)} with only ${connected} clients connected (maxclients ${max})`, client: name, expect: [lacksEvent(e)] };
          }
          const obs = o.result.clients.find((c) => c.name === name);
          if (obs && (obs.replies[0] !== '-ERR max number of clients reached' || obs.ended !== 'eof')) {
            return {
              message: `client ${name} was refused at ${fmtT(e.t)} but received ${obs.replies.length ? JSON.stringify(obs.replies) : 'no reply'} and its connection ended with ${obs.ended ?? 'nothing'} (expected the error, then EOF)`,
              client: name,
              expect: [{ kind: 'replies', client: name, replies: ['-ERR max number of clients reached'] }],
            };
          }
        }
      }
      return null;
    });
  },
};

// ---------------------------------------------------------------------------------------------
// output-buffer limits

/** The limit of a client's class at a decision: what the probe saw at the limit's log line. */
function obufObserve(sc: Scenario, onCheckpoint: (e: TimelineEvent, clients: ClientView[], decision: ClientView | undefined, hz: number) => void): ObservedRun {
  return observeRun(sc, {
    probe: (e, view) => {
      let decision: ClientView | undefined;
      if (e.kind === 'log' && e.client !== undefined && e.line.includes('for overcoming of output buffer limits')) {
        const m = /id=(\d+)/.exec(e.line);
        if (m) decision = view.client(Number(m[1])) ?? view.closed(Number(m[1]));
      }
      if (decision || e.kind === 'cron' || e.kind === 'reply' || e.kind === 'write' || e.kind === 'read' || e.kind === 'command' || e.kind === 'accept') {
        onCheckpoint(e, view.clients(), decision, view.hz);
      }
    },
  });
}

export interface HardLimitOptions {
  /** The comparison a hard-limit close must satisfy at its decision (default: omem >= hard). */
  closesWhen?: (omem: number, hard: number) => boolean;
}

/**
 * A client at or over the hard limit of its class is closed at the first check after crossing it:
 * at every checkpoint, no client that is not already being closed has omem ≥ hard (growth is
 * checked as it happens; a class change at the next cron tick). Every hard-limit close was decided
 * with omem ≥ hard.
 */
export function obufHardLimitWith(opts: HardLimitOptions = {}): ScenarioProperty {
  const closesWhen = opts.closesWhen ?? ((omem, hard) => omem >= hard);
  return {
    name: 'obuf-hard-limit',
    summary: 'a client at or over its hard output limit is closed at the first check after crossing it, never below it',
    check(sc) {
      return guarded('obuf-hard-limit', () => {
        let found: Violation | null = null;
        const cls = new Map<number, string>();
        const classChanged = new Set<number>();
        obufObserve(sc, (e, clients, decision) => {
          if (found) return;
          if (decision) {
            const hardClose = decision.limit.hard !== 0 && decision.omem >= decision.limit.hard;
            if (hardClose && !closesWhen(decision.omem, decision.limit.hard)) {
              found = {
                message: `client ${decision.name} was closed for its output buffer with omem ${decision.omem} and hard limit ${decision.limit.hard} (${decision.cls}) at ${fmtT(e.t)}`,
                client: decision.name,
                expect: [{ kind: 'lacks', pattern: { kind: 'close', client: decision.name, reason: 'obuf-hard-limit' } }],
              };
              return;
            }
          }
          // A client whose class changed (it subscribed) may be over its new limit without a
          // check having run: clientsCron catches it at the next tick (every client is visited
          // at every tick when there are at most 5).
          // The limit's own log line comes just before the client is marked: judged above.
          if (e.kind === 'log') return;
          const cronChecksAll = e.kind === 'cron' && clients.length <= 5;
          for (const c of clients) {
            const prev = cls.get(c.id);
            cls.set(c.id, c.cls);
            if (prev !== undefined && prev !== c.cls) classChanged.add(c.id);
            if (c.closing || c.limit.hard === 0 || c.omem < c.limit.hard) continue;
            if (classChanged.has(c.id) && !cronChecksAll) continue;
            found = {
              message: `client ${c.name} had omem ${c.omem} ≥ hard limit ${c.limit.hard} (${c.cls}) at ${fmtT(e.t)} (${e.kind} event) and was not being closed`,
              client: c.name,
              expect: [{ kind: 'closed', client: c.name, reason: 'obuf-hard-limit', beforeUs: e.t + 1 }],
            };
            return;
          }
          if (cronChecksAll) classChanged.clear();
        });
        return found;
      });
    },
  };
}

export const obufHardLimit = obufHardLimitWith();

/**
 * Soft limit, with at most 5 clients (then clientsCron checks every client at every tick):
 *  - a soft-limit close was decided with omem ≥ soft;
 *  - not early: the client had been over the soft limit at every cron tick of the last soft-seconds,
 *    and for more than soft-seconds since it was last seen under it (or connected);
 *  - in time: a client seen over the soft limit at every tick for soft-seconds + 1 s + one tick
 *    (+ 20 ms of loop latency) is closed by then.
 */
export const obufSoftLimit: ScenarioProperty = {
  name: 'obuf-soft-limit',
  summary: 'a client continuously over its soft output limit is closed after soft-seconds, not before, and within soft-seconds + 1 s + one cron tick',
  check(sc) {
    return guarded('obuf-soft-limit', () => {
      let found: Violation | null = null;
      let tooMany = false;
      /** Per client id: time it was last seen under the soft limit (or accepted), and when its current over-soft run began. */
      const under = new Map<number, number>();
      const overSince = new Map<number, number>();
      const o = obufObserve(sc, (e, clients, decision, hz) => {
        if (found) return;
        if (e.kind === 'accept') under.set(e.id, e.t);
        if (clients.length > 5) tooMany = true;
        if (decision && decision.limit.soft !== 0 && !(decision.limit.hard !== 0 && decision.omem >= decision.limit.hard)) {
          if (decision.omem < decision.limit.soft) {
            found = {
              message: `client ${decision.name} was closed for its output buffer at ${fmtT(e.t)} with omem ${decision.omem} below the soft limit ${decision.limit.soft} (and the hard limit ${decision.limit.hard})`,
              client: decision.name,
              expect: [{ kind: 'lacks', pattern: { kind: 'close', client: decision.name, reason: 'obuf-soft-limit' } }],
            };
            return;
          }
          if (!tooMany) {
            const since = under.get(decision.id) ?? 0;
            const soft = decision.limit.softSeconds * 1_000_000;
            if (e.t - since <= soft) {
              found = {
                message: `client ${decision.name} was closed for the soft output limit at ${fmtT(e.t)}, but it was last seen under the soft limit (${decision.limit.soft} bytes) at ${fmtT(since)}, only ${fmtT(e.t - since)} earlier; soft-seconds is ${decision.limit.softSeconds}`,
                client: decision.name,
                expect: [{ kind: 'lacks', pattern: { kind: 'close', client: decision.name, reason: 'obuf-soft-limit', t: e.t } }],
              };
              return;
            }
          }
        }
        if (e.kind !== 'cron' || tooMany) return;
        for (const c of clients) {
          if (c.limit.soft === 0 || c.omem < c.limit.soft) {
            under.set(c.id, e.t);
            overSince.delete(c.id);
            continue;
          }
          if (c.closing) continue;
          const start = overSince.get(c.id) ?? e.t;
          overSince.set(c.id, start);
          const bound = (c.limit.softSeconds + 1) * 1_000_000 + Math.ceil(1_000_000 / hz) + 20_000;
          if (e.t - start > bound) {
            found = {
              message: `client ${c.name} has been over its soft output limit (${c.limit.soft} bytes, ${c.limit.softSeconds} s, ${c.cls}) at every cron tick since ${fmtT(start)} and is still connected at ${fmtT(e.t)} (bound ${fmtT(bound)})`,
              client: c.name,
              expect: [{ kind: 'closed', client: c.name, beforeUs: e.t }],
            };
            return;
          }
        }
      });
      void o;
      return found;
    });
  },
};

/** Options for the normal-class check (the test suite varies the profile to show the Debian backport). */
export const obufNormalUnlimited: ScenarioProperty = {
  name: 'obuf-normal-unlimited',
  summary: "with 'normal 0 0 0' no normal client is ever closed for its output",
  check(sc) {
    return guarded('obuf-normal-unlimited', () => {
      let found: Violation | null = null;
      obufObserve(sc, (e, _clients, decision) => {
        if (found || !decision || decision.cls !== 'normal') return;
        if (decision.limit.hard !== 0 || decision.limit.soft !== 0) return;
        found = {
          message: `client ${decision.name} (class normal, limits 0 0 0${decision.authenticated ? '' : ', not authenticated'}) was closed for its output buffer at ${fmtT(e.t)} with omem ${decision.omem}`,
          client: decision.name,
          expect: [{ kind: 'lacks', pattern: { kind: 'close', client: decision.name, reason: '/^obuf-/' } }],
        };
      });
      return found;
    });
  },
};

// ---------------------------------------------------------------------------------------------
// query-buffer limit

/** Bytes of one step's command(s) on the wire, for the black-box half of the query-buffer check. */
function stepCommands(s: Step): ArgSpec[][] {
  if (s.op === 'call' || s.op === 'send') return [s.args];
  if (s.op === 'pipeline') return s.commands;
  return [];
}

function largestArgument(sc: Scenario, client: string): number {
  let max = 0;
  for (const s of sc.clients.find((c) => c.name === client)?.script ?? []) {
    for (const cmd of stepCommands(s)) for (const a of cmd) max = Math.max(max, typeof a === 'string' ? Buffer.byteLength(a) : a.fill);
    if (s.op === 'raw' || s.op === 'inline') max = Math.max(max, s.op === 'raw' ? s.bytes.reduce((n, b) => n + b.length, 0) : s.text.length);
  }
  return max;
}

/** The size of the one big (≥ 32 KiB) argument of a client whose script sends exactly one command and then only waits. */
function singleBigArgument(sc: Scenario, client: string): number | undefined {
  const script = sc.clients.find((c) => c.name === client)?.script ?? [];
  const sends = script.filter((s) => s.op !== 'wait');
  if (sends.length !== 1) return undefined;
  const s = sends[0]!;
  if (s.op !== 'send' && s.op !== 'call') return undefined;
  const sizes = s.args.map((a) => (typeof a === 'string' ? Buffer.byteLength(a) : a.fill));
  const big = sizes.filter((n) => n >= 32 * 1024);
  if (big.length !== 1 || sizes.some((n) => n < 32 * 1024 && n > 64)) return undefined;
  return big[0];
}

export function largestCommand(sc: Scenario, client: string): number {
  let max = 0;
  for (const s of sc.clients.find((c) => c.name === client)?.script ?? []) {
    for (const cmd of stepCommands(s)) max = Math.max(max, encodeCommand(cmd).reduce((n, b) => n + b.length, 0));
    if (s.op === 'raw') max = Math.max(max, s.bytes.reduce((n, b) => n + b.length, 0));
    if (s.op === 'inline') max = Math.max(max, Buffer.byteLength(s.text) + 2);
  }
  return max;
}

/** Slack for the query buffer beyond one argument: the read that completes it and a partial next command. */
export const QUERYBUF_READ_SLACK = 64 * 1024;

export interface QuerybufOptions {
  /** Black-box oracle: whether a client sending these commands must be / must not be closed (test-suite use). */
  oracle?: (p: { limit: number; largestArg: number; largestCommand: number }) => boolean | undefined;
}

/**
 * The query-buffer limit closes a client exactly when a read leaves more than the limit in its
 * query buffer — at that read, with no more reads or commands after it — and never otherwise.
 * Black-box half: a client whose commands are all smaller than limit − 64 KiB is never closed for
 * its query buffer; a client whose only command has one big argument is closed exactly when the
 * argument plus its CRLF exceeds the limit.
 */
export function querybufLimitWith(opts: QuerybufOptions = {}): ScenarioProperty {
  return {
    name: 'querybuf-limit',
    summary: 'a client is closed for its query buffer exactly at the read that takes it over the limit, never otherwise',
    check(sc) {
      return guarded('querybuf-limit', () => {
        const r = runScenario(sc);
        const limit = configNumber(sc, 'client-query-buffer-limit', 2 ** 30);
        const ev = r.events;
        const over = new Map<number, Ev<'read'>>();
        for (const e of ev) {
          if (e.kind === 'read') {
            if (over.has(e.id)) return { message: `client ${e.client} was read from at ${fmtT(e.t)} after a read left ${over.get(e.id)!.qbuf} bytes (> limit ${limit}) in its query buffer`, client: e.client, expect: [lacksEvent(e)] };
            if (e.qbuf > limit) over.set(e.id, e);
          } else if (e.kind === 'command' && over.has(e.id)) {
            return { message: `client ${e.client} ran a command at ${fmtT(e.t)} after its query buffer went over the limit`, client: e.client, expect: [lacksEvent(e)] };
          } else if (e.kind === 'close') {
            const o = over.get(e.id);
            if (o && (e.reason !== 'querybuf-limit' || e.t !== o.t)) {
              return { message: `client ${e.client}: a read at ${fmtT(o.t)} left ${o.qbuf} bytes (> limit ${limit}) in its query buffer, but it was closed ${e.reason === 'querybuf-limit' ? 'only' : `for ${e.reason}`} at ${fmtT(e.t)}`, client: e.client, expect: [{ kind: 'closed', client: e.client ?? '', reason: 'querybuf-limit', beforeUs: o.t + 1 }] };
            }
            if (!o && e.reason === 'querybuf-limit') {
              return { message: `client ${e.client} was closed for its query buffer at ${fmtT(e.t)} but no read took it over ${limit} bytes`, client: e.client, expect: [lacksEvent(e)] };
            }
            over.delete(e.id);
          }
        }
        for (const [, o] of over) {
          return { message: `client ${o.client}: a read at ${fmtT(o.t)} left ${o.qbuf} bytes (> limit ${limit}) in its query buffer, and it was never closed`, client: o.client, expect: [{ kind: 'closed', client: o.client ?? '', reason: 'querybuf-limit' }] };
        }
        // Black-box half.
        for (const c of sc.clients) {
          const closed = ev.find((e): e is Ev<'close'> => e.kind === 'close' && e.client === c.name && e.reason === 'querybuf-limit');
          const largestArg = largestArgument(sc, c.name);
          const largestCmd = largestCommand(sc, c.name);
          if (closed && largestCmd <= limit - QUERYBUF_READ_SLACK) {
            return { message: `client ${c.name} was closed for its query buffer at ${fmtT(closed.t)} though its largest command is ${largestCmd} bytes (limit ${limit})`, client: c.name, expect: [lacksEvent(closed)] };
          }
          // A client whose only command has one big argument (≥ 32 KiB): Redis reads the bulk to
          // its end and trims the command's header, so the query buffer ends as the argument and
          // its CRLF: closed exactly when argument + 2 > limit (if nothing else ends it first).
          const big = singleBigArgument(sc, c.name);
          if (big !== undefined && !sc.faults.some((f) => f.client === c.name)) {
            const want = big + 2 > limit;
            if (want !== !!closed) {
              return {
                message: `client ${c.name} sent one command whose argument is ${big} bytes (query buffer ${big + 2} bytes with its CRLF, limit ${limit}) and was ${closed ? '' : 'not '}closed for its query buffer`,
                client: c.name,
                expect: [closed ? lacksEvent(closed) : { kind: 'closed', client: c.name, reason: 'querybuf-limit' }],
              };
            }
          }
          if (opts.oracle) {
            const want = opts.oracle({ limit, largestArg, largestCommand: largestCmd });
            if (want !== undefined && want !== !!closed) {
              return {
                message: `client ${c.name} (largest argument ${largestArg} bytes, largest command ${largestCmd} bytes, limit ${limit}) was ${closed ? '' : 'not '}closed for its query buffer; the oracle expected the opposite`,
                client: c.name,
                expect: [closed ? lacksEvent(closed) : { kind: 'closed', client: c.name, reason: 'querybuf-limit' }],
              };
            }
          }
        }
        return null;
      });
    },
  };
}

export const querybufLimit = querybufLimitWith();

// ---------------------------------------------------------------------------------------------
// fairness

/** A client whose script only makes request-response calls (and waits): a "light" client. */
export function isLightClient(script: readonly Step[]): boolean {
  return script.some((s) => s.op === 'call') && script.every((s) => s.op === 'call' || s.op === 'wait');
}

/** A client that pipelines: it may keep the server busy. */
export function isHeavyClient(script: readonly Step[]): boolean {
  return script.some((s) => s.op === 'pipeline' || s.op === 'send' || s.op === 'raw');
}

const FAIRNESS_EVENTS: ReadonlySet<TimelineEvent['kind']> = new Set(['read', 'write', 'accept', 'client']);

export interface FairnessOptions {
  /** Multiplier of the per-read cost in the bound (default 2: the iteration in progress and the one that serves the request). */
  readsPerHeavy?: number;
}

/**
 * With one read per readable event, a light client's reply latency (from the later of sending and
 * being accepted, to the reply arriving) is at most
 *   readsPerHeavy × H × R  +  own cost  +  round trip  +  50 µs,
 * H = heavy (pipelining) clients, R = the cost of one read's worth of their commands:
 *   ceil(largest read / smallest heavy command) × cost.command + (largest read + largest write) × cost.byte
 * whatever the length of their pipelines. docs/properties.md explains the terms.
 */
export function fairnessWith(opts: FairnessOptions = {}): ScenarioProperty {
  const k = opts.readsPerHeavy ?? 2;
  return {
    name: 'fairness',
    summary: "a request-response client's latency is bounded by 2 × busy clients × one read's worth of their commands, however long their pipelines",
    check(sc) {
      return guarded('fairness', () => {
        const heavy = sc.clients.filter((c) => isHeavyClient(c.script));
        const light = sc.clients.filter((c) => isLightClient(c.script));
        if (heavy.length === 0 || light.length === 0) return null;
        const r = runScenario(sc, { record: FAIRNESS_EVENTS });
        const ev = r.events;
        const heavyNames = new Set(heavy.map((c) => c.name));
        let maxRead = 16384;
        let maxWrite = 0;
        for (const e of ev) {
          if (e.kind === 'read' && heavyNames.has(e.client ?? '')) maxRead = Math.max(maxRead, e.bytes);
          if (e.kind === 'write' && heavyNames.has(e.client ?? '')) maxWrite = Math.max(maxWrite, e.bytes);
        }
        let minCmd = Infinity;
        for (const c of heavy) for (const s of c.script) for (const cmd of stepCommands(s)) minCmd = Math.min(minCmd, encodeCommand(cmd).reduce((n, b) => n + b.length, 0));
        if (!Number.isFinite(minCmd)) minCmd = 1;
        const { commandUs, byteNs } = sc.server.cost;
        const perRead = Math.ceil(maxRead / minCmd) * commandUs + Math.ceil(((maxRead + maxWrite) * byteNs) / 1000) + 5;
        for (const c of light) {
          const accepted = ev.find((e) => e.kind === 'accept' && e.client === c.name);
          const connected = ev.find((e) => e.kind === 'client' && e.client === c.name && e.what === 'connected');
          if (!accepted || !connected) continue;
          const replies = ev.filter((e): e is Ev<'client'> => e.kind === 'client' && e.client === c.name && e.what === 'reply');
          const rtt = 2 * (c.network.latencyUs + c.network.jitterUs);
          let t = connected.t;
          let k2 = 0;
          for (const s of c.script) {
            if (s.op === 'wait') t += s.us;
            if (s.op !== 'call') continue;
            const reply = replies[k2++];
            if (!reply) break;
            const own = commandUs + Math.ceil((encodeCommand(s.args).reduce((n, b) => n + b.length, 0) * byteNs) / 1000);
            const from = Math.max(t, accepted.t);
            const bound = k * heavy.length * perRead + own + rtt + 50;
            const latency = reply.t - from;
            if (latency > bound) {
              return {
                message: `light client ${c.name} waited ${fmtT(latency)} for reply #${k2} (request at ${fmtT(from)}, reply at ${fmtT(reply.t)}); the bound is ${k} × ${heavy.length} busy clients × ${fmtT(perRead)} per read (${Math.ceil(maxRead / minCmd)} commands of ≥ ${minCmd} bytes in a ${maxRead}-byte read) + ${fmtT(own + rtt + 50)} = ${fmtT(bound)}`,
                client: c.name,
                expect: [lacksEvent(reply)],
                note: `the reply event named in the expectation came ${fmtT(latency - bound)} later than the bound allows`,
              };
            }
            t = reply.t;
          }
        }
        return null;
      });
    },
  };
}

export const fairness = fairnessWith();

// ---------------------------------------------------------------------------------------------

/**
 * `property` under another name (and summary): for variants built with the options above — a
 * deliberately wrong bound, a broken oracle — so that their counterexamples are not mistaken for
 * counterexamples of the registered property.
 */
export function renamed(property: ScenarioProperty, name: string, summary = property.summary): ScenarioProperty {
  return { name, summary, check: (sc) => property.check(sc) };
}

/** Every property by name, for `redsim check --property NAME`. */
export const PROPERTIES: Readonly<Record<string, ScenarioProperty>> = Object.fromEntries(
  [determinism, repliesIndependentOfOrder, fragmentation, conservation, noCloseBeforeTimeout, timeoutBound, clientLimits, obufHardLimit, obufSoftLimit, obufNormalUnlimited, querybufLimit, fairness].map((p) => [p.name, p]),
);

export type { RunResult };
