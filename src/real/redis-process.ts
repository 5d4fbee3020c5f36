// Real redis-server instances for the conformance harness: find the binary, start one on
// 127.0.0.1 and a free port with a scenario's directives (never the system service), wait until it
// accepts connections, and stop it — also when the harness fails or the process exits.
// Not here: talking to it (player.ts) or comparing (compare.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';

/** The redis-server to use: $REDIS_SERVER, else `redis-server` on PATH; null when there is none. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | null {
  const named = env.REDIS_SERVER;
  if (named) return existsSync(named) ? named : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'redis-server');
    if (existsSync(p)) return p;
  }
  return null;
}

/** `redis-server --version`'s first line, or null if it does not run. */
export function redisServerVersion(bin: string): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** A free TCP port on 127.0.0.1 (bound and released; a small race remains, hence the retries below). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Quotes a config value for redis.conf when sdssplitargs would otherwise split or drop it. */
function confValue(v: string): string {
  return v === '' ? '""' : v;
}

export interface RedisProcess {
  readonly port: number;
  /** The tls-port it listens on; 0 when the directives have none. */
  readonly tlsPort: number;
  readonly pid: number;
  /** The server's output so far (its log; last 256 KiB). */
  log(): string;
  /** Non-null once it has exited. */
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/** SIGKILLs every redis-server this process started that is still running (for signal handlers). */
export function killAllRedis(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills every instance still running when this process exits (a crash, an uncaught error). */
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', killAllRedis);
}

export interface StartRedisOptions {
  bin: string;
  /** Scenario directives (port, bind, daemonize, save, appendonly and dir are set by the harness). */
  directives: Record<string, string>;
  /** RLIMIT_NOFILE to start it under (soft, hard), via the shell's ulimit; omitted: inherited. */
  nofile?: { soft: number; hard: number };
  /** Give up waiting for it to accept connections after this long (ms). */
  readyTimeoutMs?: number;
}

/**
 * Starts redis-server on 127.0.0.1 and a free port, with the directives in a temporary config file
 * plus `--port P --bind 127.0.0.1 --daemonize no --save '' --appendonly no --dir TMP` (and
 * `--tls-port` on another free port when the directives have a tls-port). Retries
 * with another port if the chosen one was taken meanwhile. Throws with the server's log if it
 * does not come up.
 */
export async function startRedisServer(opts: StartRedisOptions): Promise<RedisProcess> {
  let lastErr: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const wantsTls = Number(opts.directives['tls-port'] ?? 0) > 0;
      return await startOnce(opts, await freePort(), wantsTls ? await freePort() : 0);
    } catch (e) {
      lastErr = e as Error;
      if (!/Address already in use/.test(lastErr.message)) break;
    }
  }
  throw lastErr!;
}

async function startOnce(opts: StartRedisOptions, port: number, tlsPort: number): Promise<RedisProcess> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'redsim-redis-'));
  const conf = join(dir, 'redis.conf');
  const lines = Object.entries(opts.directives)
    .filter(([k]) => !['port', 'bind', 'tls-port'].includes(k))
    .map(([k, v]) => `${k} ${confValue(v)}`);
  writeFileSync(conf, lines.join('\n') + '\n');
  const args = [conf, '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', ''];
  if (tlsPort) args.push('--tls-port', String(tlsPort));
  let child: ChildProcess;
  if (opts.nofile) {
    // The shell lowers the limits (soft first: the hard limit may not go below it), then becomes redis-server.
    const script = `ulimit -Sn ${opts.nofile.soft} && ulimit -Hn ${opts.nofile.hard} && exec "$0" "$@"`;
    child = spawn('/bin/sh', ['-c', script, opts.bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn(opts.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  live.add(child);
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 262144) out = out.slice(-262144);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let code: number | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (c, sig) => {
      code = c ?? (sig ? 128 : 1);
      live.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      out += `\nspawn error: ${e.message}`;
      code = 127;
      live.delete(child);
      resolve();
    });
  });
  let stopping: Promise<void> | null = null;
  const proc: RedisProcess = {
    port,
    tlsPort,
    pid: child.pid ?? -1,
    log: () => out,
    exitCode: () => code,
    stop() {
      stopping ??= (async () => {
        if (code === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  // Ready once it logs so (a probe connection would use up a client id and count in INFO stats).
  const deadline = performance.now() + (opts.readyTimeoutMs ?? 5000);
  const quiet = (opts.directives.loglevel ?? '').toLowerCase() === 'warning';
  while (code === null && performance.now() < deadline) {
    if (/Ready to accept connections/.test(out)) return proc;
    // At loglevel warning it says nothing: give it a moment instead.
    if (quiet && performance.now() > deadline - (opts.readyTimeoutMs ?? 5000) + 300) return proc;
    await new Promise((r) => setTimeout(r, 5));
  }
  await proc.stop();
  throw new Error(`redis-server did not start on 127.0.0.1:${port} (exit ${code ?? 'none'}):\n${out.trim()}`);
}
