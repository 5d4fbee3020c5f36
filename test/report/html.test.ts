// The HTML report: one self-contained page, safe with hostile text, with the required plots and
// plain-language reasons, and still usable for very large runs.
import { describe, expect, it } from 'vitest';
import { MAX_LANES, renderHtml } from '../../src/report/html.ts';
import { bundled, renameClient, syntheticRun } from './helpers.ts';
import { runYaml } from '../helpers/run-yaml.ts';

const META = { version: '9.9.9' };

/** The JSON island the page's script reads. */
function dataOf(html: string): { plots: Array<{ id: string; x: number[]; series: Array<{ label: string; kind: string; values: Array<number | null> }> }> } {
  const m = html.match(/<script type="application\/json" id="redsim-data">([\s\S]*?)<\/script>/);
  if (!m) throw new Error('no data island');
  return JSON.parse(m[1]!);
}

describe('renderHtml', () => {
  it('is one self-contained page: no external script, stylesheet, image or link', () => {
    const { r, description } = bundled('soft-limit-enforced');
    const html = renderHtml(r, { ...META, description });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    // uPlot and the page script are inline.
    expect(html).toContain('var uPlot=');
    expect(html).toContain("document.getElementById('redsim-data')");
  });

  it('shows scenario, description, seed, version, hash and verdict in the header', () => {
    const { r, description } = bundled('soft-limit-enforced');
    const html = renderHtml(r, { ...META, description });
    expect(html).toContain('<span class="verdict pass">PASS</span>soft-limit-enforced');
    expect(html).toContain('normal clients get a soft limit of 256 KB');
    expect(html).toContain('<dt>seed</dt><dd class="">1</dd>');
    expect(html).toContain('9.9.9');
    expect(html).toContain(r.hash);
  });

  it('lists every expectation with its verdict and detail', () => {
    const { r } = bundled('soft-limit-enforced');
    const html = renderHtml(r, META);
    for (const e of r.expectations) {
      expect(html).toContain(e.description.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    }
    expect(html.match(/<tr class="pass">/g)?.length).toBe(r.expectations.length);
  });

  it('marks a failed expectation and shows what was observed instead', () => {
    const r = runYaml('clients:\n  - name: c1\n    script:\n      - call: PING\nexpect:\n  - {client: c1, replies: ["+PANG"]}\n');
    const html = renderHtml(r, META);
    expect(html).toContain('<span class="verdict fail">FAIL</span>');
    expect(html).toContain('<tr class="fail">');
    expect(html).toContain('expected &quot;+PANG&quot;, got &quot;+PONG&quot;');
  });

  it('escapes a client name and a scenario text containing <script>', () => {
    const evil = '<script>alert(1)</script>';
    const r0 = runYaml(`name: "x${evil}"\ndescription: "d <img src=x onerror=alert(2)>"\nclients:\n  - name: c1\n    script:\n      - call: PING\n`);
    const r = renameClient(r0, 'c1', evil);
    const html = renderHtml(r, { version: '1', description: 'd <img src=x onerror=alert(2)>' });
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The only <script> elements are the report's own three.
    expect(html.match(/<script\b/g)?.length).toBe(3);
    // In the data island the name is JSON with < escaped, and decodes back to the name.
    expect(dataOf(html).plots.find((p) => p.id === 'obuf')!.series.map((s) => s.label)).toContain(evil);
  });

  it('has a plot for each required series: output buffer, query buffer, connected clients and fds', () => {
    const { r } = bundled('soft-limit-enforced');
    const html = renderHtml(r, META);
    const plots = dataOf(html).plots;
    expect(plots.map((p) => p.id)).toEqual(['obuf', 'qbuf', 'clients', 'fds']);
    for (const p of plots) {
      expect(html).toContain(`<div class="chart" id="plot-${p.id}" data-series="${p.id}">`);
      expect(p.series.length).toBeGreaterThan(0);
      for (const s of p.series) expect(s.values.length).toBe(p.x.length);
      expect(p.series.some((s) => s.values.some((v) => v !== null && v > 0))).toBe(true);
    }
    const obuf = plots.find((p) => p.id === 'obuf')!;
    expect(obuf.series.map((s) => s.label)).toEqual(['stalled', 'soft limit']);
    // About 512 KB stayed queued before the close.
    expect(Math.max(...obuf.series[0]!.values.map((v) => v ?? 0))).toBeGreaterThan(500_000);
    expect(Math.max(...plots.find((p) => p.id === 'fds')!.series[0]!.values.map((v) => v ?? 0))).toBe(5);
  });

  it('gives each close and refusal a plain-language reason with its numbers', () => {
    const soft = renderHtml(bundled('soft-limit-enforced').r, META);
    expect(soft).toMatch(/<b>closed<\/b>: output buffer 512\.\d KB ≥ soft limit 256\.0 KB for more than 2 s \(over it since t=0 s; class normal\) at t=3\.00\d+ s/);
    const refused = renderHtml(bundled('maxclients-refusal').r, META);
    expect(refused).toContain('<b>refused</b>: 3 clients connected ≥ maxclients 3');
    const giant = renderHtml(bundled('giant-argument-querybuf-limit').r, META);
    expect(giant).toMatch(/query buffer 1\.0 GB \(\d+ B\) &gt; client-query-buffer-limit 1\.0 GB \(1073741824 B\)/);
  });

  it('draws a lane per client with its events coloured by kind and hover titles', () => {
    const { r } = bundled('maxclients-refusal');
    const html = renderHtml(r, META);
    for (const c of r.clients) expect(html).toContain(`data-client="${c.name}"`);
    for (const k of ['connect', 'accept', 'command', 'reply', 'write', 'reject']) expect(html).toMatch(new RegExp(`<rect class="[^"]*k-${k}\\b`));
    expect(html).toMatch(/<title>refused: 3 clients connected ≥ maxclients 3[^<]*<\/title>/);
  });

  it('stays usable with 100k events: lanes capped, plots resampled, page a few MB at most', () => {
    const r = syntheticRun(100_000, 300);
    const t0 = performance.now();
    const html = renderHtml(r, META);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(10_000);
    expect(html.length).toBeLessThan(6_000_000);
    expect(html.match(/<div class="lane" data-client=/g)?.length).toBe(MAX_LANES);
    expect(html).toContain(`Showing ${MAX_LANES} of 300 clients`);
    // Clients closed at the hard limit are shown first.
    expect(html).toContain('data-client="c0"');
    expect(html).toContain('data-client="c250"');
    for (const p of dataOf(html).plots) {
      expect(p.x.length).toBeLessThanOrEqual(1501);
      expect(p.series.length).toBeLessThanOrEqual(11);
    }
    expect(html).toContain('292 other clients (sum)');
  });
});
