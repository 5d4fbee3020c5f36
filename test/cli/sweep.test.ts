import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSeeds, mergeResults, parseSeeds, parseShard, shardSeeds, sweepResults, type SweepResults } from '../../src/cli/sweep.ts';
import { ROOT, redsim, tempDir } from './helpers.ts';

describe('seeds and shards', () => {
  it('parses ranges, single seeds and mixes, sorted and without repeats', () => {
    expect(parseSeeds('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('7')).toEqual([7]);
    expect(parseSeeds('10..12, 3, 11..13')).toEqual([3, 10, 11, 12, 13]);
    expect(() => parseSeeds('5..1')).toThrow(/backwards; write 1..5/);
    expect(() => parseSeeds('1-5')).toThrow(/not a seed or a range/);
    expect(() => parseSeeds('-1')).toThrow(/not a seed or a range/);
  });

  it('writes seeds back as compact ranges', () => {
    expect(formatSeeds([1, 2, 3, 5, 7, 8])).toBe('1..3,5,7..8');
    expect(formatSeeds([])).toBe('');
  });

  it('parses K/N shards and refuses K outside 1..N', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(() => parseShard('0/3')).toThrow(/between 1 and N/);
    expect(() => parseShard('4/3')).toThrow(/between 1 and N/);
    expect(() => parseShard('two')).toThrow(/not K\/N/);
  });

  it('puts seed s of A..B in shard ((s - A) mod N) + 1, so shards are disjoint and cover the range', () => {
    const all = parseSeeds('5..104');
    const shards = [1, 2, 3, 4].map((k) => shardSeeds(all, k, 4));
    for (const [k, seeds] of shards.entries()) for (const s of seeds) expect((s - 5) % 4).toBe(k);
    expect(shards.flat().sort((a, b) => a - b)).toEqual(all);
    expect(new Set(shards.flat()).size).toBe(all.length);
  });
});

describe('mergeResults', () => {
  const head = { scenario: 's', file: 's.yaml', scenarioSha256: 'abc', range: '1..6' };
  const seed = (n: number) => ({ seed: n, passed: n !== 4, hash: `h${n}`, failed: n === 4 ? ['x'] : [] });
  const shard = (k: number, seeds: number[]) => ({ name: `shard-${k}.json`, results: sweepResults({ ...head, shard: `${k}/3` }, seeds.map(seed)) });

  it('joins disjoint shards into the whole sweep', () => {
    const m = mergeResults([shard(2, [2, 5]), shard(1, [1, 4]), shard(3, [3, 6])]);
    expect(m.errors).toEqual([]);
    expect(m.missing).toEqual([]);
    expect(m.merged).toEqual(sweepResults({ ...head, shard: null }, [1, 2, 3, 4, 5, 6].map(seed)));
    expect(m.merged).toMatchObject({ passed: 5, failed: 1 });
  });

  it('reports missing seeds and the missing shard', () => {
    const m = mergeResults([shard(1, [1, 4]), shard(3, [3, 6])]);
    expect(m.missing).toEqual([2, 5]);
    expect(m.missingShards).toEqual(['2/3']);
  });

  it('refuses overlapping seeds, another scenario, another version of the file and another range', () => {
    expect(mergeResults([shard(1, [1, 4]), shard(2, [4, 2, 5]), shard(3, [3, 6])]).errors.join()).toMatch(/seed 4 is in shard-1.json and shard-2.json/);
    const other = (patch: Partial<SweepResults>) => ({ name: 'other.json', results: { ...shard(2, [2, 5]).results, ...patch } });
    expect(mergeResults([shard(1, [1, 4]), other({ scenario: 't' })]).errors.join()).toMatch(/sweep of 't'/);
    expect(mergeResults([shard(1, [1, 4]), other({ scenarioSha256: 'def' })]).errors.join()).toMatch(/different versions of the scenario file/);
    expect(mergeResults([shard(1, [1, 4]), other({ range: '1..9' })]).errors.join()).toMatch(/run every shard with the same --seeds/);
  });
});

describe('redsim sweep', () => {
  const dir = tempDir();
  const file = 'scenarios/ping-pong.yaml';
  let full: SweepResults;
  let fullText: string;
  let seed7: string;

  beforeAll(async () => {
    const [r, one] = await Promise.all([redsim(['sweep', file, '--seeds', '1..20', '--jobs', '2', '--out', join(dir, 'full.json')]), redsim(['run', file, '--seed', '7', '--json'])]);
    seed7 = JSON.parse(one.out).hash;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS ping-pong sweep of seeds 1\.\.20: 20 seeds, 20 passed, 0 failed; \d+ distinct timelines?; 2 workers, [\d.]+ s\n/);
    fullText = readFileSync(join(dir, 'full.json'), 'utf8');
    full = JSON.parse(fullText);
  });

  it('runs seeds 1..20 on 2 workers and writes one result per seed', () => {
    expect(full).toMatchObject({ scenario: 'ping-pong', file, range: '1..20', shard: null, passed: 20, failed: 0 });
    expect(full.scenarioSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(full.seeds.map((s) => s.seed)).toEqual(parseSeeds('1..20'));
    for (const s of full.seeds) expect(s).toEqual({ seed: s.seed, passed: true, hash: expect.stringMatching(/^[0-9a-f]{64}$/), failed: [] });
  });

  it('gives each seed the hash of `redsim run --seed`', () => {
    expect(full.seeds[6]!.hash).toBe(seed7);
  });

  it('splits into disjoint shards 1/3, 2/3, 3/3 whose merge equals the full sweep', async () => {
    const shards = await Promise.all([1, 2, 3].map((k) => redsim(['sweep', file, '--seeds', '1..20', '--shard', `${k}/3`, '--jobs', '1', '--out', join(dir, `shard-${k}.json`)])));
    for (const s of shards) expect(s.code).toBe(0);
    const parts = [1, 2, 3].map((k) => JSON.parse(readFileSync(join(dir, `shard-${k}.json`), 'utf8')) as SweepResults);
    const seedsOf = parts.map((p) => p.seeds.map((s) => s.seed));
    expect(seedsOf[0]).toEqual([1, 4, 7, 10, 13, 16, 19]);
    expect(seedsOf[1]).toEqual([2, 5, 8, 11, 14, 17, 20]);
    expect(seedsOf[2]).toEqual([3, 6, 9, 12, 15, 18]);
    expect(parts.map((p) => p.shard)).toEqual(['1/3', '2/3', '3/3']);
    const merge = await redsim(['sweep', '--merge', ...[3, 1, 2].map((k) => join(dir, `shard-${k}.json`)), '--out', join(dir, 'merged.json')]);
    expect(merge.err).toBe('');
    expect(merge.code).toBe(0);
    expect(merge.out).toContain('20 seeds, 20 passed, 0 failed');
    expect(merge.out).toContain('merged from 3 files');
    expect(readFileSync(join(dir, 'merged.json'), 'utf8')).toBe(fullText);
  });

  it('refuses to merge with a shard missing, naming the seeds and the shard (exit 2)', async () => {
    for (const k of [1, 3]) writeFileSync(join(dir, `only-${k}.json`), JSON.stringify({ ...full, shard: `${k}/3`, seeds: shardSeeds(full.seeds.map((s) => s.seed), k, 3).map((n) => full.seeds[n - 1]) }));
    const [r, anyway] = await Promise.all([
      redsim(['sweep', '--merge', join(dir, 'only-1.json'), join(dir, 'only-3.json')]),
      redsim(['sweep', '--merge', join(dir, 'only-1.json'), join(dir, 'only-3.json'), '--allow-gaps']),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('7 seeds of 1..20 in no file: 2,5,8,11,14,17,20 (missing shard 2/3)');
    expect(r.err).toContain('--allow-gaps');
    expect(anyway.code).toBe(0);
    expect(anyway.out).toContain('13 seeds, 13 passed');
  });

  it('lists every failing seed with its reproduce command and exits 1', async () => {
    const race = join(dir, 'race.yaml');
    writeFileSync(
      race,
      [
        'name: race',
        'horizon: 1s',
        'network: {latency: 1ms, jitter: 1ms}',
        'clients:',
        '  - {name: a, script: [{call: PING}]}',
        '  - {name: b, script: [{call: PING}]}',
        'expect:',
        '  - {client: a, reply-count: 1}',
        '  - {timeline: {lacks: {kind: accept, client: b, id: 3}}}  # b must not be accepted first',
        '',
      ].join('\n'),
    );
    const r = await redsim(['sweep', race, '--seeds', '1..12', '--jobs', '2', '--out', join(dir, 'race.json')]);
    const res = JSON.parse(readFileSync(join(dir, 'race.json'), 'utf8')) as SweepResults;
    const failing = res.seeds.filter((s) => !s.passed);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.length).toBeLessThan(12);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL race sweep of seeds 1\.\.12: 12 seeds/);
    for (const s of failing) {
      expect(s.failed).toEqual([expect.stringContaining('the timeline has no kind="accept" client="b" id=3')]);
      expect(r.out).toContain(`seed ${s.seed}: the timeline has no`);
      expect(r.out).toContain(`reproduce: npx redsim run ${race} --seed ${s.seed}\n`);
    }
    const one = await redsim(['run', race, '--seed', String(failing[0]!.seed)]);
    expect(one.code).toBe(1);
  });

  it('works under tsx too (npx tsx src/cli/main.ts), writing JSON to stdout with -', async () => {
    const r = await redsim(['sweep', file, '--seeds', '1..4', '--jobs', '2', '--out', '-'], { entry: [join(ROOT, 'node_modules/.bin/tsx'), 'src/cli/main.ts'] });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).seeds.map((s: { hash: string }) => s.hash)).toEqual(full.seeds.slice(0, 4).map((s) => s.hash));
    expect(r.err).toContain('4 seeds, 4 passed');
  });

  it('exits 2 for a malformed --shard or scenario', async () => {
    const [shard, bad] = await Promise.all([redsim(['sweep', file, '--shard', '4/3']), redsim(['sweep', 'no/such.yaml'])]);
    expect(shard.code).toBe(2);
    expect(shard.err).toContain('K must be between 1 and N');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('cannot read scenario file');
  });
});
