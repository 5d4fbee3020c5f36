// The HTML report in a real browser: headless Chromium loads index.html from disk; any console
// error, page error or network request fails the test, and so does a plot with no line drawn.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.ts';
import { bundled, ROOT } from './helpers.ts';

const CHROMIUM = process.env.REDSIM_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
if (!HAVE) console.warn(`test/report/browser.test.ts skipped: no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium)`);

interface PageCheck {
  problems: string[];
  plotsDrawn: number;
  plots: Array<{ id: string; canvas: boolean; strokes: string[]; strokePixels: number }>;
  lanes: number;
}

/**
 * Runs in the page (as text: the project's TypeScript has no DOM types): for each plot, whether it
 * has a canvas and how many of its pixels have the colour of one of its series (its lines, not the
 * axes or grid).
 */
const IN_PAGE = `(() => {
  const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const plots = [...document.querySelectorAll('[data-series]')].map((el) => {
    const strokes = (el.getAttribute('data-strokes') || '').split(' ').filter(Boolean);
    const canvas = el.querySelector('canvas');
    let strokePixels = 0;
    if (canvas) {
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const want = strokes.map(hex);
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] < 200) continue;
        if (want.some(([r, g, b]) => Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 40)) strokePixels++;
      }
    }
    return { id: el.getAttribute('data-series'), canvas: !!canvas, strokes, strokePixels };
  });
  return {
    plotsDrawn: Number(document.documentElement.getAttribute('data-plots-drawn')),
    plots,
    lanes: document.querySelectorAll('.lane[data-client]').length,
  };
})()`;

/** Loads `file` and reports every problem, and how much of each plot's own colours its canvas holds. */
async function check(browser: Browser, file: string): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|about):/.test(r.url())) problems.push(`network request: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-plots-drawn]', { timeout: 15_000 });
  const got = (await page.evaluate(IN_PAGE)) as Omit<PageCheck, 'problems'>;
  await page.close();
  return { problems, ...got };
}

describe.skipIf(!HAVE)(`the HTML report in headless Chromium (skipped when ${CHROMIUM} is absent: apt-get install -y chromium)`, () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redsim-html-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Playwright gives the browser a fresh temporary --user-data-dir of its own.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens the index.html that `redsim run --out` writes with no console error and a line on every plot', async () => {
    const out = join(dir, 'reports');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/redsim.js'), 'run', 'scenarios/soft-limit-enforced.yaml', '--out', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const file = join(out, 'soft-limit-enforced', 'index.html');
    expect(existsSync(file)).toBe(true);
    const got = await check(browser, file);
    expect(got.problems).toEqual([]);
    expect(got.plotsDrawn).toBe(4);
    expect(got.plots.map((p) => p.id)).toEqual(['obuf', 'qbuf', 'clients', 'fds']);
    for (const p of got.plots) {
      expect(p.canvas, `plot ${p.id} has a canvas`).toBe(true);
      expect(p.strokes.length, `plot ${p.id} has series`).toBeGreaterThan(0);
      expect(p.strokePixels, `plot ${p.id} draws its series`).toBeGreaterThan(30);
    }
    expect(got.lanes).toBe(1);
  });

  it('draws the report of a 65k-event run (giant argument) without errors', async () => {
    const { r, description } = bundled('giant-argument-querybuf-limit');
    const file = join(dir, 'giant.html');
    writeFileSync(file, renderHtml(r, { version: 'test', description }));
    const got = await check(browser, file);
    expect(got.problems).toEqual([]);
    expect(got.plotsDrawn).toBe(4);
    for (const p of got.plots) expect(p.strokePixels, `plot ${p.id} draws its series`).toBeGreaterThan(30);
    expect(got.lanes).toBe(2);
  });
});
