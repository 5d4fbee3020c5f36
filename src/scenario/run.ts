// Builds a run from a scenario (kernel, server host, core, client programs, faults), drives it to
// its end, and checks the expectations. The result is plain data; rendering is elsewhere.
import { RandomStreams } from '../base/rng.ts';
import { Kernel } from '../kernel/kernel.ts';
import { SimBackend } from '../kernel/sim-backend.ts';
import { configFromDirectives } from '../server/config.ts';
import { Server } from '../server/server.ts';
import type { EventKind, TimelineEvent } from '../timeline/events.ts';
import { Recorder, timelineHash } from '../timeline/recorder.ts';
import { ClientActor, type ClientObservation } from './actor.ts';
import { clientTarget, defaultClientIp } from './addresses.ts';
import { checkExpectations, type ExpectationResult } from './expectations.ts';
import { ScenarioError, type ScenarioIssue } from './load.ts';
import type { ClientSpec, Scenario } from './types.ts';
import type { Host } from '../kernel/host.ts';

/**
 * Instruments for a run (property checks use them: src/scenario/observe.ts). They observe; they
 * must not change what happens, so the timeline and hash stay those of a plain run.
 */
export interface RunHooks {
  /** Builds the recorder (e.g. one that calls a probe after each event). */
  recorder?: (now: () => number, resolve: (addr: string) => string | undefined) => Recorder;
  /** The world is built and the server not yet started. */
  onServer?: (w: { kernel: Kernel; server: Server; serverHost: Host; recorder: Recorder }) => void;
  /** A client machine is built; its program has not started. */
  onClientHost?: (host: Host, spec: ClientSpec) => void;
  /** After each event-loop iteration of the server. */
  onIteration?: () => void;
}

export interface RunOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Event kinds to record; all when omitted. */
  record?: ReadonlySet<EventKind>;
  /**
   * Called once the run has ended, while the simulated world (kernel, server, clients) is still
   * alive, before the result is assembled. The benchmark measures the heap there.
   */
  atEnd?: () => void;
}

export interface RunResult {
  scenario: string;
  file: string;
  seed: number;
  passed: boolean;
  /** sha256 of the canonical timeline. */
  hash: string;
  /** `settled`: every client finished and the network went quiet; `horizon`: time ran out. */
  ended: 'settled' | 'horizon';
  /** Virtual time at the end, µs. */
  endUs: number;
  /** Clients whose scripts had not finished at the end. */
  unfinished: string[];
  expectations: ExpectationResult[];
  clients: ClientObservation[];
  events: TimelineEvent[];
  /** Non-null when the server refused to start (as Redis exits), with its exit code. */
  serverExit: number | null;
}

/** Server config from the scenario, with located errors for bad directives. */
export function buildConfig(sc: Scenario) {
  const { config, issues } = configFromDirectives(sc.server.config);
  if (issues.length) {
    const located: ScenarioIssue[] = issues.map((i) => {
      const loc = sc.locate(['server', 'config', i.name]);
      return { file: loc.file, line: loc.line, column: loc.column, path: `server.config.${i.name}`, message: i.message };
    });
    throw new ScenarioError(located);
  }
  config.port = sc.server.port;
  // Without a bind directive the server listens on its host address alone.
  if (!Object.keys(sc.server.config).some((k) => k.toLowerCase() === 'bind')) config.bind = [sc.server.host];
  return config;
}

/** Runs `sc` to its end. Throws ScenarioError for a config the server cannot accept. */
export function runScenario(sc: Scenario, opts: RunOptions = {}, hooks: RunHooks = {}): RunResult {
  const seed = opts.seed ?? sc.seed;
  const config = buildConfig(sc);
  const streams = new RandomStreams(seed);
  let kernel!: Kernel;
  const now = () => kernel.now;
  const resolve = (addr: string) => kernel.clientNameOf(addr);
  const recorder = hooks.recorder ? hooks.recorder(now, resolve) : new Recorder(now, resolve, opts.record);
  kernel = new Kernel({ streams, tracer: recorder, pollOrder: sc.server.pollOrder, horizonUs: sc.horizonUs });
  kernel.serverLink = sc.network;
  const serverHost = kernel.createServerHost('server', sc.server.host, sc.server.nofile, sc.server.interfaces);
  const { tlsHandshakeUs, tlsRecordNs, tlsByteNs } = sc.server.cost;
  const backend = new SimBackend(kernel, serverHost, recorder, { handshakeUs: tlsHandshakeUs, recordNs: tlsRecordNs, byteNs: tlsByteNs });
  const server = new Server(backend, config, sc.server.cost);
  hooks.onServer?.({ kernel, server, serverHost, recorder });
  const started = server.start();

  const actors = sc.clients.map((spec, i) => {
    // 127.0.0.1 for the first 28,232 clients, then further loopback addresses (see clientIpFor).
    const target = clientTarget(spec, sc.server);
    const host = kernel.createClientHost(spec.name, spec.addr ?? defaultClientIp(i, target.ip), spec.network);
    hooks.onClientHost?.(host, spec);
    const a = new ClientActor(kernel, host, spec, target);
    a.start();
    return { a, host };
  });
  // Whether every program has finished. Performance: the kernel asks this whenever only
  // background timers remain, which with thousands of idle clients is on every step of the
  // scheduler, so the scan resumes where it stopped: a finished program (or a vanished machine)
  // never becomes unfinished again (done only ever becomes true; see ClientActor.done).
  let firstPending = 0;
  kernel.programsDone = () => {
    while (firstPending < actors.length) {
      const { a, host } = actors[firstPending]!;
      if (!(a.done || host.route?.vanished === true)) return false;
      firstPending++;
    }
    return true;
  };
  for (const f of sc.faults) kernel.scheduleFault(f);
  kernel.setFirewall(sc.firewall ?? []);

  if (started) {
    const onIteration = hooks.onIteration;
    if (onIteration) {
      while (!kernel.stopped) {
        server.loop.processEvents();
        onIteration();
      }
    } else {
      while (!kernel.stopped) server.loop.processEvents();
    }
  } else {
    // Redis exited at start-up: the clients still run against a machine with no listener.
    while (!kernel.stopped) kernel.pollBlocking(serverHost, null);
  }
  opts.atEnd?.();
  const ended = kernel.stopped === 'horizon' ? 'horizon' : 'settled';
  const unfinished = actors.filter(({ a, host }) => !a.done && !host.route?.vanished).map(({ a }) => a.spec.name);
  if (ended === 'horizon') recorder.emitFor({ kind: 'horizon' });

  const observations = actors.map(({ a }) => a.observation());
  const byName = new Map(observations.map((o) => [o.name, o]));
  const expectations = checkExpectations(sc.expect, recorder.events, byName);
  return {
    scenario: sc.name,
    file: sc.file,
    seed,
    passed: expectations.every((e) => e.passed),
    hash: timelineHash(recorder.events),
    ended,
    endUs: kernel.now,
    unfinished,
    expectations,
    clients: observations,
    events: recorder.events,
    serverExit: server.exitCode,
  };
}
