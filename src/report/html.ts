// The HTML report of a run: one self-contained page (styles, uPlot and data inline; no network), to
// open from disk. Header and verdict, expectations, how every connection ended and why, a lane per
// client with its events, and plots over virtual time. Every text from the run is escaped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../scenario/run.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import { connectionEnds, endCounts, explainWhy, fmtSeconds, groupEnds, nameList, type ConnectionEnd } from './explain.ts';
import { plotData } from './series.ts';
import { describeEvent, reproduceCommand } from './text.ts';

export interface HtmlMeta {
  /** redsim's version (package.json). */
  version: string;
  /** The scenario's description, when it has one. */
  description?: string;
}

/** Lanes drawn at most; the others are counted. */
export const MAX_LANES = 40;
/** Columns of one lane: events closer than a column share a mark. */
const BINS = 400;
/** Rows of the "why connections ended" table at most (ends that read the same share a row). */
const MAX_END_ROWS = 200;
/** Names listed in one row at most. */
const MAX_NAMES = 500;

/** HTML-escapes text for element content and quoted attributes. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** JSON for a `<script type="application/json">` island: nothing in it can close the element. */
function jsonIsland(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let assets: { uplotJs: string; uplotCss: string; pageJs: string } | null = null;

/** uPlot (npm `uplot`) and the page script, read once. */
function loadAssets() {
  if (assets) return assets;
  const req = createRequire(import.meta.url);
  const read = (p: string) => readFileSync(p, 'utf8');
  const safe = (js: string) => js.replace(/<\/script/gi, '<\\/script');
  assets = {
    uplotJs: safe(read(req.resolve('uplot/dist/uPlot.iife.min.js'))),
    uplotCss: read(req.resolve('uplot/dist/uPlot.min.css')),
    pageJs: safe(read(fileURLToPath(new URL('./assets/page.js', import.meta.url)))),
  };
  return assets;
}

// ---- lanes ----------------------------------------------------------------------------------------

/** Colour of each event kind (also the legend). */
const KIND_COLOUR: Record<string, string> = {
  connect: '#4e79a7',
  accept: '#17a2b8',
  read: '#9aa5b1',
  command: '#7b4fb0',
  reply: '#3d9a50',
  write: '#f28e2b',
  close: '#d62728',
  reject: '#8b0000',
  fault: '#e042c0',
  tls: '#2a9d8f',
  firewall: '#a0522d',
  client: '#1f9bd1',
  log: '#c9b458',
  cron: '#c0c0c0',
  horizon: '#000000',
};

/** Which row of a lane each kind goes to: 0 the connection's life, 1 what came in, 2 what went out. */
function rowOf(e: TimelineEvent): number {
  switch (e.kind) {
    case 'read': case 'command': case 'cron': return 1;
    case 'reply': case 'write': return 2;
    case 'client': return e.what === 'reply' ? 2 : 0;
    default: return 0;
  }
}

/** When several kinds share a mark, the colour is the first of these present. */
const PRIORITY = ['reject', 'close', 'fault', 'firewall', 'tls', 'connect', 'accept', 'horizon', 'command', 'write', 'reply', 'read', 'client', 'log', 'cron'];

const ROW_H = 9;
const LANE_H = ROW_H * 3 + 3;

function laneSvg(events: readonly TimelineEvent[], endUs: number, span: [number, number] | null, ends: readonly ConnectionEnd[]): string {
  const W = 1000;
  const scale = (t: number) => (endUs > 0 ? (t / endUs) * W : 0);
  const parts: string[] = [];
  if (span) {
    const [a, b] = span;
    parts.push(`<rect class="span" x="${scale(a).toFixed(2)}" y="0" width="${Math.max(0.5, scale(b) - scale(a)).toFixed(2)}" height="${LANE_H}"><title>${esc(`connected from t=${fmtSeconds(a)} to ${b >= endUs ? 'the end' : `t=${fmtSeconds(b)}`}`)}</title></rect>`);
  }
  // Bins per row: counts by kind, and the first few events in words.
  const bins = new Map<number, { kinds: Map<string, number>; lines: string[]; t0: number; t1: number }>();
  for (const e of events) {
    const col = endUs > 0 ? Math.min(BINS - 1, Math.floor((e.t / endUs) * BINS)) : 0;
    const key = rowOf(e) * BINS + col;
    let b = bins.get(key);
    if (!b) bins.set(key, (b = { kinds: new Map(), lines: [], t0: e.t, t1: e.t }));
    b.kinds.set(e.kind, (b.kinds.get(e.kind) ?? 0) + 1);
    b.t1 = e.t;
    if (b.lines.length < 4) b.lines.push(`t=${fmtSeconds(e.t)} ${explainWhy(e) ?? describeEvent(e)}`);
  }
  const cw = W / BINS;
  for (const [key, b] of bins) {
    const row = Math.floor(key / BINS);
    const col = key % BINS;
    // Every kind in the mark shows (up to three, stacked), most important on top.
    const kinds = PRIORITY.filter((k) => b.kinds.has(k)).slice(0, 3);
    const n = [...b.kinds.values()].reduce((a, c) => a + c, 0);
    const head = n === 1 ? '' : `${fmtSeconds(b.t0)} – ${fmtSeconds(b.t1)}: ${[...b.kinds].map(([k, c]) => `${c} ${k}`).join(', ')}\n`;
    const more = n > b.lines.length ? `\n… ${n - b.lines.length} more` : '';
    const x = (col * cw).toFixed(2);
    const w = Math.max(cw, 1.5).toFixed(2);
    const h = (ROW_H - 1) / kinds.length;
    const rects = kinds.map((k, i) => `<rect class="k-${k}" x="${x}" y="${(1 + row * ROW_H + i * h).toFixed(2)}" width="${w}" height="${h.toFixed(2)}"/>`).join('');
    parts.push(`<g><title>${esc(head + b.lines.join('\n') + more)}</title>${rects}</g>`);
  }
  // Ends stand out: a full-height mark with the reason.
  for (const e of ends) {
    const x = Math.min(W - 2, scale(e.t));
    parts.push(`<rect class="end k-${e.outcome === 'closed' ? 'close' : 'reject'}${e.routine ? ' routine' : ''}" x="${x.toFixed(2)}" y="0" width="2.5" height="${LANE_H}"><title>${esc(e.text)}</title></rect>`);
  }
  return `<svg class="lane-svg" viewBox="0 0 ${W} ${LANE_H}" preserveAspectRatio="none" role="img">${parts.join('')}</svg>`;
}

/** Ticks for a time axis from 0 to `endUs`: about 8, at round values. */
function timeTicks(endUs: number): number[] {
  if (endUs <= 0) return [0];
  const raw = endUs / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p); // whole µs
  const out: number[] = [];
  for (let t = 0; t <= endUs + 1e-9; t += step) out.push(t);
  return out;
}

