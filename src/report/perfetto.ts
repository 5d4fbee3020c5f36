// The run as Chrome trace-event JSON (the "JSON Object Format" that ui.perfetto.dev and
// chrome://tracing open): one process, a track (thread) for the server and one per client, instant
// events for what happened, a slice per connection, and counter tracks for each client's output and
// query buffers and for connected clients. Timestamps are virtual time in µs.
import type { RunResult } from '../scenario/run.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import { explainWhy } from './explain.ts';
import { describeEvent } from './text.ts';

/** One trace event (the fields this renderer uses). */
export interface TraceEvent {
  name: string;
  ph: 'M' | 'i' | 'C' | 'X';
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface Trace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string | number | boolean>;
}

const PID = 1;
const SERVER_TID = 1;

/** Event fields other than the common ones, as trace args. */
function argsOf(e: TimelineEvent): Record<string, unknown> {
  const { t: _t, seq, client: _c, kind: _k, ...rest } = e as unknown as Record<string, unknown>;
  return { seq, ...rest };
}

function nameOf(e: TimelineEvent): string {
  switch (e.kind) {
    case 'command': return e.name;
    case 'close': return `close: ${e.reason}`;
    case 'reject': return `refused: ${e.reason}`;
    case 'client': return `client ${e.what}`;
    case 'log': return `log ${e.level}`;
    case 'fault': return `fault ${e.fault}`;
    case 'tls': return `tls ${e.what}`;
    case 'firewall': return `firewall ${e.action} ${e.dir}`;
    case 'connect': return `connect ${e.result}`;
    default: return e.kind;
  }
}

/** The trace of a run, ready for JSON.stringify. */
export function renderTrace(r: RunResult): Trace {
  const out: TraceEvent[] = [];
  const tids = new Map<string, number>();
  const tidOf = (client: string | undefined): number => {
    if (client === undefined) return SERVER_TID;
    let t = tids.get(client);
    if (t === undefined) {
      t = tids.size + 2;
      tids.set(client, t);
    }
    return t;
  };
  // Names first so every client gets its tid in order of first appearance.
  for (const e of r.events) tidOf(e.client);

  out.push({ name: 'process_name', ph: 'M', pid: PID, args: { name: `redsim: ${r.scenario} (seed ${r.seed})` } });
  out.push({ name: 'thread_name', ph: 'M', pid: PID, tid: SERVER_TID, args: { name: 'server' } });
  out.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: SERVER_TID, args: { sort_index: 0 } });
  for (const [name, tid] of tids) {
    out.push({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: tid } });
  }

  const obuf = new Map<string, number>();
  let connected = 0;
  const opened = new Map<string, TimelineEvent>();
  const counter = (name: string, ts: number, args: Record<string, number>) => out.push({ name, ph: 'C', ts, pid: PID, args });
  counter('connected clients', 0, { clients: 0 });

  for (const e of r.events) {
    const tid = tidOf(e.client);
    const who = e.client ?? ('id' in e ? `id=${e.id}` : 'server');
    if (e.kind !== 'cron') {
      const why = explainWhy(e);
      // Reads, replies and writes are many and their args say it all; the rest get a sentence.
      const say = why ?? (e.kind === 'read' || e.kind === 'reply' || e.kind === 'write' ? null : describeEvent(e));
      out.push({ name: nameOf(e), cat: e.kind, ph: 'i', s: 't', ts: e.t, pid: PID, tid, args: say === null ? argsOf(e) : { ...argsOf(e), what: say } });
    }
    switch (e.kind) {
      case 'accept':
        opened.set(who, e);
        obuf.set(who, 0);
        counter(`obuf ${who}`, e.t, { bytes: 0 });
        counter('connected clients', e.t, { clients: ++connected });
        break;
      case 'reply': {
        const v = (obuf.get(who) ?? 0) + e.bytes;
        obuf.set(who, v);
        counter(`obuf ${who}`, e.t, { bytes: v });
        break;
      }
      case 'write':
        obuf.set(who, e.pending);
        counter(`obuf ${who}`, e.t, { bytes: e.pending });
        break;
      case 'read':
        counter(`qbuf ${who}`, e.t, { bytes: e.qbuf });
        break;
      case 'close': {
        counter(`obuf ${who}`, e.t, { bytes: 0 });
        counter(`qbuf ${who}`, e.t, { bytes: 0 });
        counter('connected clients', e.t, { clients: (connected = Math.max(0, connected - 1)) });
        const a = opened.get(who);
        if (a) {
          out.push({ name: `connection (${e.reason})`, cat: 'connection', ph: 'X', ts: a.t, dur: e.t - a.t, pid: PID, tid, args: { id: e.id, reason: e.reason, why: explainWhy(e) } });
          opened.delete(who);
        }
        break;
      }
      case 'cron':
        counter('cron visited', e.t, { visited: e.visited, clients: e.clients });
        break;
    }
  }
  for (const [who, a] of opened) {
    out.push({ name: 'connection (open at the end)', cat: 'connection', ph: 'X', ts: a.t, dur: r.endUs - a.t, pid: PID, tid: tidOf(a.client ?? who), args: { id: (a as { id: number }).id } });
  }
  return {
    traceEvents: out,
    displayTimeUnit: 'ms',
    otherData: { scenario: r.scenario, file: r.file, seed: r.seed, hash: r.hash, passed: r.passed, clock: 'virtual time, µs' },
  };
}
