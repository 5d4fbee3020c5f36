// The CLI writes the readable reports: index.html and trace.json beside run.json, and --trace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

function redsim(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/redsim.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('redsim run, report files', () => {
  it('--out writes index.html and trace.json next to run.json, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-out-'));
    const r = redsim(['run', 'scenarios/soft-limit-enforced.yaml', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    const files = readdirSync(join(dir, 'soft-limit-enforced')).sort();
    expect(files).toEqual(['index.html', 'report.txt', 'run.json', 'timeline.ndjson', 'trace.json']);
    const html = readFileSync(join(dir, 'soft-limit-enforced', 'index.html'), 'utf8');
    expect(html).toContain('normal clients get a soft limit of 256 KB');
    expect(html).toMatch(/<dt>redsim<\/dt><dd class="">\d+\.\d+\.\d+<\/dd>/);
    const trace = JSON.parse(readFileSync(join(dir, 'soft-limit-enforced', 'trace.json'), 'utf8'));
    expect(trace.otherData.hash).toBe(JSON.parse(readFileSync(join(dir, 'soft-limit-enforced', 'run.json'), 'utf8')).hash);
    expect(readFileSync(join(dir, 'soft-limit-enforced', 'report.txt'), 'utf8')).toMatch(/stalled closed: output buffer .* ≥ soft limit 256\.0 KB/);
  });

  it('--trace FILE writes the trace of one scenario to FILE, and one file per scenario for several', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-trace-'));
    const one = join(dir, 'one.json');
    const r1 = redsim(['run', 'scenarios/ping-pong.yaml', '--trace', one]);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toContain(`trace written to ${one}`);
    expect(JSON.parse(readFileSync(one, 'utf8')).traceEvents.length).toBeGreaterThan(10);
    const many = join(dir, 'many.json');
    const r2 = redsim(['run', 'scenarios/ping-pong.yaml', 'scenarios/quit-mid-pipeline.yaml', '--trace', many]);
    expect(r2.code, r2.err).toBe(0);
    expect(existsSync(join(dir, 'many.ping-pong.json'))).toBe(true);
    expect(existsSync(join(dir, 'many.quit-mid-pipeline.json'))).toBe(true);
  });

  it('prints the reason of every close in the summary', () => {
    const r = redsim(['run', 'scenarios/maxclients-refusal.yaml']);
    expect(r.out).toMatch(/^ {2}refused refused: 3 clients connected ≥ maxclients 3/m);
  });
});
