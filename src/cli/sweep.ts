// `redsim sweep FILE --seeds 1..1000`: one scenario over many seeds, on worker threads (one per
// core by default; --jobs 1 runs in this thread), with a progress bar on a terminal, a summary with the reproduce command of
// every failing seed, and the results as JSON. `--shard K/N` runs one disjoint slice of the seeds
// (seed at position i of the sorted list belongs to shard (i mod N) + 1; for a range A..B that is
// ((s − A) mod N) + 1), and `--merge` joins the slices' files again, checking that they are of the
// same scenario and cover the seeds exactly once. See docs/sweeps.md.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { ChalkInstance } from 'chalk';
import { reproduceCommand } from '../report/text.ts';
import { formatIssue, loadScenario, ScenarioError, type ScenarioIssue } from '../scenario/load.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { palette } from './diff.ts';
import { scenarioDigest } from './replay.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

/** One seed's outcome. `failed` holds each failed expectation as "description — detail". */
export interface SeedResult {
  seed: number;
  passed: boolean;
  /** sha256 of the canonical timeline ('' when the run crashed). */
  hash: string;
  failed: string[];
  /** Set when the run threw (an internal error of the simulator). */
  error?: string;
}

/** The JSON results of a sweep (or of one shard, or of a merge). Deterministic: no timings. */
export interface SweepResults {
  scenario: string;
  file: string;
  /** sha256 of the scenario file, so that merged shards are known to be of the same file. */
  scenarioSha256: string | null;
  /** The seeds asked for (the whole sweep, before sharding), normalised: "1..1000". */
  range: string;
  /** "K/N" for one shard, null for a whole sweep or a merge. */
  shard: string | null;
  seeds: SeedResult[];
  passed: number;
  failed: number;
}

export type WorkerMessage = { type: 'result'; result: SeedResult } | { type: 'idle' } | { type: 'bad'; issues: ScenarioIssue[] };

/** One seed's result: pass or fail, hash, and every failed expectation. */
export function runSeed(sc: Scenario, seed: number): SeedResult {
  const r = runScenario(sc, { seed });
  return {
    seed,
    passed: r.passed,
    hash: r.hash,
    failed: r.expectations.filter((e) => !e.passed).map((e) => `${e.description} — ${e.detail}`),
  };
}

/** Thrown for a malformed --seeds or --shard; the message says what is expected. */
export class SweepArgError extends Error {}

// ---------------------------------------------------------------------------------------------
// Seeds and shards (pure)

const MAX_SEEDS = 10_000_000;

/**
 * `1..1000`, `7`, or a comma-separated mix (`1..10,20,30..40`): the seeds, sorted, without
 * repeats. Seeds are integers ≥ 0; ranges are inclusive.
 */
export function parseSeeds(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(part);
    if (!m) throw new SweepArgError(`--seeds: '${part}' is not a seed or a range: write 1..1000, 7, or a list such as 1..10,20,30..40`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new SweepArgError(`--seeds: '${part}' is too large`);
    if (a > b) throw new SweepArgError(`--seeds: '${part}' goes backwards; write ${b}..${a}`);
    if (out.size + (b - a + 1) > MAX_SEEDS) throw new SweepArgError(`--seeds: more than ${MAX_SEEDS} seeds; split the sweep with --shard`);
    for (let s = a; s <= b; s++) out.add(s);
  }
  return [...out].sort((x, y) => x - y);
}

/** Sorted seeds written as compact ranges: [1,2,3,5,7,8] → "1..3,5,7..8". */
export function formatSeeds(seeds: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < seeds.length) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j]! + 1) j++;
    parts.push(i === j ? String(seeds[i]) : `${seeds[i]}..${seeds[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** `K/N` with 1 ≤ K ≤ N. */
export function parseShard(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new SweepArgError(`--shard: '${spec}' is not K/N (e.g. 2/8: the second of eight shards)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new SweepArgError(`--shard: '${spec}': K must be between 1 and N`);
  return { index, count };
}

/** The seeds of shard `index` of `count`: those at positions i with i mod count = index − 1. */
export function shardSeeds(seeds: readonly number[], index: number, count: number): number[] {
  return seeds.filter((_, i) => i % count === index - 1);
}

/** Counts and orders seed results into a results file. */
export function sweepResults(head: Omit<SweepResults, 'seeds' | 'passed' | 'failed'>, seeds: SeedResult[]): SweepResults {
  const sorted = [...seeds].sort((a, b) => a.seed - b.seed);
  const passed = sorted.filter((s) => s.passed).length;
  return { ...head, seeds: sorted, passed, failed: sorted.length - passed };
}

