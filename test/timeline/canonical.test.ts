import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/timeline/events.ts';
import { canonicalEvent, canonicalEventReference, canonicalTimeline, Recorder, timelineHash } from '../../src/timeline/recorder.ts';
import { createHash } from 'node:crypto';

const ev = (o: Record<string, unknown>) => o as unknown as TimelineEvent;

describe('canonical form (fast path against the plain definition)', () => {
  const samples: TimelineEvent[] = [
    ev({ t: 0, seq: 0, kind: 'horizon' }),
    ev({ t: 5, seq: 1, client: 'c1', kind: 'read', id: 3, bytes: 10, qbuf: 10 }),
    ev({ kind: 'read', bytes: 10, t: 5, id: 3, qbuf: 10, seq: 1, client: 'c1' }),
    ev({ t: 7, seq: 2, kind: 'close', id: 3, reason: 'quit', detail: undefined }),
    ev({ t: 7, seq: 3, kind: 'close', id: 3, reason: 'quit', detail: 'with "quotes" \\ and\nnewline\u0001 and \ud800 lone' }),
    ev({ t: 7, seq: 4, client: 'ünïcødé ✓ 😀', kind: 'log', level: 'notice', line: 'emoji 😀 and \u2028' }),
    ev({ t: -0, seq: 5, kind: 'cron', hz: NaN, visited: Infinity, clients: 1e21 }),
    ev({ t: 1.5, seq: 6, kind: 'client', what: 'x', detail: '', flag: true, other: false, nul: null }),
    ev({ t: 1, seq: 7, kind: 'fault', fault: 'f', nested: { b: 1, a: [1, 'x'] }, fn: () => 1 }),
  ];
  it('prints exactly what JSON.stringify of the sorted-key object prints', () => {
    for (let round = 0; round < 2; round++) {
      for (const e of samples) expect(canonicalEvent(e)).toBe(canonicalEventReference(e));
    }
  });

  it('keeps separate key orders for events of one kind with different keys', () => {
    const a = ev({ t: 1, seq: 1, kind: 'client', what: 'reply', detail: '+OK' });
    const b = ev({ t: 1, seq: 2, kind: 'client', what: 'connected' });
    const c = ev({ t: 1, seq: 3, kind: 'client', detail: 'd', what: 'w' });
    for (const e of [a, b, c, a, c, b]) expect(canonicalEvent(e)).toBe(canonicalEventReference(e));
  });

  it('hashes the NDJSON text whatever the chunking', () => {
    const many: TimelineEvent[] = [];
    for (let i = 0; i < 5000; i++) many.push(ev({ t: i, seq: i, client: `c${i % 7}`, kind: 'write', id: i, bytes: i * 3, pending: 0 }));
    const text = many.map((e) => canonicalEventReference(e) + '\n').join('');
    expect(canonicalTimeline(many)).toBe(text);
    expect(timelineHash(many)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(canonicalTimeline([])).toBe('');
  });
});

describe('Recorder', () => {
  it('records t, seq, client first, then the body in its own order', () => {
    let now = 10;
    const r = new Recorder(() => now, (a) => (a === '1.2.3.4:5' ? 'c9' : undefined));
    r.emit({ kind: 'read', id: 1, bytes: 2, qbuf: 3 }, '1.2.3.4:5');
    now = 11;
    r.emit({ kind: 'read', id: 1, bytes: 2, qbuf: 3 }, '9.9.9.9:9');
    r.emitFor({ kind: 'horizon' });
    expect(r.events.map((e) => Object.keys(e))).toEqual([
      ['t', 'seq', 'client', 'kind', 'id', 'bytes', 'qbuf'],
      ['t', 'seq', 'client', 'kind', 'id', 'bytes', 'qbuf'],
      ['t', 'seq', 'kind'],
    ]);
    expect(r.events[1]!.client).toBe('9.9.9.9:9');
    expect(r.events.map((e) => e.seq)).toEqual([0, 1, 2]);
  });

  it('records only the kinds asked for, and says so through wants()', () => {
    const r = new Recorder(() => 0, () => undefined, new Set(['close']));
    expect(r.wants('close')).toBe(true);
    expect(r.wants('read')).toBe(false);
    r.emit({ kind: 'read', id: 1, bytes: 2, qbuf: 3 });
    r.emit({ kind: 'close', id: 1, reason: 'quit' });
    expect(r.events.map((e) => e.kind)).toEqual(['close']);
    expect(r.events[0]!.seq).toBe(0);
  });
});
