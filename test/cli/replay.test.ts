import { copyFileSync, readFileSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { redsim, tempDir } from './helpers.ts';

/** A fresh report of a copy of ping-pong in its own folder (cwd), so the test can change the file. */
async function freshReport(): Promise<{ cwd: string; report: string }> {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'scenarios'));
  copyFileSync(join(import.meta.dirname, '../../scenarios/ping-pong.yaml'), join(cwd, 'scenarios/ping-pong.yaml'));
  const r = await redsim(['run', 'scenarios/ping-pong.yaml', '--seed', '3', '--out', 'reports'], { cwd });
  expect(r.code).toBe(0);
  return { cwd, report: join(cwd, 'reports/ping-pong/run.json') };
}

describe('redsim replay', () => {
  let shared: { cwd: string; report: string };
  beforeAll(async () => {
    shared = await freshReport();
  });

  it('confirms a fresh report: same events, same hash, exit 0', async () => {
    const { cwd, report } = shared;
    const run = JSON.parse(readFileSync(report, 'utf8'));
    expect(run.scenarioSha256).toMatch(/^[0-9a-f]{64}$/);
    const r = await redsim(['replay', report], { cwd });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`confirmed: ${report} reproduces: ping-pong (seed 3) from scenarios/ping-pong.yaml gives the same ${run.events.length} events, hash ${run.hash.slice(0, 16)}`);
  });

  it('detects a tampered copy: exit 1, the first divergence with context, and a reproduce command', async () => {
    const { cwd, report } = shared;
    const run = JSON.parse(readFileSync(report, 'utf8'));
    const k = run.events.findIndex((e: { kind: string }) => e.kind === 'write');
    run.events[k].bytes += 100;
    const copy = join(cwd, 'tampered.json');
    writeFileSync(copy, JSON.stringify(run, null, 1));
    const r = await redsim(['replay', copy], { cwd });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`DIVERGED: ${copy} does not reproduce`);
    expect(r.out).toContain(`first difference at event #${k}`);
    expect(r.out).toMatch(/report > .*wrote 10\d B/);
    expect(r.out).toMatch(/rerun {2}> .*wrote \d B/);
    expect(r.out).toContain(`differs in bytes: ${run.events[k].bytes} vs ${run.events[k].bytes - 100}`);
    expect(r.out).toContain("the report's events do not match its own hash");
    expect(r.out).toContain(`reproduce: npx redsim replay ${copy}`);
    expect(r.out).toContain('npx redsim run scenarios/ping-pong.yaml --seed 3');
  });

  it('exits 2 and says so when the scenario file changed since the report', async () => {
    const { cwd, report } = await freshReport();
    appendFileSync(join(cwd, 'scenarios/ping-pong.yaml'), '# an edit\n');
    const r = await redsim(['replay', report], { cwd });
    expect(r.code).toBe(2);
    expect(r.err).toContain('the scenario file scenarios/ping-pong.yaml has changed since');
    expect(r.err).toContain('npx redsim run scenarios/ping-pong.yaml --seed 3 --out reports');
  });

  it('exits 2 and says so when the scenario file is missing, and --scenario points at its new place', async () => {
    const { cwd, report } = shared;
    const elsewhere = tempDir();
    const [r, moved] = await Promise.all([
      redsim(['replay', report], { cwd: elsewhere }),
      redsim(['replay', report, '--scenario', join(cwd, 'scenarios/ping-pong.yaml')], { cwd: elsewhere }),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the scenario file scenarios/ping-pong.yaml named by ${report} does not exist`);
    expect(r.err).toContain('--scenario PATH');
    expect(moved.code).toBe(0);
  });

  it('exits 2 for a file that is not a run report', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
    const r = await redsim(['replay', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a run report');
  });
});

describe('redsim run --check-determinism', () => {
  it('passes on every bundled scenario: three runs (two here, one in a child process) give one hash each; output flags are refused', async () => {
    const files = (await import('../../src/cli/main.ts')).findScenarios(join(import.meta.dirname, '../../scenarios'));
    const [r, refused] = await Promise.all([redsim(['run', ...files, '--check-determinism']), redsim(['run', 'scenarios/ping-pong.yaml', '--check-determinism', '--json'])]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('leave out --json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const verdicts = r.out.split('\n').filter((l) => /deterministic/i.test(l));
    expect(verdicts).toHaveLength(files.length);
    for (const v of verdicts) expect(v).toMatch(/^ {2}deterministic: 3 runs \(2 in this process, 1 in a child process\) gave hash [0-9a-f]{16}$/);
  });
});
