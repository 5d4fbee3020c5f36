// The benchmark's own worker_threads pool for W6, used when `redsim sweep` (src/cli/sweep.ts) is
// not there: each worker registers tsx, loads the scenario once and runs the seeds it is sent.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER_FILE = new URL('./pool-worker.ts', import.meta.url).href;
const BOOTSTRAP = new URL(
  `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(TSX_API)}; register(); await import(${JSON.stringify(WORKER_FILE)});`)}`,
);

export interface SeedOutcome {
  seed: number;
  hash: string;
  passed: boolean;
}

/** Runs `seeds` of the scenario file on `jobs` workers (batches of a few seeds at a time). */
export function runSeedsOnPool(
  file: string,
  seeds: readonly number[],
  jobs = availableParallelism(),
  onResult: (r: SeedOutcome) => void = () => undefined,
): Promise<SeedOutcome[]> {
  const n = Math.max(1, Math.min(jobs, seeds.length));
  const batch = Math.max(1, Math.min(32, Math.ceil(seeds.length / (n * 16))));
  let next = 0;
  let idle = 0;
  const results: SeedOutcome[] = [];
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      for (const w of workers) void w.terminate();
      if (e) reject(e);
      else resolve(results);
    };
    const feed = (w: Worker) => {
      if (next >= seeds.length) {
        if (++idle === workers.length) finish();
        return;
      }
      const chunk = seeds.slice(next, next + batch);
      next += chunk.length;
      w.postMessage(chunk);
    };
    for (let k = 0; k < n; k++) {
      const w = new Worker(BOOTSTRAP, { workerData: { file } });
      workers.push(w);
      w.on('message', (m: { type: 'results'; results: SeedOutcome[] } | { type: 'ready' }) => {
        if (m.type === 'results') {
          for (const r of m.results) {
            results.push(r);
            onResult(r);
          }
        }
        feed(w);
      });
      w.on('error', (e) => finish(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (!done) finish(new Error(`a bench worker exited (code ${code}) early`));
      });
    }
  });
}
