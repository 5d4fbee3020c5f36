// The text summary names why every connection ended, with numbers, in colour only when asked.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { connectionEnds, explainWhy, fmtSeconds } from '../../src/report/explain.ts';
import { renderSummary } from '../../src/report/text.ts';
import type { TimelineEvent } from '../../src/timeline/events.ts';
import { bundled } from './helpers.ts';

const plain = new Chalk({ level: 0 });
const ev = (body: Record<string, unknown>): TimelineEvent => ({ t: 4150, seq: 1, client: 'c1', ...body }) as TimelineEvent;

describe('plain-language reasons', () => {
  it('reads an output-buffer hard-limit close with sizes, limit and class', () => {
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'obuf-hard-limit', detail: 'omem 1049000 >= hard limit 1048576 (normal)' })))
      .toBe('closed: output buffer 1.0 MB (1049000 B) ≥ hard limit 1.0 MB (1048576 B) (class normal)');
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'obuf-hard-limit', detail: 'omem 35232153 >= hard limit 33554432 (pubsub)' })))
      .toBe('closed: output buffer 33.6 MB ≥ hard limit 32.0 MB (class pubsub)');
  });

  it('reads idle timeouts, query-buffer limits, keepalive and maxclients refusals', () => {
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'idle-timeout', detail: 'idle 11 s > timeout 10 s' }))).toBe('closed: idle for 11 s > timeout 10 s');
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'querybuf-limit', detail: 'qbuf 2000000 > limit 1048576' }))).toBe('closed: query buffer 1.9 MB > client-query-buffer-limit 1.0 MB');
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'keepalive', detail: 'Connection timed out' }))).toContain('keepalive probes went unanswered');
    expect(explainWhy(ev({ kind: 'reject', reason: 'maxclients', addr: 'a', detail: '3 clients connected, maxclients 3' }))).toMatch(/^refused: 3 clients connected ≥ maxclients 3/);
  });

  it('falls back to the raw detail for a shape it does not know', () => {
    expect(explainWhy(ev({ kind: 'close', id: 3, reason: 'obuf-hard-limit', detail: 'something new' }))).toBe('closed (obuf-hard-limit): something new');
  });

  it('counts failed connects as ends, and times ends in seconds', () => {
    const ends = connectionEnds([ev({ kind: 'connect', addr: '127.0.0.1:6379', result: 'refused' }), ev({ kind: 'connect', addr: 'x', result: 'ok' })]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.text).toBe('connect failed: connection refused by 127.0.0.1:6379 (nothing listening) at t=0.00415 s');
    expect(fmtSeconds(12_004_000)).toBe('12.004 s');
    expect(fmtSeconds(3_001_017)).toBe('3.001017 s');
  });
});

describe('renderSummary', () => {
  it('gives every close or refusal a reason line with numbers', () => {
    const s = renderSummary(bundled('maxclients-refusal').r, plain);
    expect(s).toMatch(/^ {2}refused refused: 3 clients connected ≥ maxclients 3 .* at t=0\.0\d+ s$/m);
    expect(s).toMatch(/^ {2}first closed: the client asked to go/m);
    const soft = renderSummary(bundled('soft-limit-enforced').r, plain);
    expect(soft).toMatch(/^ {2}stalled closed: output buffer 512\.\d KB ≥ soft limit 256\.0 KB for more than 2 s \(over it since t=0 s; class normal\) at t=3\.\d+ s$/m);
  });

  it('shares one line among connections that ended the same way at the same moment, and caps the lines', () => {
    const s = renderSummary(bundled('idle-clients-closed-late').r, plain, { maxEnds: 5 });
    expect(s).toMatch(/^ {2}idle-2000, idle-1999 and 198 others closed: idle for 11 s > timeout 10 s at t=11\.\d+ s$/m);
    expect(s).toMatch(/^ {2}… and \d+ more connection ends at other times; every one is in the timeline$/m);
    expect(s.split('\n').filter((l) => l.includes('closed: idle'))).toHaveLength(5);
  });

  it('has no colour codes when colour is off, and colours the reasons when on', () => {
    const { r } = bundled('soft-limit-enforced');
    expect(renderSummary(r, plain)).not.toMatch(/\x1b\[/);
    expect(renderSummary(r, new Chalk({ level: 1 }))).toMatch(/\x1b\[31mclosed: output buffer/);
  });
});
