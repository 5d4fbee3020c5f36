// `redsim conform` as a user runs it: exit codes, what it prints, bad settings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/redsim.js');

function redsim(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'redsim-conform-')), 'sc.yaml');
  writeFileSync(f, text);
  return f;
}

describe('redsim conform', () => {
  it('compares the simulator with the core on real sockets and exits 0 when they agree', () => {
    const f = file('horizon: 2s\nx-conformance: {settle: 50ms}\nclients:\n  - name: c1\n    script:\n      - call: PING\n      - raw: "PING\\r\\nQUIT\\r\\nPING\\r\\n"\n      - wait-closed: true\n');
    const r = redsim(['conform', f, '--arms', 'sim,serve']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('serve vs sim: every client observed the same');
    expect(r.out).toContain('1/1 scenarios conform');
  });

  it('says a scenario with faults is simulator-only', () => {
    const f = file('horizon: 1s\nclients:\n  - name: c1\n    script: [{call: PING}]\nfaults:\n  - {at: 0, client: c1, slice: {sizes: [1]}}\n');
    const r = redsim(['conform', f]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('serve skipped: simulator-only: faults (slice) cannot be injected on real sockets');
  });

  it('exits 2 and names the key for bad x-conformance settings', () => {
    const f = file('clients: []\nx-conformance: {close-tolerance: 5, exclude: {replies: [{client: a}]}}\n');
    const r = redsim(['conform', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('x-conformance.close-tolerance: the duration 5 has no unit');
    expect(r.err).toContain('x-conformance.exclude.replies[0]');
  });

  it('exits 2 for an unknown arm', () => {
    const r = redsim(['conform', 'test/conformance/ping-echo-basics.yaml', '--arms', 'sim,nginx']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--arms');
  });
});
