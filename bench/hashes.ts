// Prints the timeline hash of every bundled scenario (seeds 1-3) and of small bench workloads, one
// per line: diff its output before and after an optimisation to check that nothing changed.
// `npx tsx bench/hashes.ts > before.txt`
import { readdirSync } from 'node:fs';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { connections, idle, setGet, virtualBytes } from './workloads.ts';
const out: string[] = [];
for (const f of readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort()) {
  const sc = loadScenario(`scenarios/${f}`);
  for (const seed of [1, 2, 3]) {
    const r = runScenario(sc, { seed });
    out.push(`${f} ${seed} ${r.hash} ${r.passed}`);
  }
}
for (const [name, sc] of [['w1', setGet(10, 2000)], ['w2', setGet(10, 2000, 16)], ['w3', idle(200, 400e6)], ['w4', connections(500)], ['w5', virtualBytes(2 ** 26, 16)]] as const) {
  const r = runScenario(sc);
  out.push(`${name} ${r.hash} ${r.events.length} ${r.ended}`);
}
console.log(out.join('\n'));
