import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstDivergence, readTimeline, renderDivergence } from '../../src/cli/diff.ts';
import type { TimelineEvent } from '../../src/timeline/events.ts';
import { redsim, tempDir } from './helpers.ts';

const plain = new Chalk({ level: 0 });

function timeline(n: number): TimelineEvent[] {
  return Array.from({ length: n }, (_, i) => ({ t: i * 10, seq: i, client: 'c1', kind: 'read', id: 3, bytes: i, qbuf: i }) as TimelineEvent);
}

describe('firstDivergence', () => {
  it('returns null for identical timelines', () => {
    expect(firstDivergence(timeline(20), timeline(20))).toBeNull();
  });

  it('ignores key order: events are compared in canonical form', () => {
    const a = timeline(3);
    const b = a.map((e) => Object.fromEntries(Object.entries(e).reverse()) as unknown as TimelineEvent);
    expect(firstDivergence(a, b)).toBeNull();
  });

  it('finds the first differing event, the fields that differ and context on both sides', () => {
    const a = timeline(20);
    const b = timeline(20);
    b[12] = { ...b[12]!, t: 121 } as TimelineEvent;
    b[15] = { ...b[15]!, bytes: 99 } as TimelineEvent;
    const d = firstDivergence(a, b, 3)!;
    expect(d.index).toBe(12);
    expect(d.a).toEqual(a[12]);
    expect(d.b).toEqual(b[12]);
    expect(d.fields).toEqual([{ key: 't', a: 120, b: 121 }]);
    expect(d.before.map((e) => e.seq)).toEqual([9, 10, 11]);
    expect(d.afterA.map((e) => e.seq)).toEqual([13, 14, 15]);
    expect(d.afterB[2]).toEqual(b[15]);
  });

  it('reports where the shorter timeline ends when one is a prefix of the other', () => {
    const d = firstDivergence(timeline(5), timeline(8), 2)!;
    expect(d.index).toBe(5);
    expect(d.a).toBeUndefined();
    expect(d.b?.seq).toBe(5);
    expect(d.before.map((e) => e.seq)).toEqual([3, 4]);
    expect(d.lengthA).toBe(5);
    expect(d.lengthB).toBe(8);
  });

  it('gives less context at the very start', () => {
    const a = timeline(4);
    const b = [{ ...a[0]!, client: 'c2' } as TimelineEvent, ...a.slice(1)];
    const d = firstDivergence(a, b, 3)!;
    expect(d.index).toBe(0);
    expect(d.before).toEqual([]);
    expect(d.fields).toEqual([{ key: 'client', a: 'c1', b: 'c2' }]);
  });
});

describe('renderDivergence', () => {
  it('shows both events readably, labelled, with the differing fields and what follows', () => {
    const a = timeline(10);
    const b = timeline(10);
    b[6] = { ...b[6]!, bytes: 1234 } as TimelineEvent;
    const text = renderDivergence(firstDivergence(a, b, 2)!, plain, ['report', 'rerun']);
    expect(text).toContain('first difference at event #6 (report has 10 events, rerun has 10)');
    expect(text).toMatch(/report > 0\.000060s {2}c1 +read 6 B/);
    expect(text).toMatch(/rerun {2}> 0\.000060s {2}c1 +read 1\.2 KB/);
    expect(text).toContain('differs in bytes: 6 vs 1234');
    expect(text).toContain('… 4 identical events before');
    expect(text).toContain('then in both:');
  });
});

describe('readTimeline', () => {
  it('reads a run.json, a `run --json` line, a list of events and a timeline.ndjson alike', () => {
    const dir = tempDir();
    const events = timeline(3);
    const files = {
      run: JSON.stringify({ scenario: 's', file: 'x.yaml', seed: 4, hash: 'h', events }, null, 1),
      line: JSON.stringify({ scenario: 's', file: 'x.yaml', seed: 4, hash: 'h', events }) + '\n',
      list: JSON.stringify(events),
      ndjson: events.map((e) => JSON.stringify(e)).join('\n') + '\n',
    };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      const t = readTimeline(join(dir, name));
      expect(t.events, name).toEqual(events);
    }
    expect(readTimeline(join(dir, 'run'))).toMatchObject({ file: 'x.yaml', seed: 4, hash: 'h', scenario: 's' });
  });

  it('says why a file is not a timeline', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), '{"a": 1}');
    expect(() => readTimeline(join(dir, 'x.json'))).toThrow(/not a run report/);
    expect(() => readTimeline(join(dir, 'missing.json'))).toThrow(/no such file/);
  });
});

describe('redsim diff', () => {
  const dir = tempDir();
  let runA: string;
  beforeAll(async () => {
    const [a, b] = await Promise.all([redsim(['run', 'scenarios/ping-pong.yaml', '--json']), redsim(['run', 'scenarios/ping-pong.yaml', '--json'])]);
    runA = a.out;
    writeFileSync(join(dir, 'a.json'), a.out);
    writeFileSync(join(dir, 'b.json'), b.out);
  });

  it('exits 0 and says identical for two runs of the same scenario and seed', async () => {
    const r = await redsim(['diff', join(dir, 'a.json'), join(dir, 'b.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^identical: \d+ events, hash [0-9a-f]{16}/);
  });

  it('exits 1 and shows the first differing event with context and reproduce commands', async () => {
    const run = JSON.parse(runA);
    const k = run.events.findIndex((e: TimelineEvent) => e.kind === 'read');
    run.events[k].bytes += 1;
    writeFileSync(join(dir, 'c.json'), JSON.stringify(run));
    const r = await redsim(['diff', join(dir, 'a.json'), join(dir, 'c.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`first difference at event #${k}`);
    expect(r.out).toMatch(/A > .*read.*\n {2}B > .*read/);
    expect(r.out).toContain(`differs in bytes: ${run.events[k].bytes - 1} vs ${run.events[k].bytes}`);
    expect(r.out).toContain('reproduce A: npx redsim run scenarios/ping-pong.yaml --seed 1');
    expect(r.out).toContain(`reproduce this comparison: npx redsim diff ${join(dir, 'a.json')} ${join(dir, 'c.json')}`);
  });

  it('exits 2 for a file that is not a timeline', async () => {
    writeFileSync(join(dir, 'numbers.json'), '[1, 2]');
    const r = await redsim(['diff', join(dir, 'numbers.json'), 'package.json']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not of timeline events');
  });
});
