// W5 in a process of its own (so that its peak RSS is its own): a 1 GiB argument and 256 MiB
// queued for a subscriber that stopped reading, all virtual. Prints one JSON line.
import { runScenario } from '../src/scenario/run.ts';
import type { EventKind } from '../src/timeline/events.ts';
import { virtualBytes } from './workloads.ts';

const giant = Number(process.argv[2] ?? 2 ** 30);
const queuedMb = Number(process.argv[3] ?? 256);
const rssBefore = process.memoryUsage().rss;
let rssAtEnd = 0;
const t0 = performance.now();
const r = runScenario(virtualBytes(giant, queuedMb), {
  record: new Set<EventKind>(['accept', 'close']),
  atEnd: () => {
    rssAtEnd = process.memoryUsage().rss;
  },
});
const wallMs = performance.now() - t0;
const list = r.clients.find((c) => c.name === 'observer')?.replies[0] ?? '';
const lines = list.split('\\n');
const slowLine = lines.find((l) => / sub=1 /.test(l)) ?? '';
const omem = Number(/ omem=(\d+)/.exec(slowLine)?.[1] ?? NaN);
const giantClose = r.events.find((e) => e.kind === 'close' && e.client === 'giant') as { reason?: string; detail?: string } | undefined;
const MB = 2 ** 20;
console.log(
  JSON.stringify({
    wall_ms: Math.round(wallMs),
    virtual_s: r.endUs / 1e6,
    giant_bytes: giant,
    giant_outcome: giantClose ? `${giantClose.reason} (${giantClose.detail})` : 'not closed',
    slow_subscriber_omem_mb: Math.round((omem / MB) * 10) / 10,
    publishes: r.clients.find((c) => c.name === 'publisher')?.replies.length ?? 0,
    rss_before_mb: Math.round(rssBefore / MB),
    rss_at_end_mb: Math.round(rssAtEnd / MB),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
