// The server's global state (Redis's `struct redisServer`) and its start-up and loop hooks
// (initServer, beforeSleep). The accept path, read path, reply path, limits and cron each live in
// their own file and receive this object.
import { List } from '../base/list.ts';
import type { Backend } from '../loop/backend.ts';
import { EventLoop } from '../loop/event-loop.ts';
import type { ConnRef } from '../timeline/events.ts';
import './commands/index.ts';
import { acceptTcpHandler } from './accept.ts';
import { createSocketAcceptHandler, listenToPort } from './listen.ts';
import type { Client } from './client.ts';
import type { ServerConfig } from './config.ts';
import { serverCron } from './cron.ts';
import { adjustOpenFilesLimit } from './fd-limits.ts';
import { freeClientsInAsyncFreeQueue } from './lifecycle.ts';
import { handleClientsWithPendingWrites } from './reply.ts';
import { tlsAcceptHandler, tlsConfigError, tlsProcessPendingData } from './tls.ts';

/** CONFIG_MIN_RESERVED_FDS: fds kept for listeners, logs, persistence. */
export const CONFIG_MIN_RESERVED_FDS = 32;
/** CONFIG_FDSET_INCR: the event loop is sized maxclients + this. */
export const CONFIG_FDSET_INCR = CONFIG_MIN_RESERVED_FDS + 96;

/** Virtual CPU of one event-loop iteration. */
export const LOOP_ITERATION_NS = 1000;

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** Counters reported by INFO stats. */
export interface Stats {
  numconnections: number;
  rejectedConn: number;
  numcommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  totalReadsProcessed: number;
  totalWritesProcessed: number;
  totalErrorReplies: number;
  unexpectedErrorReplies: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  replyBufferShrinks: number;
  replyBufferExpands: number;
}

/** Virtual CPU cost of the core's work (the cost model). */
export interface CostModel {
  commandUs: number;
  byteNs: number;
}

export class Server {
  readonly loop: EventLoop;
  /** server.clients: every connected client, in the order clientsCron rotates. */
  readonly clients = new List<Client>();
  readonly clientsById = new Map<number, Client>();
  /** server.clients_pending_write: new entries go to the head (LIFO), as in Redis. */
  readonly clientsPendingWrite = new List<Client>();
  readonly clientsToClose: Client[] = [];
  /** Clients that executed a command since the last cron, for MONITOR feed and unblocking. */
  readonly monitors = new List<Client>();
  /** Fake clients (Lua, …) consume ids 1 and 2 at start, so the first connection gets id 3. */
  nextClientId = 3;
  /** server.ipfd: the plain TCP listeners, one per bound address, in `bind` order. */
  ipfd: number[] = [];
  /**
   * Whether the backend can make listeners after start-up. Node binds asynchronously, so on real
   * sockets (src/real) the listener is made before the core starts and CONFIG SET bind answers
   * not-modelled instead of closing it.
   */
  listenersAfterStart = true;
  /** server.tlsfd: the TLS listeners (tls-port), one per bound address. */
  tlsfd: number[] = [];
  /** TLS clients whose TLS layer holds decrypted bytes (tls.c's pending_list), in listing order. */
  readonly tlsPending = new Set<Client>();
  stats: Stats = {
    numconnections: 0, rejectedConn: 0, numcommands: 0, netInputBytes: 0, netOutputBytes: 0,
    totalReadsProcessed: 0, totalWritesProcessed: 0, totalErrorReplies: 0, unexpectedErrorReplies: 0,
    keyspaceHits: 0, keyspaceMisses: 0, replyBufferShrinks: 0, replyBufferExpands: 0,
  };
  /** Cached time (server.unixtime seconds, server.mstime ms), refreshed by cron and command calls. */
  unixtime = 0;
  mstime = 0;
  /** server.stat_starttime: unixtime at start-up (INFO uptime_in_seconds). */
  statStarttime = 0;
  /** Current hz (dynamic-hz may raise it above the configured one). */
  hz: number;
  cronloops = 0;
  /** The client whose command is executing (server.current_client). */
  currentClient: Client | null = null;
  /** CLIENT PAUSE state: end time (ms) and whether it pauses ALL or only WRITE commands. */
  pause: { endMs: number; type: 'all' | 'write' } | null = null;
  lastSecurityWarningMs = -Infinity;
  /** True while EXEC runs its queued commands (blocking commands must not block then). */
  inExec = false;
  /** Subsystems holding per-client state (pub/sub, blocking, WATCH) forget a freed client here. */
  readonly freeClientHooks: Array<(c: Client) => void> = [];
  /**
   * Work beforeSleep does before writing replies, in registration order (blocked-client timeouts,
   * clients unblocked by data). Registered by the subsystems that own it.
   */
  readonly beforeSleepHooks: Array<(server: Server) => void> = [];
  private cpuNsDebt = 0;
  /** Exit code when start-up failed (e.g. the fd limit is too low), else null. */
  exitCode: number | null = null;

