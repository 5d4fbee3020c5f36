// A worker thread of `redsim sweep` (started by sweep.ts through a small bootstrap that registers
// tsx first). It loads the scenario once, then runs the seeds it is sent and posts one result per
// seed. Messages: in {seeds: number[]}; out {type: 'result', result}, {type: 'idle'} after each
// batch, {type: 'bad', issues} when the scenario or its config is invalid.
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario, ScenarioError } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { runSeed, type WorkerMessage } from './sweep.ts';

const port = parentPort!;
const { file } = workerData as { file: string };

function post(m: WorkerMessage): void {
  port.postMessage(m);
}

let sc: Scenario | undefined;
try {
  sc = loadScenario(file);
} catch (e) {
  if (!(e instanceof ScenarioError)) throw e;
  post({ type: 'bad', issues: e.issues });
}

port.on('message', (m: { seeds: number[] }) => {
  if (!sc) return;
  for (const seed of m.seeds) {
    try {
      post({ type: 'result', result: runSeed(sc, seed) });
    } catch (e) {
      if (e instanceof ScenarioError) {
        post({ type: 'bad', issues: e.issues });
        return;
      }
      // A crash on one seed is a finding of the sweep: recorded as a failure with its message.
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      post({ type: 'result', result: { seed, passed: false, hash: '', failed: [`internal error — ${msg}`], error: msg } });
    }
  }
  post({ type: 'idle' });
});
