// `npm run bench [-- --quick] [--only w1,w4] [--w4-sizes 1000,10000] [--w6-scenario FILE]
// [--w6-pool bench] [--out FILE]`: the benchmark
// of issue 7. Runs the workloads W1-W6 (bench/workloads.ts), compares W1/W2 with a real
// redis-server measured by redis-benchmark in the same run (when both are on PATH), prints a table
// and writes reports/bench.json (atomically). Speed is measured here, never asserted in tests.
//
// Wall-clock figures depend on the machine and on what else runs on it: the JSON records the load
// average before and after, and CPU time next to wall time for the simulated workloads.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario, type RunOptions } from '../src/scenario/run.ts';
import type { EventKind } from '../src/timeline/events.ts';
import { runSeedsOnPool } from './pool.ts';
import { connections, idle, setGet, setGetCommands } from './workloads.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ONLY = new Set((flag('--only') ?? 'w1,w2,w3,w4,w5,w6').split(',').map((s) => s.trim().toLowerCase()));
const OUT = resolve(ROOT, flag('--out') ?? 'reports/bench.json');

/** The timeline "summarised": only the events a long run is usually asked for. */
const SUMMARY: ReadonlySet<EventKind> = new Set<EventKind>(['accept', 'reject', 'close']);

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Wall and CPU time of `fn` (CPU: user + system of the whole process, GC threads included). */
function timed<T>(fn: () => T): { value: T; wallS: number; cpuS: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wallS, cpuS: (c.user + c.system) / 1e6 };
}

// ---- the real server --------------------------------------------------------------------------

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface RealResult {
  set_rps: number;
  get_rps: number;
  /** Requests per second over both tests together: 2n / (n/set + n/get). */
  rps: number;
}

