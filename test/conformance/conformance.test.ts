// The conformance suite: every scenario under test/conformance/ runs on the simulator, on the core
// over real sockets and on a real redis-server (`redsim conform`), and what each client observed
// must agree (known, explained mismatches aside). Needs redis-server on PATH (or REDIS_SERVER);
// skipped with a message otherwise, unless REDSIM_REQUIRE_REDIS=1 (CI), which makes that a failure.
// The scenarios run in a few `redsim conform` child processes at once: their real arms spend most
// of their time waiting on timers, and separate processes keep one scenario's CPU work from
// delaying another's timers.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMismatches } from '../../src/real/compare.ts';
import type { ConformResult } from '../../src/real/conform.ts';
import { findRedisServer, redisServerVersion } from '../../src/real/redis-process.ts';
import { loadScenario } from '../../src/scenario/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = resolve(import.meta.dirname);
const BIN = join(ROOT, 'bin/redsim.js');
/** Child processes running scenarios at once (2 cores: the real arms mostly wait). */
const SHARDS = 4;
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(DIR, f));

const bin = findRedisServer();
const version = bin ? redisServerVersion(bin) : null;
const required = process.env.REDSIM_REQUIRE_REDIS === '1';
const missing = !bin
  ? process.env.REDIS_SERVER
    ? `REDIS_SERVER names ${process.env.REDIS_SERVER}, which does not exist`
    : 'redis-server is not on PATH and REDIS_SERVER is not set'
  : !version
    ? `${bin} --version failed`
    : null;

/** Splits files into shards of similar expected duration (the horizon is a fair estimate). */
function shard(files: string[], n: number): string[][] {
  const weighted = files.map((f) => ({ f, w: loadScenario(f).horizonUs })).sort((a, b) => b.w - a.w || a.f.localeCompare(b.f));
  const out: Array<{ files: string[]; w: number }> = Array.from({ length: n }, () => ({ files: [], w: 0 }));
  for (const x of weighted) {
    const s = out.reduce((m, o) => (o.w < m.w ? o : m));
    s.files.push(x.f);
    s.w += x.w;
  }
  return out.map((o) => o.files).filter((f) => f.length);
}

const results = new Map<string, ConformResult>();
const children = new Set<ChildProcess>();
let runError: string | null = null;

function runShard(files: string[]): Promise<void> {
  return new Promise((done) => {
    // detached: its own process group, so the redis-servers it starts can be stopped with it.
    const child = spawn(process.execPath, [BIN, 'conform', '--json', '--no-color', ...files], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', REDIS_SERVER: bin! },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('close', (code) => {
      children.delete(child);
      for (const line of out.split('\n')) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as ConformResult;
        results.set(r.file, r);
      }
      if (code !== 0 && code !== 1) runError = `redsim conform exited ${code}: ${err.trim()}`;
      done();
    });
  });
}

function stopChildren(): void {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

if (missing && !required) {
  console.warn(`test/conformance: skipped — ${missing}. Install it (apt-get install redis-server) or set REDIS_SERVER; CI sets REDSIM_REQUIRE_REDIS=1 to make this a failure.`);
  describe('conformance against redis-server', () => {
    it.skip(`skipped: ${missing} (apt-get install redis-server, or set REDIS_SERVER; CI sets REDSIM_REQUIRE_REDIS=1 to make this a failure)`, () => undefined);
  });
} else {
  describe('conformance against redis-server', () => {
    beforeAll(async () => {
      if (missing) return;
      const timer = setTimeout(stopChildren, 170_000);
      await Promise.all(shard(FILES, SHARDS).map(runShard));
      clearTimeout(timer);
    }, 180_000);
    afterAll(stopChildren);

    it('has a redis-server to compare with', () => {
      expect(missing, `${missing} — REDSIM_REQUIRE_REDIS=1 turns this skip into a failure`).toBeNull();
      expect(version).toMatch(/v=7\.0\./);
    });

    it('has at least 25 scenarios', () => {
      expect(FILES.length).toBeGreaterThanOrEqual(25);
    });

    for (const file of FILES) {
      const name = file.slice(DIR.length + 1).replace(/\.yaml$/, '');
      it(`${name}: every client observes on the simulator and on the core over real sockets what it observes on redis-server`, () => {
        expect(runError).toBeNull();
        const r = results.get(file);
        expect(r, `no result for ${name} (the conform run did not report it)`).toBeDefined();
        const errors = r!.arms.filter((a) => a.status === 'error').map((a) => `${a.arm}: ${a.why}`);
        expect(errors, 'arms that failed to run').toEqual([]);
        const problems = r!.comparisons.flatMap((c) => [
          ...(c.unexpected.length ? [`${c.arm} vs ${c.against}:\n${renderMismatches(c.unexpected, { max: 30 })}`] : []),
          ...c.stale.map((k) => `${c.arm} vs ${c.against}: known mismatch no longer seen, remove it: ${JSON.stringify(k)}`),
        ]);
        expect(problems.join('\n'), `reproduce: npx redsim conform ${file.slice(ROOT.length + 1)}`).toBe('');
      });
    }
  });
}
