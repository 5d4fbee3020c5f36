// The Chrome trace-event JSON: valid for Perfetto UI, a track per client, counters for buffers.
import { describe, expect, it } from 'vitest';
import { renderTrace, type TraceEvent } from '../../src/report/perfetto.ts';
import { bundled, syntheticRun } from './helpers.ts';

/** Checks the shape Perfetto's JSON importer expects of every event. */
function validate(ev: TraceEvent): void {
  expect(typeof ev.name).toBe('string');
  expect(['M', 'i', 'C', 'X']).toContain(ev.ph);
  expect(Number.isInteger(ev.pid)).toBe(true);
  if (ev.ph !== 'M') {
    expect(Number.isFinite(ev.ts)).toBe(true);
    expect(ev.ts!).toBeGreaterThanOrEqual(0);
  }
  if (ev.ph === 'i') {
    expect(Number.isInteger(ev.tid)).toBe(true);
    expect(ev.s).toBe('t');
  }
  if (ev.ph === 'X') expect(ev.dur!).toBeGreaterThanOrEqual(0);
  if (ev.ph === 'C') for (const v of Object.values(ev.args ?? {})) expect(typeof v).toBe('number');
}

describe('renderTrace', () => {
  it('is valid trace-event JSON that survives a round trip through JSON text', () => {
    const { r } = bundled('soft-limit-enforced');
    const trace = JSON.parse(JSON.stringify(renderTrace(r)));
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.displayTimeUnit).toBe('ms');
    expect(trace.otherData.hash).toBe(r.hash);
    for (const ev of trace.traceEvents) validate(ev);
  });

  it('has one process, a "server" track and a track per client', () => {
    const { r } = bundled('maxclients-refusal');
    const t = renderTrace(r);
    const procs = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name');
    expect(procs).toHaveLength(1);
    expect(new Set(t.traceEvents.map((e) => e.pid))).toEqual(new Set([1]));
    const threads = new Map(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [(e.args as { name: string }).name, e.tid]));
    expect(threads.get('server')).toBe(1);
    for (const c of r.clients) expect(threads.has(c.name), c.name).toBe(true);
    expect(new Set(threads.values()).size).toBe(threads.size);
  });

  it('puts reads, commands, writes and closes on the client\'s track as instant events with args, at the virtual time in µs', () => {
    const { r } = bundled('soft-limit-enforced');
    const t = renderTrace(r);
    const tid = t.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && (e.args as { name: string }).name === 'stalled')!.tid;
    const mine = t.traceEvents.filter((e) => e.ph === 'i' && e.tid === tid);
    for (const cat of ['read', 'command', 'write', 'close']) expect(mine.some((e) => e.cat === cat), cat).toBe(true);
    const close = r.events.find((e) => e.kind === 'close')!;
    const ev = mine.find((e) => e.cat === 'close')!;
    expect(ev.ts).toBe(close.t);
    expect(ev.args).toMatchObject({ seq: close.seq, reason: 'obuf-soft-limit' });
    expect(String(ev.args!.what)).toMatch(/^closed: output buffer .* ≥ soft limit/);
  });

  it('has counter tracks for each client\'s output buffer and query buffer and for connected clients', () => {
    const { r } = bundled('maxclients-refusal');
    const t = renderTrace(r);
    const counters = new Set(t.traceEvents.filter((e) => e.ph === 'C').map((e) => e.name));
    expect(counters.has('connected clients')).toBe(true);
    const accepted = new Set(r.events.flatMap((e) => (e.kind === 'accept' ? [e.client!] : [])));
    for (const c of accepted) {
      expect(counters.has(`obuf ${c}`), c).toBe(true);
      expect(counters.has(`qbuf ${c}`), c).toBe(true);
    }
    const peak = Math.max(...t.traceEvents.filter((e) => e.ph === 'C' && e.name === 'connected clients').map((e) => (e.args as { clients: number }).clients));
    expect(peak).toBe(3);
  });

  it('handles 100k events', () => {
    const t = renderTrace(syntheticRun(100_000, 300));
    expect(t.traceEvents.length).toBeGreaterThan(100_000);
    expect(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name')).toHaveLength(301);
  });
});