export interface MergeOutcome {
  merged?: SweepResults;
  /** Inconsistencies that make the merge wrong: different scenarios, overlaps. */
  errors: string[];
  /** Seeds of the range that no file has (reported; an error unless gaps are allowed). */
  missing: number[];
  /** Shards (K/N) that no file is, when the inputs are shards of one N. */
  missingShards: string[];
}

/**
 * Joins result files: they must be of the same scenario (name and file checksum) and seed range,
 * and no seed may appear twice. Reports the seeds of the range that none covers.
 */
export function mergeResults(inputs: Array<{ name: string; results: SweepResults }>): MergeOutcome {
  const errors: string[] = [];
  if (inputs.length === 0) return { errors: ['nothing to merge'], missing: [], missingShards: [] };
  const first = inputs[0]!;
  for (const { name, results: r } of inputs.slice(1)) {
    if (r.scenario !== first.results.scenario) errors.push(`${name} is a sweep of '${r.scenario}', ${first.name} of '${first.results.scenario}'`);
    else if (r.scenarioSha256 !== first.results.scenarioSha256) errors.push(`${name} and ${first.name} were run on different versions of the scenario file (sha256 ${String(r.scenarioSha256).slice(0, 12)}… vs ${String(first.results.scenarioSha256).slice(0, 12)}…)`);
    if (r.range !== first.results.range) errors.push(`${name} covers the seeds ${r.range}, ${first.name} ${first.results.range}: run every shard with the same --seeds`);
  }
  if (errors.length) return { errors, missing: [], missingShards: [] };
  const owner = new Map<number, string>();
  const overlaps: string[] = [];
  const all: SeedResult[] = [];
  for (const { name, results: r } of inputs) {
    for (const s of r.seeds) {
      const prev = owner.get(s.seed);
      if (prev !== undefined) overlaps.push(`seed ${s.seed} is in ${prev} and ${name}`);
      else {
        owner.set(s.seed, name);
        all.push(s);
      }
    }
  }
  if (overlaps.length) errors.push(`${overlaps.length} seed${overlaps.length === 1 ? '' : 's'} appear in more than one file: ${overlaps.slice(0, 5).join('; ')}${overlaps.length > 5 ? '; …' : ''}`);
  let missing: number[] = [];
  try {
    const range = parseSeeds(first.results.range);
    const inRange = new Set(range);
    missing = range.filter((s) => !owner.has(s));
    const extra = all.filter((s) => !inRange.has(s.seed)).map((s) => s.seed).sort((x, y) => x - y);
    if (extra.length) errors.push(`seeds outside the range ${first.results.range}: ${formatSeeds(extra)}`);
  } catch {
    errors.push(`${first.name}: unreadable seed range '${first.results.range}'`);
  }
  const missingShards: string[] = [];
  const shards = inputs.map((i) => (i.results.shard ? parseShard(i.results.shard) : undefined));
  if (shards.every((s) => s !== undefined)) {
    const counts = new Set(shards.map((s) => s!.count));
    if (counts.size === 1) {
      const n = [...counts][0]!;
      const have = new Set(shards.map((s) => s!.index));
      for (let k = 1; k <= n; k++) if (!have.has(k)) missingShards.push(`${k}/${n}`);
    }
  }
  const merged = sweepResults(
    { scenario: first.results.scenario, file: first.results.file, scenarioSha256: first.results.scenarioSha256, range: first.results.range, shard: null },
    all,
  );
  return { merged, errors, missing, missingShards };
}

// ---------------------------------------------------------------------------------------------
// Running seeds on worker threads

