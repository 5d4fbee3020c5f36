// The conformance harness: one scenario on three arms — (1) the simulator, (2) the same core on
// real sockets (in-process, on a free 127.0.0.1 port), (3) a real redis-server started for the
// occasion with the scenario's server.config — each client played with the scenario's timing, and
// what the clients observed compared against the real server. Every server started is stopped,
// also on failure. Rendering of the comparison lives in compare.ts; printing in cli/conform.ts.
import { ScenarioError } from '../scenario/load.ts';
import { runScenario } from '../scenario/run.ts';
import { DEFAULT_NOFILE } from '../scenario/schema.ts';
import type { Scenario } from '../scenario/types.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import { compareRuns, staleKnown, type ArmRun, type Mismatch } from './compare.ts';
import { MAX_REAL_DURATION_US, type Arm, type ConformanceConfig, type KnownMismatch } from './conformance-config.ts';
import { sharedThrowawayCerts, type ThrowawayCerts } from './certs.ts';
import { readNofileLimit } from './net-backend.ts';
import { playClients, type PlayResult } from './player.ts';
import { startRealServer, type RealServer } from './real-server.ts';
import { startRedisServer, type RedisProcess } from './redis-process.ts';

/** redsim's policy switches and the value that is Redis 7.0.15's own behaviour (docs/switches.md). */
export const REDSIM_SWITCHES: Record<string, string> = {
  'read-policy': 'single',
  'client-limit-policy': '2.6',
  'timeout-policy': 'lazy',
  profile: 'debian',
  'obuf-soft-timer': '7.0.15',
};

export interface ArmOutcome {
  arm: Arm;
  status: 'ran' | 'skipped' | 'error';
  /** Why it was skipped, or what went wrong. */
  why?: string;
  run?: ArmRun;
  wallMs: number;
  /** The core's timeline on real sockets (serve arm), or the server's log (redis arm). */
  timeline?: TimelineEvent[];
  log?: string;
}

export interface Comparison {
  arm: Arm;
  against: Arm;
  mismatches: Mismatch[];
  /** Mismatches no known entry explains. */
  unexpected: Mismatch[];
  /** Known entries that matched nothing (the difference is gone: remove the entry). */
  stale: KnownMismatch[];
}

export interface ConformResult {
  scenario: string;
  file: string;
  arms: ArmOutcome[];
  comparisons: Comparison[];
  notes: string[];
  passed: boolean;
  wallMs: number;
}

export interface ConformOptions {
  /** redis-server binary; null or undefined: no real-server arm. */
  redisBin?: string | null;
  /** Why there is no redis-server (shown as the arm's skip reason). */
  noRedisWhy?: string;
  /** Arms to run (default all). */
  arms?: readonly Arm[];
  /** Run the two real arms at the same time (faster, slightly noisier timing). Default false. */
  parallel?: boolean;
}

/** Why the scenario cannot be played on real sockets, or null. */
export function simulatorOnlyReason(sc: Scenario, cfg: ConformanceConfig): string | null {
  if (cfg.simulatorOnly) return cfg.simulatorOnly;
  if (sc.faults.length) return `faults (${[...new Set(sc.faults.map((f) => f.kind))].join(', ')}) cannot be injected on real sockets`;
  if (sc.firewall?.length) return 'firewall rules are applied by the simulated network only';
  const vanish = sc.clients.find((c) => c.script.some((s) => s.op === 'vanish'));
  if (vanish) return `client ${vanish.name} vanishes, which cannot be staged with real sockets`;
  return null;
}

/** Directives for a real redis-server: redsim switches at their Redis value are dropped; others make the arm impossible. */
export function redisDirectives(config: Record<string, string>): { directives: Record<string, string>; why: string | null } {
  const directives: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    const key = k.toLowerCase();
    if (key in REDSIM_SWITCHES) {
      if (v !== REDSIM_SWITCHES[key]) return { directives, why: `redsim switch ${key} ${v} has no counterpart in redis-server` };
      continue;
    }
    directives[key] = v;
  }
  return { directives, why: null };
}

function isDefaultNofile(n: { soft: number; hard: number }): boolean {
  return n.soft === DEFAULT_NOFILE.soft && n.hard === DEFAULT_NOFILE.hard;
}

