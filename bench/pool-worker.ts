// A worker of bench/pool.ts: loads the scenario, says it is ready, then runs each batch of seeds
// it is sent and posts their hashes.
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

const port = parentPort!;
const sc = loadScenario((workerData as { file: string }).file);
port.on('message', (seeds: number[]) => {
  const results = seeds.map((seed) => {
    const r = runScenario(sc, { seed });
    return { seed, hash: r.hash, passed: r.passed };
  });
  port.postMessage({ type: 'results', results });
});
port.postMessage({ type: 'ready' });