// Workers run TypeScript: a tiny ES module (a data: URL) registers tsx in the worker, then
// imports the worker file. This works the same under `tsx src/cli/main.ts` and `node bin/redsim.js`.
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER_FILE = new URL('./sweep-worker.ts', import.meta.url).href;
const BOOTSTRAP = new URL(
  `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(TSX_API)}; register(); await import(${JSON.stringify(WORKER_FILE)});`)}`,
);

/**
 * Runs `seeds` in this thread (for --jobs 1: starting a worker would only add its start-up),
 * yielding between seeds so that the progress bar keeps drawing.
 */
async function runSeedsHere(
  file: string,
  seeds: readonly number[],
  onResult: (r: SeedResult) => void,
): Promise<{ results: SeedResult[] } | { issues: ScenarioIssue[] }> {
  const sc = loadScenario(file);
  const results: SeedResult[] = [];
  for (const seed of seeds) {
    let r: SeedResult;
    try {
      r = runSeed(sc, seed);
    } catch (e) {
      if (e instanceof ScenarioError) return { issues: e.issues };
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      r = { seed, passed: false, hash: '', failed: [`internal error — ${msg}`], error: msg };
    }
    results.push(r);
    onResult(r);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { results };
}

/**
 * Runs `seeds` of the scenario in `file` on `jobs` worker threads, calling `onResult` as each
 * seed finishes. Seeds are handed out in small batches, so a slow seed does not hold up others.
 */
export function runSeedsOnWorkers(
  file: string,
  seeds: readonly number[],
  jobs: number,
  onResult: (r: SeedResult) => void,
): Promise<{ results: SeedResult[] } | { issues: ScenarioIssue[] }> {
  const n = Math.max(1, Math.min(jobs, seeds.length));
  const batch = Math.max(1, Math.min(32, Math.ceil(seeds.length / (n * 16))));
  let next = 0;
  const results: SeedResult[] = [];
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    let idle = 0;
    const finish = (v: { results: SeedResult[] } | { issues: ScenarioIssue[] } | Error) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const feed = (w: Worker) => {
      if (next >= seeds.length) {
        idle++;
        if (idle === workers.length) finish({ results });
        return;
      }
      const chunk = seeds.slice(next, next + batch);
      next += chunk.length;
      w.postMessage({ seeds: chunk });
    };
    if (seeds.length === 0) {
      resolve({ results });
      return;
    }
    for (let k = 0; k < n; k++) {
      const w = new Worker(BOOTSTRAP, { workerData: { file } });
      workers.push(w);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'result') {
          results.push(m.result);
          onResult(m.result);
        } else if (m.type === 'idle') feed(w);
        else finish({ issues: m.issues });
      });
      w.on('error', (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`a sweep worker exited (code ${code}) before the sweep finished`));
      });
      w.once('online', () => feed(w));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Output

/** Writes a file whole or not at all. */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function writeResults(out: string, r: SweepResults): void {
  const text = JSON.stringify(r, null, 1) + '\n';
  if (out === '-' || out === '') process.stdout.write(text);
  else writeAtomic(out, text);
}

/** The summary: counts, distinct timelines, and every failing seed with its reproduce command. */
export function renderSweepSummary(r: SweepResults, c: ChalkInstance, extra = ''): string {
  const lines: string[] = [];
  const verdict = r.failed === 0 ? c.green('PASS') : c.red('FAIL');
  const distinct = new Set(r.seeds.filter((s) => s.hash).map((s) => s.hash)).size;
  const shard = r.shard ? `, shard ${r.shard}` : '';
  lines.push(
    `${verdict} ${c.bold(r.scenario)} sweep of seeds ${r.range}${shard}: ${r.seeds.length} seeds, ${r.passed} passed, ${r.failed} failed; ${distinct} distinct timeline${distinct === 1 ? '' : 's'}${extra}`,
  );
  const failing = r.seeds.filter((s) => !s.passed);
  for (const s of failing) {
    lines.push(`  ${c.red('✘')} seed ${s.seed}: ${s.failed[0] ?? 'failed'}${s.failed.length > 1 ? c.dim(` (+${s.failed.length - 1} more)`) : ''}`);
    lines.push(`      reproduce: ${c.cyan(reproduceCommand({ file: r.file, seed: s.seed }))}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Commands

export interface SweepArgs {
  file: string;
  seeds: string;
  jobs?: number;
  shard?: string;
  out?: string;
  progress?: boolean;
  color: boolean;
}