  constructor(readonly backend: Backend, public config: ServerConfig, readonly cost: CostModel) {
    this.hz = config.hz;
    this.loop = new EventLoop(backend, config.maxclients + CONFIG_FDSET_INCR);
    this.updateCachedTime();
    this.statStarttime = this.unixtime;
  }

  /** updateCachedTime: server.unixtime and server.mstime from the backend's clock. */
  updateCachedTime(): void {
    const us = this.backend.unixTimeUs();
    this.unixtime = Math.floor(us / 1_000_000);
    this.mstime = Math.floor(us / 1000);
  }

  /** Charges virtual CPU for work done: per command and per byte. */
  charge(commands: number, bytes: number, extraNs = 0): void {
    this.cpuNsDebt += commands * this.cost.commandUs * 1000 + bytes * this.cost.byteNs + extraNs;
    if (this.cpuNsDebt >= 1000) {
      const us = Math.floor(this.cpuNsDebt / 1000);
      this.cpuNsDebt -= us * 1000;
      this.backend.spend(us);
    }
  }

  /** serverLog: records the message Redis would log, with its level and the client it concerns. */
  log(level: LogLevel, line: string, conn?: ConnRef): void {
    const t = this.backend.tracer;
    if (t.wants('log')) t.emit({ kind: 'log', level, line }, conn);
  }

  /**
   * initServer + the listening part of main(): fd limits, listener, accept handler, cron, hooks.
   * Returns false when Redis would exit (exitCode says how).
   */
  start(): boolean {
    if (!adjustOpenFilesLimit(this)) return false;
    this.loop.setsize = this.config.maxclients + CONFIG_FDSET_INCR;
    // initServer: tlsConfigure comes before any listener; Redis exits when it fails.
    const tlsPort = this.config['tls-port'];
    const badTls = tlsPort !== 0 ? tlsConfigError(this) : null;
    if (badTls) {
      this.log('warning', badTls);
      return this.abort('Failed to configure TLS. Check logs for more info.');
    }
    if (this.config.port !== 0) {
      const fds = listenToPort(this, this.config.port);
      if (!fds) return this.abort(`Failed listening on port ${this.config.port} (TCP), aborting.`);
      this.ipfd = fds;
    }
    if (tlsPort !== 0) {
      const fds = listenToPort(this, tlsPort);
      if (!fds) return this.abort(`Failed listening on port ${tlsPort} (TLS), aborting.`);
      this.tlsfd = fds;
      this.freeClientHooks.push((c) => this.tlsPending.delete(c));
    }
    if (this.ipfd.length === 0 && this.tlsfd.length === 0) return this.abort('Configured to not listen anywhere, exiting.');
    createSocketAcceptHandler(this, this.ipfd, (lfd) => acceptTcpHandler(this, lfd));
    createSocketAcceptHandler(this, this.tlsfd, (lfd) => tlsAcceptHandler(this, lfd));
    this.loop.createTimeEvent(1, () => serverCron(this));
    this.loop.setBeforeSleepProc(() => this.beforeSleep());
    this.log('notice', 'Server initialized');
    this.log('notice', 'Ready to accept connections');
    return true;
  }

  /** Logs why Redis exits at start-up and records exit(1). Returns false, for start(). */
  private abort(line: string): false {
    this.log('warning', line);
    this.exitCode = 1;
    return false;
  }

  /** beforeSleep, in Redis's order for what is modelled: TLS pending data, writes, then async frees. */
  beforeSleep(): void {
    // Each loop iteration costs a little CPU (epoll_wait, bookkeeping), so a server that spins —
    // a listener left readable by EMFILE, say — still lets virtual time move, as a real one does.
    this.charge(0, 0, LOOP_ITERATION_NS);
    // (Redis runs blocked-client timeouts just before this; the two do not interact.)
    if (this.config['tls-port'] !== 0) tlsProcessPendingData(this);
    for (const hook of this.beforeSleepHooks) hook(this);
    handleClientsWithPendingWrites(this);
    freeClientsInAsyncFreeQueue(this);
  }
}
