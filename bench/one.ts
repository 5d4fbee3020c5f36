// Runs one workload once and prints its wall time, for profiling, e.g.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/one.ts w1 200000 summary
//   npx tsx bench/profile-top.ts /tmp/prof
// Workloads: w1 REQUESTS, w2 REQUESTS (pipeline 16), w3 CLIENTS, w4 CONNECTIONS, w5 QUEUED_MB;
// mode `full` records every event, anything else only accept/close/reject.
import { runScenario } from '../src/scenario/run.ts';
import type { EventKind } from '../src/timeline/events.ts';
import { connections, idle, setGet, setGetCommands, virtualBytes } from './workloads.ts';

const [which = 'w1', sizeArg, mode = 'full'] = process.argv.slice(2);
const size = Number(sizeArg ?? 20000);
const record: ReadonlySet<EventKind> | undefined = mode === 'full' ? undefined : new Set<EventKind>(['accept', 'close', 'reject']);
const sc =
  which === 'w1' ? setGet(50, size) :
  which === 'w2' ? setGet(50, size, 16) :
  which === 'w3' ? idle(size, 3600e6) :
  which === 'w4' ? connections(size) :
  virtualBytes(2 ** 30, size);
const t0 = performance.now();
const r = runScenario(sc, { record });
const ms = performance.now() - t0;
const commands = which === 'w1' || which === 'w2' ? setGetCommands(50, size) : undefined;
console.log(JSON.stringify({
  which, size, mode, ms: Math.round(ms), events: r.events.length, ended: r.ended, endUs: r.endUs, hash: r.hash,
  rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  ...(commands ? { commandsPerS: Math.round(commands / (ms / 1000)) } : {}),
}));