/** `redsim sweep FILE`: 0 every seed passed, 1 one failed, 2 bad input. */
export async function cmdSweep(a: SweepArgs): Promise<number> {
  const c = palette(a.color);
  const toStdout = a.out === '-' || a.out === '';
  const say = (s: string) => (toStdout ? console.error(s) : console.log(s));
  let seeds: number[];
  let shard: { index: number; count: number } | undefined;
  let range: string;
  try {
    const all = parseSeeds(a.seeds);
    range = formatSeeds(all);
    shard = a.shard === undefined ? undefined : parseShard(a.shard);
    seeds = shard ? shardSeeds(all, shard.index, shard.count) : all;
  } catch (e) {
    if (!(e instanceof SweepArgError)) throw e;
    console.error(c.red(e.message));
    return EXIT_BAD_INPUT;
  }
  if (a.jobs !== undefined && (!Number.isInteger(a.jobs) || a.jobs < 1)) {
    console.error(c.red(`--jobs: expected a whole number of workers ≥ 1, got ${a.jobs}`));
    return EXIT_BAD_INPUT;
  }
  let name: string;
  try {
    name = loadScenario(a.file).name; // reports every problem before any worker starts
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    for (const i of e.issues) console.error(c.red(formatIssue(i)));
    return EXIT_BAD_INPUT;
  }
  const jobs = Math.min(a.jobs ?? availableParallelism(), Math.max(1, seeds.length));
  const useBar = a.progress ?? process.stderr.isTTY === true;
  const bar = useBar
    ? new cliProgress.SingleBar(
        {
          format: `${name} [{bar}] {percentage}% | {value}/{total} seeds | {failed} failed | {duration_formatted} elapsed, ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let failedSoFar = 0;
  bar?.start(seeds.length, 0, { failed: 0 });
  const t0 = performance.now();
  let outcome: Awaited<ReturnType<typeof runSeedsOnWorkers>>;
  try {
    const onResult = (r: SeedResult) => {
      if (!r.passed) failedSoFar++;
      bar?.increment(1, { failed: failedSoFar });
    };
    outcome = jobs === 1 ? await runSeedsHere(a.file, seeds, onResult) : await runSeedsOnWorkers(a.file, seeds, jobs, onResult);
  } finally {
    bar?.stop();
  }
  const secs = (performance.now() - t0) / 1000;
  if ('issues' in outcome) {
    for (const i of outcome.issues) console.error(c.red(formatIssue(i)));
    return EXIT_BAD_INPUT;
  }
  const results = sweepResults(
    { scenario: name, file: a.file, scenarioSha256: scenarioDigest(a.file), range, shard: shard ? `${shard.index}/${shard.count}` : null },
    outcome.results,
  );
  say(renderSweepSummary(results, c, c.dim(`; ${jobs} worker${jobs === 1 ? '' : 's'}, ${secs.toFixed(1)} s`)));
  if (a.out !== undefined) {
    writeResults(a.out, results);
    if (!toStdout) say(c.dim(`  results written to ${a.out}`));
  }
  return results.failed ? EXIT_FAILED : EXIT_OK;
}

export interface MergeArgs {
  files: string[];
  out?: string;
  allowGaps: boolean;
  color: boolean;
}

function readResults(path: string): SweepResults {
  let v: unknown;
  try {
    v = JSON.parse(readText(path));
  } catch (e) {
    throw new SweepArgError(`${path}: ${(e as Error).message}`);
  }
  const r = v as Partial<SweepResults>;
  if (typeof v !== 'object' || v === null || typeof r.scenario !== 'string' || typeof r.range !== 'string' || !Array.isArray(r.seeds)) {
    throw new SweepArgError(`${path}: not sweep results (redsim sweep --out FILE writes them: {scenario, file, range, shard, seeds, …})`);
  }
  return v as SweepResults;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
}

/** `redsim sweep --merge A B …`: 0 all seeds passed, 1 one failed, 2 inconsistent or incomplete inputs. */
export function cmdMerge(a: MergeArgs): number {
  const c = palette(a.color);
  const toStdout = a.out === '-' || a.out === '';
  const say = (s: string) => (toStdout ? console.error(s) : console.log(s));
  const inputs: Array<{ name: string; results: SweepResults }> = [];
  try {
    for (const f of a.files) inputs.push({ name: f, results: readResults(f) });
  } catch (e) {
    if (!(e instanceof SweepArgError)) throw e;
    console.error(c.red(e.message));
    return EXIT_BAD_INPUT;
  }
  const m = mergeResults(inputs);
  for (const e of m.errors) console.error(c.red(e));
  if (m.missing.length) {
    const shards = m.missingShards.length ? ` (missing shard${m.missingShards.length === 1 ? '' : 's'} ${m.missingShards.join(', ')})` : '';
    const msg = `${m.missing.length} seed${m.missing.length === 1 ? '' : 's'} of ${inputs[0]!.results.range} in no file: ${formatSeeds(m.missing)}${shards}`;
    console.error(a.allowGaps ? c.yellow(`gaps: ${msg}`) : c.red(`${msg}; add the missing results, or pass --allow-gaps to merge anyway`));
  }
  if (m.errors.length || (m.missing.length && !a.allowGaps) || !m.merged) return EXIT_BAD_INPUT;
  say(renderSweepSummary(m.merged, c, c.dim(`; merged from ${inputs.length} file${inputs.length === 1 ? '' : 's'}`)));
  if (a.out !== undefined) {
    writeResults(a.out, m.merged);
    if (!toStdout) say(c.dim(`  merged results written to ${a.out}`));
  }
  return m.merged.failed ? EXIT_FAILED : EXIT_OK;
}