/** Starts redis-server, runs redis-benchmark for each pipeline depth, stops the server. */
async function realRedis(requests: number, pipelines: number[]): Promise<{ version: string; results: Map<number, RealResult> } | { skipped: string }> {
  if (!onPath('redis-server') || !onPath('redis-benchmark')) {
    return { skipped: 'redis-server / redis-benchmark not on PATH (apt-get install -y redis-server)' };
  }
  const version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  const port = await freePort();
  const server = spawn('redis-server', ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((res) => server.once('exit', () => res()));
  try {
    // Wait until it answers.
    for (let i = 0; ; i++) {
      const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', '1', '-t', 'ping', '-q', '--csv'], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0 && /PING/.test(r.stdout)) break;
      if (i > 100) throw new Error('redis-server did not start');
      await new Promise((res) => setTimeout(res, 100));
    }
    const results = new Map<number, RealResult>();
    for (const p of pipelines) {
      const argv = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(requests), '-t', 'set,get', '--csv', '-q'];
      if (p > 1) argv.push('-P', String(p));
      log(`  redis-benchmark ${argv.join(' ')}`);
      const out = execFileSync('redis-benchmark', argv, { encoding: 'utf8', timeout: 600_000 });
      const rps = (test: string) => Number(new RegExp(`^"${test}","([\\d.]+)"`, 'm').exec(out)?.[1] ?? NaN);
      const set = rps('SET');
      const get = rps('GET');
      results.set(p, { set_rps: round(set), get_rps: round(get), rps: round(2 / (1 / set + 1 / get)) });
    }
    return { version, results };
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

// ---- workloads ----------------------------------------------------------------------------------

interface SetGetFigures {
  clients: number;
  requests: number;
  pipeline: number;
  commands: number;
  full: { wall_s: number; cpu_s: number; commands_per_s: number; events: number };
  summarised: { wall_s: number; cpu_s: number; commands_per_s: number; events: number; recorded: string[] };
  virtual_s: number;
  hash_full: string;
}

function setGetWorkload(requests: number, pipeline: number): SetGetFigures {
  const clients = 50;
  const commands = setGetCommands(clients, requests);
  // Warm-up (JIT tiers), not measured.
  for (let i = 0; i < 3; i++) runScenario(setGet(clients, Math.min(requests, 20000), pipeline), { record: SUMMARY });
  const run = (opts: RunOptions) => {
    const sc = setGet(clients, requests, pipeline);
    gc?.();
    return timed(() => runScenario(sc, opts));
  };
  // Best of two: the machine may be shared.
  const best = (opts: RunOptions) => {
    const a = run(opts);
    const b = run(opts);
    return a.wallS <= b.wallS ? a : b;
  };
  const full = best({});
  const sum = best({ record: SUMMARY });
  return {
    clients,
    requests,
    pipeline,
    commands,
    full: { wall_s: round(full.wallS, 3), cpu_s: round(full.cpuS, 3), commands_per_s: round(commands / full.wallS), events: full.value.events.length },
    summarised: { wall_s: round(sum.wallS, 3), cpu_s: round(sum.cpuS, 3), commands_per_s: round(commands / sum.wallS), events: sum.value.events.length, recorded: [...SUMMARY] },
    virtual_s: full.value.endUs / 1e6,
    hash_full: full.value.hash,
  };
}

function idleWorkload(clients: number, hours: number) {
  const sc = idle(clients, hours * 3600e6);
  gc?.();
  const t = timed(() => runScenario(sc, { record: SUMMARY }));
  const virtualS = t.value.endUs / 1e6;
  const closes = t.value.events.filter((e) => e.kind === 'close').length;
  return {
    clients,
    timeout_s: 300,
    hz: 10,
    virtual_s: virtualS,
    wall_s: round(t.wallS, 3),
    cpu_s: round(t.cpuS, 3),
    compression: round(virtualS / t.wallS),
    idle_timeouts: closes,
    ended: t.value.ended,
  };
}

function connectionsWorkload(n: number) {
  const sc = connections(n);
  gc?.();
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let heapAtEnd = 0;
  const t = timed(() =>
    runScenario(sc, {
      record: SUMMARY,
      atEnd: () => {
        gc?.();
        gc?.();
        heapAtEnd = process.memoryUsage().heapUsed;
      },
    }),
  );
  const accepted = t.value.events.filter((e) => e.kind === 'accept').length;
  return {
    connections: n,
    accepted,
    virtual_s: t.value.endUs / 1e6,
    wall_s: round(t.wallS, 3),
    cpu_s: round(t.cpuS, 3),
    us_per_connection: round((t.wallS * 1e6) / n, 2),
    heap_bytes_per_client: gc ? Math.round((heapAtEnd - base) / n) : null,
    rss_mb: round(process.memoryUsage().rss / MB),
  };
}

function virtualBytesWorkload(quick: boolean) {
  // A process of its own, so that its peak RSS is its own.
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/w5.ts'), String(2 ** 30), String(quick ? 256 : 256)], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`bench/w5.ts failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}

const SWEEP_SCENARIO = flag('--w6-scenario') ?? 'scenarios/pipeline-sliced.yaml';

async function sweepWorkload(seeds: number) {
  const file = resolve(ROOT, SWEEP_SCENARIO);
  const list = Array.from({ length: seeds }, (_, i) => i + 1);
  const cores = availableParallelism();
  // `redsim sweep`'s pool when it is there (src/cli/sweep.ts), else the bench's own.
  let runner: (jobs: number, onResult: () => void) => Promise<unknown[]>;
  let via: string;
  try {
    if (flag('--w6-pool') === 'bench') throw new Error('bench pool asked for');
    const sweep = (await import('../src/cli/sweep.ts')) as {
      runSeedsOnWorkers?: (file: string, seeds: readonly number[], jobs: number, onResult: (r: unknown) => void) => Promise<{ results: unknown[] } | { issues: unknown[] }>;
    };
    if (!sweep.runSeedsOnWorkers) throw new Error('no runSeedsOnWorkers');
    const f = sweep.runSeedsOnWorkers;
    runner = async (jobs, onResult) => {
      const r = await f(file, list, jobs, onResult);
      if (!('results' in r)) throw new Error(`sweep refused the scenario: ${JSON.stringify(r.issues)}`);
      return r.results;
    };
    via = 'redsim sweep (src/cli/sweep.ts runSeedsOnWorkers)';
  } catch {
    runner = (jobs, onResult) => runSeedsOnPool(file, list, jobs, onResult);
    via = 'bench/pool.ts';
  }
  // End to end (worker start-up included), and steady: the rate once a tenth of the seeds are
  // done, when every worker has loaded the simulator and warmed up.
  const measure = async (jobs: number) => {
    const stamps: number[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await runner(jobs, () => stamps.push(performance.now()));
    const wall = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    // CPU of the whole process (workers, their GC and compiler threads) per wall second: one job
    // already keeps more than one core busy, which bounds the speed-up two cores can give.
    const coresBusy = (cu.user + cu.system) / 1e6 / wall;
    if (r.length !== seeds) throw new Error('sweep lost seeds');
    const k = Math.floor(seeds / 10);
    const steady = (seeds - 1 - k) / ((stamps[seeds - 1]! - stamps[k]!) / 1000);
    return { wall_s: round(wall, 3), seeds_per_s: round(seeds / wall, 1), steady_seeds_per_s: round(steady, 1), cores_busy: round(coresBusy, 2) };
  };
  const one = await measure(1);
  const all = await measure(cores);
  return {
    scenario: SWEEP_SCENARIO,
    seeds,
    via,
    jobs_1: one,
    [`jobs_${cores}`]: all,
    cores,
    speedup: round(all.seeds_per_s / one.seeds_per_s, 2),
    steady_speedup: round(all.steady_seeds_per_s / one.steady_seeds_per_s, 2),
  };
}

// ---- main -------------------------------------------------------------------------------------

const TARGETS = {
  w1: { what: 'simulated commands/s (summarised timeline) ≥ 5 × real requests/s', min: 5 },
  w2: { what: 'simulated commands/s (summarised timeline) ≥ 1 × real requests/s with -P 16', min: 1 },
  w3: { what: 'compression ≥ 10,000 virtual s per wall s', min: 10000 },
  w4: { what: '≤ 5 KB heap per idle client, cost linear from 1k to 100k', max: 5000 },
  w5: { what: 'peak RSS ≤ 200 MB', max: 200 },
  w6: { what: 'speed-up ≥ 1.8 on two cores', min: 1.8 },
};

async function main(): Promise<void> {
  if (!gc) log('note: run with node --expose-gc (npm run bench does) to measure heap per client');
  const started = new Date();
  const load0 = loadavg();
  const requests = QUICK ? 20_000 : 200_000;
  const report: Record<string, unknown> = {
    date: started.toISOString(),
    quick: QUICK,
    machine: {
      node: process.version,
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gb: round(totalmem() / 2 ** 30, 1),
      platform: `${process.platform} ${process.arch}`,
      loadavg_at_start: load0.map((x) => round(x, 2)),
    },
  };

  let real: Awaited<ReturnType<typeof realRedis>> | null = null;
  if (ONLY.has('w1') || ONLY.has('w2')) {
    log(`real redis (${requests} requests per test)…`);
    real = await realRedis(requests, [1, 16].filter((p) => ONLY.has(p === 1 ? 'w1' : 'w2')));
    report.real_redis = 'skipped' in real ? { skipped: real.skipped } : { version: real.version, requests, clients: 50, by_pipeline: Object.fromEntries(real.results) };
  }
  const ratio = (p: number, cps: number) => (real && !('skipped' in real) && real.results.get(p) ? round(cps / real.results.get(p)!.rps, 2) : null);

  if (ONLY.has('w1')) {
    log('W1: 50 clients, SET then GET, request-response…');
    const f = setGetWorkload(requests, 1);
    report.w1 = { ...f, ratio_vs_redis: ratio(1, f.summarised.commands_per_s), ratio_vs_redis_full_timeline: ratio(1, f.full.commands_per_s) };
  }
  if (ONLY.has('w2')) {
    log('W2: the same with a pipeline of 16…');
    const f = setGetWorkload(requests, 16);
    report.w2 = { ...f, ratio_vs_redis: ratio(16, f.summarised.commands_per_s), ratio_vs_redis_full_timeline: ratio(16, f.full.commands_per_s) };
  }
  if (ONLY.has('w3')) {
    const n = QUICK ? 2000 : 10_000;
    log(`W3: ${n} idle clients, timeout 300, hz 10, one virtual hour…`);
    report.w3 = idleWorkload(n, 1);
  }
  if (ONLY.has('w4')) {
    const sizes = flag('--w4-sizes')?.split(',').map(Number) ?? (QUICK ? [1000, 10_000] : [1000, 10_000, 100_000]);
    const runs = [];
    for (const n of sizes) {
      log(`W4: ${n} connections…`);
      runs.push(connectionsWorkload(n));
    }
    const first = runs[0]!;
    const last = runs[runs.length - 1]!;
    report.w4 = {
      connections: last.connections,
      time_to_connect_all_s: last.wall_s,
      heap_bytes_per_client: last.heap_bytes_per_client,
      by_size: runs,
      // Linear growth: the cost per connection at the largest size within 2× of the smallest.
      time_per_connection_growth: round(last.us_per_connection / first.us_per_connection, 2),
      heap_per_client_growth: first.heap_bytes_per_client && last.heap_bytes_per_client ? round(last.heap_bytes_per_client / first.heap_bytes_per_client, 2) : null,
    };
  }
  if (ONLY.has('w5')) {
    log('W5: 1 GiB argument and 256 MiB queued for a subscriber, all virtual (own process)…');
    report.w5 = virtualBytesWorkload(QUICK);
  }
  if (ONLY.has('w6')) {
    const seeds = QUICK ? 100 : 1000;
    log(`W6: ${seeds} seeds of ${SWEEP_SCENARIO} on 1 job and on ${availableParallelism()}…`);
    report.w6 = await sweepWorkload(seeds);
  }

  (report.machine as Record<string, unknown>).loadavg_at_end = loadavg().map((x) => round(x, 2));
  report.targets = targetsOf(report);
  report.duration_s = round((Date.now() - started.getTime()) / 1000, 1);

  mkdirSync(dirname(OUT), { recursive: true });
  const tmp = `${OUT}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(report, null, 2) + '\n');
  renameSync(tmp, OUT);
  console.log(table(report));
  console.log(`\nwritten: ${OUT}`);
}

// The report is plain JSON built above; the table reads it loosely.
type R = Record<string, any>;

function targetsOf(r: R): R {
  const out: R = {};
  const put = (k: keyof typeof TARGETS, value: number | null | undefined, extra: R = {}) => {
    const t = TARGETS[k] as { what: string; min?: number; max?: number };
    const met = value === null || value === undefined ? null : t.min !== undefined ? value >= t.min : value <= t.max!;
    out[k] = { target: t.what, value: value ?? null, met, ...extra };
  };
  if (r.w1) put('w1', r.w1.ratio_vs_redis);
  if (r.w2) put('w2', r.w2.ratio_vs_redis);
  if (r.w3) put('w3', r.w3.compression);
  if (r.w4) {
    put('w4', r.w4.heap_bytes_per_client, { time_per_connection_growth: r.w4.time_per_connection_growth });
    if (out.w4.met !== null) out.w4.met = out.w4.met && r.w4.time_per_connection_growth <= 2;
  }
  if (r.w5) put('w5', r.w5.peak_rss_mb);
  if (r.w6) put('w6', r.w6.speedup, { cores: r.w6.cores });
  return out;
}

function fmt(x: unknown): string {
  if (typeof x !== 'number') return String(x ?? '—');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(round(x, 2));
}

/** The table printed at the end (also what README's Performance section shows). */
function table(r: R): string {
  const rows: string[][] = [['workload', 'measure', 'value', 'target', 'met']];
  const t = r.targets as R;
  const met = (k: string) => (t[k]?.met === null || t[k]?.met === undefined ? '—' : t[k].met ? 'yes' : 'NO');
  const real = r.real_redis?.by_pipeline as R | undefined;
  if (r.w1) {
    rows.push(['W1 c50 SET/GET', 'sim commands/s, full timeline', fmt(r.w1.full.commands_per_s), '', '']);
    rows.push(['', 'sim commands/s, summarised', fmt(r.w1.summarised.commands_per_s), '', '']);
    rows.push(['', 'real redis requests/s', fmt(real?.['1']?.rps), '', '']);
    rows.push(['', 'ratio sim/real (summarised)', fmt(r.w1.ratio_vs_redis), '≥ 5', met('w1')]);
    rows.push(['', 'ratio sim/real (full timeline)', fmt(r.w1.ratio_vs_redis_full_timeline), '', '']);
  }
  if (r.w2) {
    rows.push(['W2 c50 SET/GET -P 16', 'sim commands/s, full timeline', fmt(r.w2.full.commands_per_s), '', '']);
    rows.push(['', 'sim commands/s, summarised', fmt(r.w2.summarised.commands_per_s), '', '']);
    rows.push(['', 'real redis requests/s', fmt(real?.['16']?.rps), '', '']);
    rows.push(['', 'ratio sim/real (summarised)', fmt(r.w2.ratio_vs_redis), '≥ 1', met('w2')]);
    rows.push(['', 'ratio sim/real (full timeline)', fmt(r.w2.ratio_vs_redis_full_timeline), '', '']);
  }
  if (r.w3) {
    rows.push([`W3 ${fmt(r.w3.clients)} idle, 1 h`, 'wall s', fmt(r.w3.wall_s), '', '']);
    rows.push(['', 'compression (virtual s / wall s)', fmt(r.w3.compression), '≥ 10,000', met('w3')]);
  }
  if (r.w4) {
    for (const s of r.w4.by_size as R[]) rows.push([`W4 ${fmt(s.connections)} connections`, 'wall s to connect all / µs per conn', `${fmt(s.wall_s)} / ${fmt(s.us_per_connection)}`, '', '']);
    rows.push(['', 'heap bytes per client (largest)', fmt(r.w4.heap_bytes_per_client), '≤ 5,000', met('w4')]);
    rows.push(['', 'growth of µs per conn, smallest→largest', `${fmt(r.w4.time_per_connection_growth)}×`, '≤ 2× (linear)', '']);
  }
  if (r.w5) {
    rows.push(['W5 1 GiB arg + 256 MiB queued', 'peak RSS MB', fmt(r.w5.peak_rss_mb), '≤ 200', met('w5')]);
    rows.push(['', 'server-side omem of the subscriber MB', fmt(r.w5.slow_subscriber_omem_mb), '', '']);
  }
  if (r.w6) {
    rows.push([`W6 ${fmt(r.w6.seeds)} seeds`, 'seeds/s on 1 job', fmt(r.w6.jobs_1.seeds_per_s), '', '']);
    rows.push(['', `seeds/s on ${r.w6.cores} jobs`, fmt(r.w6[`jobs_${r.w6.cores}`].seeds_per_s), '', '']);
    rows.push(['', `cores busy on 1 / ${r.w6.cores} jobs`, `${fmt(r.w6.jobs_1.cores_busy)} / ${fmt(r.w6[`jobs_${r.w6.cores}`].cores_busy)}`, '', '']);
    rows.push(['', 'speed-up (end to end)', `${fmt(r.w6.speedup)}×`, '≥ 1.8', met('w6')]);
    rows.push(['', 'speed-up (steady, workers started)', `${fmt(r.w6.steady_speedup)}×`, '', '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const m = r.machine as R;
  return [
    `redsim bench ${r.quick ? '(quick) ' : ''}— ${r.date.slice(0, 10)}, node ${m.node}, ${m.cores} cores (${m.cpu}), load ${m.loadavg_at_start[0]}→${m.loadavg_at_end[0]}`,
    '',
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

await main();
