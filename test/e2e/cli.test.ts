// The CLI as a user runs it: a separate process, real files, exit codes and output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findScenarios } from '../../src/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/redsim.js');

function redsim(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('redsim run', () => {
  it('exits 0 and prints PASS when every expectation holds', () => {
    const r = redsim(['run', 'scenarios/ping-pong.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS ping-pong \(seed 1\)/);
  });

  it('exits 1, names the failed expectation with its line, and prints a reproduce command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-'));
    const f = join(dir, 'wrong.yaml');
    writeFileSync(f, 'clients:\n  - name: c1\n    script:\n      - call: PING\nexpect:\n  - {client: c1, replies: ["+PANG"]}\n');
    const r = redsim(['run', f]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`✘ c1 received exactly 1 expected replies (${f}:6)`);
    expect(r.out).toContain('expected "+PANG", got "+PONG"');
    expect(r.out).toContain(`reproduce: npx redsim run ${f} --seed 1`);
  });

  it('exits 2 with file, line and field for every problem in a malformed scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'horizon: 10\nclients:\n  - name: c1\n    conect-at: 1s\n    script: []\n');
    const r = redsim(['run', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:1:`);
    expect(r.err).toMatch(/horizon/);
    expect(r.err).toContain(`${f}:4:`);
    expect(r.err).toMatch(/connect-at/);
  });

  it('exits 2 with a clear message for a missing file', () => {
    const r = redsim(['run', 'no/such/file.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot read scenario file: no/such/file.yaml: no such file');
  });

  it('exits 2 and names the directive when the server config is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-'));
    const f = join(dir, 'cfg.yaml');
    writeFileSync(f, 'server:\n  config:\n    maxclients: 0\nclients: []\n');
    const r = redsim(['run', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:3:`);
    expect(r.err).toContain('argument must be between 1 and 4294967295 inclusive');
  });

  it('--json prints one object with scenario, seed, passed, hash, expectations and events', () => {
    const r = redsim(['run', 'scenarios/ping-pong.yaml', '--json', '--seed', '5']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ scenario: 'ping-pong', seed: 5, passed: true });
    expect(j.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.expectations.length).toBe(3);
    expect(j.events.length).toBeGreaterThan(10);
  });

  it('the same file and seed give the same hash in two separate processes', () => {
    const a = JSON.parse(redsim(['run', 'scenarios/pipeline-sliced.yaml', '--json']).out).hash;
    const b = JSON.parse(redsim(['run', 'scenarios/pipeline-sliced.yaml', '--json']).out).hash;
    expect(a).toBe(b);
  });

  it('--help teaches the commands, options and exit codes', () => {
    const r = redsim(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--seed');
    expect(r.out).toContain('--json');
    expect(redsim(['--help']).out).toContain('Exit codes');
  });
});

describe('redsim start', () => {
  it('runs every bundled scenario, writes reports and prints a summary table', () => {
    const out = mkdtempSync(join(tmpdir(), 'redsim-reports-'));
    const r = redsim(['start', 'scenarios', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const names = findScenarios(join(ROOT, 'scenarios')).length;
    expect(r.out).toContain(`${names}/${names} scenarios passed`);
    const run = JSON.parse(readFileSync(join(out, 'ping-pong', 'run.json'), 'utf8'));
    expect(run.passed).toBe(true);
    expect(existsSync(join(out, 'ping-pong', 'timeline.ndjson'))).toBe(true);
    expect(readFileSync(join(out, 'ping-pong', 'report.txt'), 'utf8')).toContain('closed: quit');
  });
});

describe('redsim validate', () => {
  it('accepts every bundled scenario', () => {
    const r = redsim(['validate', ...findScenarios(join(ROOT, 'scenarios'))]);
    expect(r.code).toBe(0);
  });
});