/**
 * Waits until 150 ms after a whole second of the wall clock (what `align-second` asks for). Not
 * right on it: a server caches the time in serverCron (every 100 ms at hz 10), and just after a
 * second boundary its cached second is still the previous one, so a client accepted then would
 * start with an idle time one second older than in the simulator, whose clock starts on a boundary.
 */
async function alignToSecond(): Promise<void> {
  const ms = (1150 - (Date.now() % 1000)) % 1000;
  await new Promise((r) => setTimeout(r, ms));
}

function observations(arm: Arm, p: PlayResult): ArmRun {
  return { arm, clients: p.clients, ended: p.ended, endUs: p.endUs };
}

/** Runs one scenario on its arms and compares them. Never leaves a server running. */
export async function conformScenario(sc: Scenario, cfg: ConformanceConfig, opts: ConformOptions = {}): Promise<ConformResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const wanted = new Set(opts.arms ?? cfg.arms ?? ['sim', 'serve', 'redis']);
  const outcomes: ArmOutcome[] = [];

  // (1) The simulator.
  if (wanted.has('sim')) {
    const t = performance.now();
    try {
      const r = runScenario(sc);
      outcomes.push({ arm: 'sim', status: 'ran', run: { arm: 'sim', clients: r.clients, ended: r.ended, endUs: r.endUs }, wallMs: performance.now() - t });
      if (r.serverExit !== null) notes.push(`the simulated server refused to start (exit ${r.serverExit})`);
    } catch (e) {
      const why = e instanceof ScenarioError ? e.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : (e as Error).message;
      outcomes.push({ arm: 'sim', status: 'error', why, wallMs: performance.now() - t });
    }
  }

  const simOnly = simulatorOnlyReason(sc, cfg);
  const horizonMs = Math.min(sc.horizonUs, cfg.maxDurationUs ?? MAX_REAL_DURATION_US) / 1000;
  const play = { horizonMs, settleMs: cfg.settleUs / 1000 };
  const net = sc.network;
  if (!simOnly && (net.latencyUs !== 50 || net.jitterUs || net.bandwidth || net.sndbuf !== 16384 || net.rcvbuf !== 131072 || sc.clients.some((c) => JSON.stringify(c.network) !== JSON.stringify(net)))) {
    notes.push('network settings (latency, bandwidth, buffer sizes) shape only the simulator; the real arms use loopback with the kernel\'s own buffers');
  }
  let nofile: { soft: number; hard: number } | undefined;
  if (!isDefaultNofile(sc.server.nofile)) {
    if (sc.server.nofile.hard <= readNofileLimit().hard) nofile = sc.server.nofile;
    else notes.push(`server.nofile hard ${sc.server.nofile.hard} is above this machine's limit: the real arms run with their own limits`);
  }
  const config = { ...sc.server.config };
  delete config.port;
  delete config.bind;
  // A tls-port: both real arms serve throwaway certificates in place of the scenario's file names.
  let certs: ThrowawayCerts | null = null;
  if (!simOnly && Number(config['tls-port'] ?? 0) > 0) {
    certs = sharedThrowawayCerts();
    config['tls-cert-file'] = certs.server.cert;
    config['tls-key-file'] = certs.server.key;
    config['tls-ca-cert-file'] = certs.ca.cert;
  }

  // (2) The core on real sockets, in this process.
  const serveArm = async (): Promise<ArmOutcome> => {
    const t = performance.now();
    if (simOnly) return { arm: 'serve', status: 'skipped', why: `simulator-only: ${simOnly}`, wallMs: 0 };
    const names = new Map<string, string>();
    let srv: RealServer | null = null;
    try {
      srv = await startRealServer({ directives: config, host: '127.0.0.1', port: 0, ...(certs ? { tlsPort: 0 } : {}), resolve: (a) => names.get(a), ...(nofile ? { nofile } : {}) });
      if (srv.exitCode !== null) return { arm: 'serve', status: 'error', why: `the core refused to start (exit ${srv.exitCode})`, timeline: srv.recorder.events, wallMs: performance.now() - t };
      if (cfg.alignSecond) await alignToSecond();
      const p = await playClients(sc, { host: '127.0.0.1', port: srv.port, ...play, ...(certs ? { tls: { port: srv.tlsPort, certs } } : {}), onConnected: (n, a) => names.set(a, n) });
      const crash = srv.crash;
      await srv.stop();
      if (crash) return { arm: 'serve', status: 'error', why: `the core threw: ${(crash as Error).stack ?? crash}`, timeline: srv.recorder.events, wallMs: performance.now() - t };
      return { arm: 'serve', status: 'ran', run: observations('serve', p), timeline: srv.recorder.events, wallMs: performance.now() - t };
    } catch (e) {
      return { arm: 'serve', status: 'error', why: (e as Error).message, ...(srv ? { timeline: srv.recorder.events } : {}), wallMs: performance.now() - t };
    } finally {
      await srv?.stop();
    }
  };

  // (3) A real redis-server.
  const redisArm = async (): Promise<ArmOutcome> => {
    const t = performance.now();
    if (simOnly) return { arm: 'redis', status: 'skipped', why: `simulator-only: ${simOnly}`, wallMs: 0 };
    if (!opts.redisBin) return { arm: 'redis', status: 'skipped', why: opts.noRedisWhy ?? 'no redis-server (install it, or name it with REDIS_SERVER)', wallMs: 0 };
    const { directives, why } = redisDirectives(config);
    if (why) return { arm: 'redis', status: 'skipped', why, wallMs: 0 };
    let proc: RedisProcess | null = null;
    try {
      proc = await startRedisServer({ bin: opts.redisBin, directives, ...(nofile ? { nofile } : {}) });
      if (cfg.alignSecond) await alignToSecond();
      const p = await playClients(sc, { host: '127.0.0.1', port: proc.port, ...play, ...(certs ? { tls: { port: proc.tlsPort, certs } } : {}) });
      return { arm: 'redis', status: 'ran', run: observations('redis', p), log: proc.log(), wallMs: performance.now() - t };
    } catch (e) {
      return { arm: 'redis', status: 'error', why: (e as Error).message, ...(proc ? { log: proc.log() } : {}), wallMs: performance.now() - t };
    } finally {
      await proc?.stop();
    }
  };

  const skipped = (arm: Arm): ArmOutcome => ({ arm, status: 'skipped', why: 'not selected', wallMs: 0 });
  if (opts.parallel) {
    const [s, r] = await Promise.all([wanted.has('serve') ? serveArm() : skipped('serve'), wanted.has('redis') ? redisArm() : skipped('redis')]);
    outcomes.push(s, r);
  } else {
    outcomes.push(wanted.has('serve') ? await serveArm() : skipped('serve'));
    outcomes.push(wanted.has('redis') ? await redisArm() : skipped('redis'));
  }

  // Compare with the real server when it ran; otherwise the simulator with the core on sockets.
  const ran = (a: Arm) => outcomes.find((o) => o.arm === a && o.status === 'ran')?.run;
  const comparisons: Comparison[] = [];
  const ref = ran('redis');
  const pairs: Array<[ArmRun, ArmRun]> = [];
  if (ref) {
    for (const a of ['sim', 'serve'] as const) {
      const r = ran(a);
      if (r) pairs.push([r, ref]);
    }
  } else if (ran('sim') && ran('serve')) {
    pairs.push([ran('serve')!, ran('sim')!]);
    if (!simOnly) notes.push('no real redis-server ran: the core on real sockets is compared with the simulator only');
  }
  for (const [run, against] of pairs) {
    const mismatches = compareRuns(sc, cfg, against, run);
    const unexpected = mismatches.filter((m) => !m.known);
    const stale = against.arm === 'redis' ? staleKnown(cfg, run.arm, mismatches) : [];
    comparisons.push({ arm: run.arm, against: against.arm, mismatches, unexpected, stale });
  }
  for (const o of outcomes) if (o.status === 'ran' && o.run!.ended === 'horizon' && o.arm !== 'sim') notes.push(`${o.arm}: stopped at the horizon (${horizonMs} ms) with unfinished clients`);
  const passed = outcomes.every((o) => o.status !== 'error') && comparisons.every((c) => c.unexpected.length === 0 && c.stale.length === 0);
  return { scenario: sc.name, file: sc.file, arms: outcomes, comparisons, notes, passed, wallMs: performance.now() - t0 };
}
