// The client-handling core on real sockets: config from directives, a Recorder on wall-clock
// microseconds, the node:net backend, the core's Server and the driver, started and stopped as one.
// Used by `redsim serve` and by the conformance harness. Not here: argument parsing, printing.
import { configFromDirectives, type ConfigIssue, type ServerConfig } from '../server/config.ts';
import { Server } from '../server/server.ts';
import type { ConnRef, EventBody, EventKind, TimelineEvent } from '../timeline/events.ts';
import { Recorder } from '../timeline/recorder.ts';
import { LoopDriver } from './driver.ts';
import { NetBackend } from './net-backend.ts';

/** A Recorder that also hands each event to a listener, and can forget events once handed on. */
export class LiveRecorder extends Recorder {
  constructor(
    now: () => number,
    resolve: (conn: ConnRef) => string | undefined,
    kinds: ReadonlySet<EventKind> | undefined,
    private readonly listener: ((e: TimelineEvent) => void) | null,
    /** Keep events in `events` (a bounded run) or drop them once handed on (a long-lived server). */
    private readonly retain: boolean,
  ) {
    super(now, resolve, kinds);
  }

  override emitFor(body: EventBody, client?: string): void {
    const before = this.events.length;
    super.emitFor(body, client);
    if (this.events.length === before) return;
    this.listener?.(this.events[this.events.length - 1]!);
    if (!this.retain) this.events.length = 0;
  }
}

export interface RealServerOptions {
  /** redis.conf directives, as a scenario's server.config holds them. port and bind are set below. */
  directives: Record<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The tls-port to listen on instead of the directive's (0 picks a free port); omitted: the
   * tls-port directive, if any.
   */
  tlsPort?: number;
  /** Names a connection by its peer address (the conformance harness knows its clients' ports). */
  resolve?: (conn: ConnRef) => string | undefined;
  /** Event kinds to record (all when omitted). */
  record?: ReadonlySet<EventKind>;
  onEvent?: (e: TimelineEvent) => void;
  /** Keep the timeline in memory (default true); a long-lived server passes false. */
  retain?: boolean;
  /** RLIMIT_NOFILE to report to the core instead of the process's own. */
  nofile?: { soft: number; hard: number };
  /** Called if the core throws (a bug): the server is stopped. */
  onCrash?: (e: unknown) => void;
}

export interface RealServer {
  /** The port actually listened on. */
  readonly port: number;
  /** The tls-port actually listened on; 0 when there is none. */
  readonly tlsPort: number;
  readonly server: Server;
  readonly backend: NetBackend;
  readonly recorder: LiveRecorder;
  readonly config: ServerConfig;
  /** Non-null when the core refused to start (as Redis exits), with its exit code. */
  readonly exitCode: number | null;
  /** The error that stopped the core, if it crashed. */
  crash: unknown;
  /** Stops the loop, closes every socket and the listener. Idempotent. */
  stop(): Promise<void>;
}

export class RealServerConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.name}: ${i.message}`).join('\n'));
    this.name = 'RealServerConfigError';
  }
}

/** Starts the core on `host:port`. Throws RealServerConfigError for directives the core rejects. */
export async function startRealServer(opts: RealServerOptions): Promise<RealServer> {
  const { config, issues } = configFromDirectives(opts.directives);
  if (issues.length) throw new RealServerConfigError(issues);
  const t0 = performance.now();
  const recorder = new LiveRecorder(
    () => Math.floor((performance.now() - t0) * 1000),
    opts.resolve ?? (() => undefined),
    opts.record,
    opts.onEvent ?? null,
    opts.retain ?? true,
  );
  const backend = new NetBackend({ tracer: recorder, ...(opts.nofile ? { nofile: opts.nofile } : {}) });
  const bound = await backend.bindListener(opts.host, opts.port, config['tcp-backlog']);
  config.bind = [opts.host];
  config.port = bound > 0 ? bound : opts.port;
  const wantTls = opts.tlsPort ?? (config['tls-port'] || null);
  if (wantTls !== null) {
    const tlsBound = await backend.bindListener(opts.host, wantTls, config['tcp-backlog']);
    config['tls-port'] = tlsBound > 0 ? tlsBound : wantTls;
  }
  const server = new Server(backend, config, { commandUs: 0, byteNs: 0 });
  server.listenersAfterStart = false;
  let stopped = false;
  let driver: LoopDriver | null = null;
  const handle: RealServer = {
    port: config.port,
    tlsPort: config['tls-port'],
    server,
    backend,
    recorder,
    config,
    exitCode: null,
    crash: null,
    async stop() {
      if (stopped) return;
      stopped = true;
      driver?.stop();
      await backend.shutdown();
    },
  };
  const started = server.start();
  if (!started) {
    (handle as { exitCode: number | null }).exitCode = server.exitCode ?? 1;
    await handle.stop();
    return handle;
  }
  driver = new LoopDriver(server.loop, backend, (e) => {
    handle.crash = e;
    opts.onCrash?.(e);
    void handle.stop();
  });
  driver.start();
  return handle;
}