function axisHtml(endUs: number): string {
  const ticks = timeTicks(endUs);
  return `<div class="lane axis"><div class="lane-name"></div><div class="axis-track">${ticks
    .map((t) => {
      const at = endUs > 0 ? (t / endUs) * 100 : 0;
      // A label near the right edge ends at its tick rather than overflowing the box.
      return `<span${at > 94 && t > 0 ? ' class="end"' : ''} style="left:${at.toFixed(3)}%">${esc(fmtSeconds(t).replace(/\.?0+ s$/, ' s').replace(/^ s$/, '0 s'))}</span>`;
    })
    .join('')}</div></div>`;
}

function lanesHtml(r: RunResult, ends: readonly ConnectionEnd[]): string {
  const byClient = new Map<string, TimelineEvent[]>();
  const server: TimelineEvent[] = [];
  for (const e of r.events) {
    if (e.client === undefined) {
      server.push(e);
      continue;
    }
    let l = byClient.get(e.client);
    if (!l) byClient.set(e.client, (l = []));
    l.push(e);
  }
  const endsBy = new Map<string, ConnectionEnd[]>();
  for (const e of ends) {
    const l = endsBy.get(e.client) ?? [];
    l.push(e);
    endsBy.set(e.client, l);
  }
  // Which clients get a lane: those that ended unusually first, then in order of appearance.
  const names = [...byClient.keys()];
  const unusual = new Set(names.filter((n) => (endsBy.get(n) ?? []).some((e) => !e.routine)));
  const chosen = new Set([...names.filter((n) => unusual.has(n)), ...names.filter((n) => !unusual.has(n))].slice(0, MAX_LANES));
  const rows: string[] = [];
  rows.push(axisHtml(r.endUs));
  rows.push(`<div class="lane"><div class="lane-name server" title="events of the server itself: log lines, cron ticks, faults">server</div>${laneSvg(server.filter((e) => e.kind !== 'cron' || server.length < 20000), r.endUs, null, [])}</div>`);
  for (const name of names) {
    if (!chosen.has(name)) continue;
    const evs = byClient.get(name)!;
    const acc = evs.find((e) => e.kind === 'accept');
    const close = evs.find((e) => e.kind === 'close');
    const span: [number, number] | null = acc ? [acc.t, close ? close.t : r.endUs] : null;
    const myEnds = endsBy.get(name) ?? [];
    const tip = [`${name}: ${evs.length} events`, ...myEnds.map((e) => e.text)].join('\n');
    rows.push(`<div class="lane" data-client="${esc(name)}"><div class="lane-name${unusual.has(name) ? ' unusual' : ''}" title="${esc(tip)}">${esc(name)}</div>${laneSvg(evs, r.endUs, span, myEnds)}</div>`);
  }
  const hidden = names.length - chosen.size;
  const note = hidden > 0 ? `<p class="note">Showing ${chosen.size} of ${names.length} clients (those whose connection ended unusually first, then in order of appearance); the other ${hidden} are in timeline.ndjson.</p>` : '';
  const legend = ['connect', 'accept', 'tls', 'read', 'command', 'reply', 'write', 'client', 'close', 'reject', 'fault', 'firewall', 'log']
    .map((k) => `<span class="key"><i class="k-${k}"></i>${k === 'client' ? 'client saw' : k}</span>`)
    .join('');
  return `<div class="legend">${legend}<span class="key"><i class="span-key"></i>connected</span></div>
<p class="note">Each lane has three rows: the connection's life (connect, accept, close, refusal), what came in (reads, commands) and what went out (replies, writes, replies the client saw). Hover a mark for the events behind it; events closer than 1/${BINS} of the run share a mark.</p>
<div class="lanes">${rows.join('\n')}</div>${note}`;
}

