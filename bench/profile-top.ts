// Ranks functions of a V8 .cpuprofile by self time (and total time), for reading profiles without a
// browser: `npx tsx bench/profile-top.ts FILE.cpuprofile [N]`. With a directory, takes its largest
// profile (the main thread's).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount: number; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

let file = process.argv[2]!;
const top = Number(process.argv[3] ?? 30);
if (statSync(file).isDirectory()) {
  const files = readdirSync(file).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(file, f));
  file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const key = (n: Node) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/main\//, '')}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;
const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (const [id, us] of selfUs) {
  all += us;
  const n = byId.get(id)!;
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
console.log(`${file}: ${(all / 1000).toFixed(0)} ms sampled`);
console.log('self ms   self%  total%  function');
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(us / 1000).toFixed(0).padStart(7)} ${((100 * us) / all).toFixed(1).padStart(6)} ${((100 * (total.get(k) ?? 0)) / all).toFixed(1).padStart(6)}  ${k}`);
}
