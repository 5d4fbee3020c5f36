// The core on real sockets, in-process (startRealServer) and as `redsim serve` driven by
// redis-cli and redis-benchmark when they are installed. Loopback only; every server is stopped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.ts';
import { playClients } from '../../src/real/player.ts';
import { startRealServer, type RealServer } from '../../src/real/real-server.ts';
import { freePort } from '../../src/real/redis-process.ts';
import { parseRedisConf, splitArgs } from '../../src/real/redis-conf.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const servers: RealServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(directives: Record<string, string> = {}): Promise<RealServer> {
  const s = await startRealServer({ directives, host: '127.0.0.1', port: 0 });
  servers.push(s);
  expect(s.exitCode).toBeNull();
  return s;
}

/** Sends `bytes`, collects everything until the server closes, `enough` says so, or `ms` passes. */
function exchange(port: number, bytes: string, ms = 1000, enough: (text: string) => boolean = () => false): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let closed = false;
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve({ text, closed });
    };
    const t = setTimeout(done, ms);
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (enough(text)) done();
    });
    s.on('end', () => {
      closed = true;
      done();
    });
    s.on('error', () => {
      closed = true;
      done();
    });
    s.write(bytes);
  });
}

function onPath(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}

describe('the core on real sockets (in-process)', () => {
  it('answers a pipeline in order and closes after QUIT, skipping what follows it', async () => {
    const s = await serve();
    const r = await exchange(s.port, 'PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\nQUIT\r\nPING\r\n');
    expect(r.text).toBe('+PONG\r\n+OK\r\n$1\r\nv\r\n+OK\r\n');
    expect(r.closed).toBe(true);
  });

  it('CONFIG SET bind answers not-modelled (Node cannot re-bind synchronously) and the listener stays', async () => {
    const s = await serve();
    const r = await exchange(s.port, 'CONFIG SET bind 127.0.0.1\r\nQUIT\r\n');
    expect(r.text).toBe('-ERR redsim does not model CONFIG SET bind\r\n+OK\r\n');
    expect((await exchange(s.port, 'PING\r\nQUIT\r\n')).text).toBe('+PONG\r\n+OK\r\n');
  });

  it('refuses the connection beyond maxclients with the exact error, then EOF', async () => {
    const s = await serve({ maxclients: '1' });
    const holder = net.connect({ host: '127.0.0.1', port: s.port });
    holder.on('error', () => undefined);
    try {
      await new Promise((r) => holder.once('connect', r));
      const r = await exchange(s.port, '', 1000);
      expect(r.text).toBe('-ERR max number of clients reached\r\n');
      expect(r.closed).toBe(true);
    } finally {
      holder.destroy();
    }
  });

  it('closes an idle client after `timeout` on real timers (clientsCron in whole seconds)', async () => {
    const s = await serve({ timeout: '1' });
    const t0 = Date.now();
    const r = await exchange(s.port, 'PING\r\n', 4000);
    expect(r.text).toBe('+PONG\r\n');
    expect(r.closed).toBe(true);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThan(900);
    expect(waited).toBeLessThan(3200);
    expect(s.recorder.events.some((e) => e.kind === 'close' && e.reason === 'idle-timeout')).toBe(true);
  });

  it('records a timeline in wall-clock microseconds, naming clients the harness tells it about', async () => {
    const names = new Map<string, string>();
    const s = await startRealServer({ directives: {}, host: '127.0.0.1', port: 0, resolve: (a) => names.get(a) });
    servers.push(s);
    const parsed = parseScenario('horizon: 2s\nclients:\n  - name: c1\n    script:\n      - call: PING\n      - call: QUIT\n      - wait-closed: true\n', 'inline.yaml');
    if (!parsed.ok) throw new Error('bad scenario');
    const p = await playClients(parsed.scenario, { host: '127.0.0.1', port: s.port, horizonMs: 2000, settleMs: 50, onConnected: (n, a) => names.set(a, n) });
    expect(p.clients[0]!.replies).toEqual(['+PONG', '+OK']);
    expect(p.clients[0]!.ended).toBe('eof');
    const close = s.recorder.events.find((e) => e.kind === 'close');
    expect(close).toMatchObject({ client: 'c1', reason: 'quit' });
    expect(close!.t).toBeGreaterThan(0);
    expect(close!.t).toBeLessThan(2_000_000);
  });

  it('a port already in use makes the core log and exit 1, as Redis does', async () => {
    const s = await serve();
    const again = await startRealServer({ directives: {}, host: '127.0.0.1', port: s.port });
    expect(again.exitCode).toBe(1);
    expect(again.recorder.events.some((e) => e.kind === 'log' && /Could not create server TCP listening socket/.test(e.line))).toBe(true);
  });

  it('drops a subscriber over the pubsub hard limit while the publisher keeps going', async () => {
    const s = await serve({ 'client-output-buffer-limit': 'pubsub 256kb 0 0' });
    const sub = net.connect({ host: '127.0.0.1', port: s.port });
    let subClosed = false;
    sub.on('error', () => (subClosed = true));
    sub.on('close', () => (subClosed = true));
    sub.write('SUBSCRIBE ch\r\n');
    await new Promise((r) => sub.once('data', r));
    sub.pause();
    const body = 'x'.repeat(65536);
    const cmd = `*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$65536\r\n${body}\r\n`;
    const r = await exchange(s.port, cmd.repeat(200) + 'PUBLISH ch last\r\n', 8000, (t) => t.length >= 4 * 201);
    expect(r.text.endsWith(':0\r\n')).toBe(true);
    sub.resume();
    const end = Date.now() + 3000;
    while (!subClosed && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
    expect(subClosed).toBe(true);
    sub.destroy();
    expect(s.recorder.events.some((e) => e.kind === 'close' && e.reason === 'obuf-hard-limit')).toBe(true);
  });
});

describe('redis.conf parsing for `redsim serve --config`', () => {
  it('splits arguments as sdssplitargs does', () => {
    expect(splitArgs('requirepass "a b\\x41"')).toEqual(['requirepass', 'a bA']);
    expect(splitArgs("save ''")).toEqual(['save', '']);
    expect(splitArgs('x "unbalanced')).toBeNull();
  });

  it('keeps the directives the core knows, joins multi-argument ones and lists the rest', () => {
    const c = parseRedisConf('# comment\nport 7000\nmaxclients 10\nclient-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit pubsub 1mb 0 0\nsave 900 1\nappendonly no\ndir /var/lib/redis\n');
    // save and appendonly are known (reported by CONFIG GET, no effect); dir is not.
    expect(c.directives).toEqual({ port: '7000', maxclients: '10', 'client-output-buffer-limit': 'normal 0 0 0 pubsub 1mb 0 0', save: '900 1', appendonly: 'no' });
    expect(c.ignored.map((i) => i.name)).toEqual(['dir']);
  });
});

const redisCli = onPath('redis-cli');
const redisBenchmark = onPath('redis-benchmark');

describe.skipIf(!redisCli)('`redsim serve` with redis-cli and redis-benchmark', () => {
  it('serves redis-cli and redis-benchmark, then stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin/redsim.js'), 'serve', '--port', String(port), '--maxclients', '50', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    try {
      const cli = (...args: string[]) => spawnSync(redisCli!, ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = cli('PING').stdout.trim() === 'PONG';
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, out).toBe(true);
      expect(cli('SET', 'k', 'v').stdout.trim()).toBe('OK');
      expect(cli('GET', 'k').stdout.trim()).toBe('v');
      expect(cli('CONFIG', 'GET', 'maxclients').stdout.trim().split('\n')).toEqual(['maxclients', '50']);
      expect(cli('CLIENT', 'LIST').stdout).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=7 name= .*cmd=client\|list user=default redir=-1 resp=2$/m);
      if (redisBenchmark) {
        const b = spawnSync(redisBenchmark, ['-p', String(port), '-t', 'ping,set,get', '-n', '2000', '-c', '5', '-P', '4', '-q'], { encoding: 'utf8', timeout: 60_000 });
        expect(b.status).toBe(0);
        expect(b.stdout).toMatch(/SET: [\d.]+ requests per second/);
        expect(b.stdout).toMatch(/GET: [\d.]+ requests per second/);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(child.exitCode).toBe(0);
  }, 90_000);
});