// ---- sections ---------------------------------------------------------------------------------------

function endsHtml(ends: readonly ConnectionEnd[]): string {
  if (!ends.length) return '<p class="note">No connection was closed or refused during the run.</p>';
  const counts = [...endCounts(ends)].map(([k, n]) => `<li>${esc(k)}: <b>${n}</b></li>`).join('');
  const groups = groupEnds(ends);
  const rows = groups.slice(0, MAX_END_ROWS).map((g) => {
    const cls = g.routine ? 'routine' : 'bad';
    const [what, ...rest] = g.text.split(': ');
    const who = g.clients.length <= 3
      ? esc(g.clients.join(', '))
      : `<details><summary>${esc(nameList(g.clients))}</summary><div class="names">${esc(g.clients.slice(0, MAX_NAMES).join(', '))}${g.clients.length > MAX_NAMES ? ` … (${g.clients.length} in all)` : ''}</div></details>`;
    return `<tr class="${cls}"><td class="num">${esc(fmtSeconds(g.t))}</td><td class="who">${who}</td><td><b>${esc(what)}</b>: ${esc(rest.join(': '))}</td><td><code>${esc(g.reason)}</code></td></tr>`;
  });
  const more = groups.length > MAX_END_ROWS ? `<p class="note">… and ${groups.length - MAX_END_ROWS} more rows, counted above; every end is in timeline.ndjson.</p>` : '';
  return `<ul class="counts">${counts}</ul><p class="note">Connections that ended the same way at the same moment share a row.</p><table class="ends"><thead><tr><th>t</th><th>client</th><th>what happened and why</th><th>reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function expectationsHtml(r: RunResult): string {
  if (!r.expectations.length) return '<p class="note">The scenario states no expectations.</p>';
  const rows = r.expectations.map((e) => `<tr class="${e.passed ? 'pass' : 'fail'}"><td class="mark">${e.passed ? '✔' : '✘'}</td><td>${esc(e.description)}<div class="detail">${esc(e.detail)}</div></td><td class="loc">${esc(`${r.file}:${e.line}`)}</td></tr>`);
  return `<table class="expect"><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
:root{--fg:#1d2330;--dim:#5f6b7a;--bg:#fff;--line:#e3e7ee;--pass:#1e7d32;--fail:#c62828}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,.mono,.num,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.verdict{display:inline-block;font-weight:700;padding:2px 10px;border-radius:4px;color:#fff;margin-right:10px;vertical-align:2px}
.verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}
.desc{color:var(--fg);max-width:95ch;margin:6px 0 10px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dl.meta dt{color:var(--dim)}dl.meta dd{margin:0}
.note{color:var(--dim);font-size:13px;max-width:110ch}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
th{font-weight:600;color:var(--dim);font-size:12.5px}
table.expect td.mark{width:1.5em;font-weight:700}tr.pass td.mark{color:var(--pass)}tr.fail td.mark{color:var(--fail)}
tr.fail{background:#fff3f3}.detail{color:var(--dim);font-size:13px}tr.fail .detail{color:var(--fail)}
td.loc{color:var(--dim);white-space:nowrap;width:1%}
table.ends tr.bad td:nth-child(3) b{color:var(--fail)}table.ends tr.routine{color:var(--dim)}td.num{white-space:nowrap;width:1%}
ul.counts{margin:4px 0 10px;padding-left:20px}
td.who{max-width:40ch}td.who summary{cursor:pointer}td.who .names{font-size:12px;color:var(--dim);max-height:12em;overflow:auto}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px;margin:6px 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px}
/* Lanes and plots share their time axis's left and right edges (page.js: y axis 72px, right padding 32px). */
.lanes{border:1px solid var(--line);border-radius:4px;padding:4px 31px 4px 8px}
.chart{margin-left:107px}
.lane{display:grid;grid-template-columns:170px 1fr;align-items:center;min-height:${LANE_H + 4}px;border-bottom:1px dotted var(--line)}
.lane:last-child{border-bottom:0}
.lane-name{font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:8px}
.lane-name.server{color:var(--dim);font-style:italic}.lane-name.unusual{color:var(--fail);font-weight:600}
.lane-svg{width:100%;height:${LANE_H}px;display:block}
.lane.axis{min-height:20px;border-bottom:1px solid var(--line)}
.axis-track{position:relative;height:18px;font-size:11px;color:var(--dim)}
.axis-track span{position:absolute;top:2px;transform:translateX(-50%);white-space:nowrap}
.axis-track span:first-child{transform:none}.axis-track span.end{transform:translateX(-100%)}
rect.span{fill:#e6f4ea}.span-key{background:#e6f4ea;border:1px solid #bfe3c8}
rect.end{opacity:.95}rect.end.routine{opacity:.45}
.plot{margin:10px 0 22px}.plot h3{font-size:14.5px;margin:0 0 2px}.plot .note{margin:0 0 6px}
.plot .empty{color:var(--dim);font-style:italic;padding:16px 0}
.u-legend{font-size:12px;text-align:left}
${Object.entries(KIND_COLOUR).map(([k, c]) => `.k-${k}{fill:${c};background:${c}}`).join('')}
`;

/** The whole report as one HTML document. */
export function renderHtml(r: RunResult, meta: HtmlMeta): string {
  const a = loadAssets();
  const ends = connectionEnds(r.events);
  const plots = plotData(r);
  const verdict = r.passed ? '<span class="verdict pass">PASS</span>' : '<span class="verdict fail">FAIL</span>';
  const held = r.expectations.filter((e) => e.passed).length;
  const endText = r.ended === 'horizon'
    ? `stopped at the horizon, t=${fmtSeconds(r.endUs)}${r.unfinished.length ? `, unfinished clients: ${r.unfinished.join(', ')}` : ''}`
    : `settled at t=${fmtSeconds(r.endUs)} of virtual time`;
  const metaRows: Array<[string, string]> = [
    ['file', r.file],
    ['seed', String(r.seed)],
    ['redsim', meta.version],
    ['hash', r.hash],
    ['expectations', `${held} of ${r.expectations.length} held`],
    ['run', `${endText}; ${r.events.length} events; ${ends.length} connection ends`],
    ['reproduce', reproduceCommand(r)],
  ];
  if (r.serverExit !== null) metaRows.splice(5, 0, ['server', `refused to start (exit code ${r.serverExit}); see its log lines`]);
  const plotHtml = plots.map((p) => {
    const body = p.series.length
      ? `<div class="chart" id="plot-${esc(p.id)}" data-series="${esc(p.id)}"></div>`
      : `<div class="empty" id="plot-${esc(p.id)}" data-series="${esc(p.id)}">No data: no client ${p.id === 'qbuf' ? 'was read from' : 'was accepted'}.</div>`;
    return `<section class="plot"><h3>${esc(p.title)}</h3><p class="note">${esc(p.note)} <span class="mono">(${esc(p.sampling === 'exact' ? 'every change' : p.sampling)})</span></p>${body}</section>`;
  });
  const data = { scenario: r.scenario, endUs: r.endUs, plots };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`redsim · ${r.scenario} · ${r.passed ? 'PASS' : 'FAIL'}`)}</title>
<style>${a.uplotCss}</style>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${verdict}${esc(r.scenario)}</h1>
${meta.description ? `<p class="desc">${esc(meta.description)}</p>` : ''}
<dl class="meta">${metaRows.map(([k, v]) => `<dt>${esc(k)}</dt><dd class="${k === 'hash' || k === 'reproduce' ? 'mono' : ''}">${esc(v)}</dd>`).join('')}</dl>
</header>
<h2>Expectations</h2>
${expectationsHtml(r)}
<h2>Why connections ended</h2>
${endsHtml(ends)}
<h2>Clients over time</h2>
${lanesHtml(r, ends)}
<h2>Plots over virtual time</h2>
<p class="note">Drag across a plot to zoom into a time range (double-click to zoom out); the cursor moves on all plots at once.</p>
${plotHtml.join('\n')}
<script type="application/json" id="redsim-data">${jsonIsland(data)}</script>
<script>${a.uplotJs}</script>
<script>${a.pageJs}</script>
</body>
</html>
`;
}
