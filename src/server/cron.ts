// serverCron and clientsCron (server.c, timeout.c): dynamic hz, the incremental visit of
// max(5, clients/hz) clients per tick (rotating the clients list), idle timeouts, query- and
// reply-buffer resizing, and the output-limit check with synchronous close.
import {
  CLIENT_BLOCKED, CLIENT_MASTER, CLIENT_PUBSUB, CLIENT_SLAVE, type Client,
} from './client.ts';
import { freeClient } from './lifecycle.ts';
import { closeClientOnOutputBufferLimitReached, getClientOutputBufferMemoryUsage } from './limits.ts';
import { jemallocSize } from './alloc.ts';
import { checkClientPauseTimeLimit } from './commands/pause.ts';
import type { Server } from './server.ts';
import { AE_NOMORE } from '../loop/event-loop.ts';

export const CONFIG_MAX_HZ = 500;
export const MAX_CLIENTS_PER_CLOCK_TICK = 200;
export const CLIENTS_CRON_MIN_ITERATIONS = 5;
const PROTO_RESIZE_THRESHOLD = 32 * 1024;
const PROTO_REPLY_MIN_BYTES = 1024;
const PROTO_REPLY_CHUNK_BYTES = 16 * 1024;
const REPLY_BUFFER_PEAK_RESET_MS = 5000;

/** serverCron: runs every 1000/hz ms; returns the next period in ms. */
export function serverCron(server: Server): number {
  server.updateCachedTime();
  server.hz = server.config.hz;
  if (server.config['dynamic-hz']) {
    while (server.clients.length / server.hz > MAX_CLIENTS_PER_CLOCK_TICK) {
      server.hz *= 2;
      if (server.hz > CONFIG_MAX_HZ) {
        server.hz = CONFIG_MAX_HZ;
        break;
      }
    }
  }
  const visited = clientsCron(server);
  checkClientPauseTimeLimit(server);
  server.cronloops++;
  const t = server.backend.tracer;
  if (t.wants('cron')) t.emit({ kind: 'cron', hz: server.hz, visited, clients: server.clients.length });
  return 1000 / server.hz;
}

/** clientsCron: visits part of the clients each tick so that all are visited about once a second. */
export function clientsCron(server: Server): number {
  const numclients = server.clients.length;
  let iterations = Math.floor(numclients / server.hz);
  const nowMs = server.mstime;
  if (iterations < CLIENTS_CRON_MIN_ITERATIONS) iterations = Math.min(numclients, CLIENTS_CRON_MIN_ITERATIONS);
  // Always zero the next one-second slot of the recent-peak samples (INFO client_recent_max_*).
  const peaks = peakMemSlots(server);
  const slot = server.unixtime % CLIENTS_PEAK_MEM_USAGE_SLOTS;
  peaks.input[(slot + 1) % CLIENTS_PEAK_MEM_USAGE_SLOTS] = 0;
  peaks.output[(slot + 1) % CLIENTS_PEAK_MEM_USAGE_SLOTS] = 0;
  let visited = 0;
  while (server.clients.length && iterations-- > 0) {
    server.clients.rotateTailToHead();
    const c = server.clients.head!.value;
    visited++;
    if (clientsCronHandleTimeout(server, c, nowMs)) continue;
    clientsCronResizeQueryBuffer(server, c);
    clientsCronResizeOutputBuffer(server, c, nowMs);
    clientsCronTrackExpansiveClients(c, peaks, slot);
    if (closeClientOnOutputBufferLimitReached(server, c, false)) continue;
  }
  return visited;
}

/** CLIENTS_PEAK_MEM_USAGE_SLOTS: one-second slots of the biggest input/output buffers seen. */
export const CLIENTS_PEAK_MEM_USAGE_SLOTS = 8;
const peakSlots = new WeakMap<Server, { input: number[]; output: number[] }>();

function peakMemSlots(server: Server): { input: number[]; output: number[] } {
  let p = peakSlots.get(server);
  if (!p) peakSlots.set(server, (p = { input: new Array(8).fill(0), output: new Array(8).fill(0) }));
  return p;
}

/**
 * clientsCronTrackExpansiveClients: input = query buffer allocation (sdsZmallocSize) + argument
 * bytes + the argv array; output = omem.
 */
function clientsCronTrackExpansiveClients(c: Client, peaks: { input: number[]; output: number[] }, slot: number): void {
  const hdr = c.qbAlloc < 256 ? 3 : c.qbAlloc < 65536 ? 5 : c.qbAlloc < 2 ** 32 ? 9 : 17;
  const argc = c.parser.argc;
  const input = jemallocSize(hdr + c.qbAlloc + 1) + c.parser.argvBytes + (argc ? jemallocSize(8 * argc) : 0);
  const output = getClientOutputBufferMemoryUsage(c);
  if (input > peaks.input[slot]!) peaks.input[slot] = input;
  if (output > peaks.output[slot]!) peaks.output[slot] = output;
}

/** getExpansiveClientsInfo: the biggest input and output buffers of the last 8 seconds. */
export function getExpansiveClientsInfo(server: Server): { input: number; output: number } {
  const p = peakMemSlots(server);
  return { input: Math.max(...p.input), output: Math.max(...p.output) };
}

/** Whether `timeout` applies to `c`: not replicas/MONITORs, masters, blocked or pub/sub clients. */
export function timeoutApplies(c: Client): boolean {
  return !c.has(TIMEOUT_EXEMPT);
}

/** The flags that exempt a client from `timeout` (all in the low word, so one test checks them). */
const TIMEOUT_EXEMPT = CLIENT_SLAVE | CLIENT_MASTER | CLIENT_BLOCKED | CLIENT_PUBSUB;

/**
 * clientsCronHandleTimeout: closes an idle client when its whole-second idle time is strictly
 * more than `timeout`. With `timeout-policy exact` the per-client timers do this instead.
 */
export function clientsCronHandleTimeout(server: Server, c: Client, nowMs: number): boolean {
  const maxidle = server.config.timeout;
  if (!maxidle || server.config['timeout-policy'] !== 'lazy') return false;
  const now = Math.floor(nowMs / 1000);
  if (timeoutApplies(c) && now - c.lastinteraction > maxidle) {
    server.log('verbose', 'Closing idle client', c.addr);
    freeClient(server, c, 'idle-timeout', `idle ${now - c.lastinteraction} s > timeout ${maxidle} s`);
    return true;
  }
  return false;
}

/** clientsCronResizeQueryBuffer: give back query-buffer space an idle or shrunken client wastes. */
function clientsCronResizeQueryBuffer(server: Server, c: Client): void {
  const len = c.querybuf.length;
  const idletime = server.unixtime - c.lastinteraction;
  if (c.qbAlloc - len > 4 * 1024) {
    if (idletime > 2) {
      c.qbAlloc = len; // sdsRemoveFreeSpace
    } else if (c.qbAlloc > PROTO_RESIZE_THRESHOLD && c.qbAlloc / 2 > c.querybufPeak) {
      let resize = Math.max(len, c.querybufPeak);
      const bulk = c.parser.currentBulkLength;
      if (bulk !== -1 && resize < bulk) resize = bulk;
      c.qbAlloc = resize;
    }
  }
  c.querybufPeak = len;
  const bulk = c.parser.currentBulkLength;
  if (bulk !== -1 && bulk > c.querybufPeak) c.querybufPeak = bulk;
}

/**
 * clientsCronResizeOutputBuffer: shrink the static reply buffer (down to 1 KiB) when its recent peak
 * used less than half, grow it back (up to 16 KiB) when the peak filled it. The peak is reset every
 * 5 s; the first reset compares Redis's seconds-stamp with milliseconds, so it happens at once.
 */
function clientsCronResizeOutputBuffer(server: Server, c: Client, nowMs: number): void {
  let newSize = 0;
  const shrinkTarget = c.bufUsable / 2;
  const expandTarget = c.bufUsable * 2;
  if (shrinkTarget >= PROTO_REPLY_MIN_BYTES && c.bufPeak < shrinkTarget) {
    newSize = Math.max(PROTO_REPLY_MIN_BYTES, c.bufPeak + 1);
    server.stats.replyBufferShrinks++;
  } else if (expandTarget < PROTO_REPLY_CHUNK_BYTES * 2 && c.bufPeak === c.bufUsable) {
    newSize = Math.min(PROTO_REPLY_CHUNK_BYTES, expandTarget);
    server.stats.replyBufferExpands++;
  }
  if (nowMs - c.bufPeakLastReset >= REPLY_BUFFER_PEAK_RESET_MS) {
    c.bufPeak = c.bufPos;
    c.bufPeakLastReset = nowMs;
  }
  if (newSize) c.bufUsable = jemallocSize(newSize);
}

/**
 * redsim switch `timeout-policy exact`: a timer per client that closes it the moment its idle time
 * exceeds `timeout` (in microseconds, not whole seconds), instead of waiting for clientsCron to
 * come round. Shows what the lazy check costs in lateness and what it saves in timers.
 */
export function armIdleTimer(server: Server, c: Client, notBeforeUs = 0): void {
  if (c.idleTimer !== null) server.loop.deleteTimeEvent(c.idleTimer as number);
  c.idleTimer = null;
  const timeout = server.config.timeout;
  if (!timeout) return;
  const dueUs = Math.max(c.lastinteractionUs + timeout * 1_000_000 + 1, notBeforeUs);
  const delayMs = Math.max(0, dueUs - server.backend.nowUs()) / 1000;
  c.idleTimer = server.loop.createTimeEvent(delayMs, () => {
    c.idleTimer = null;
    if (!c.node) return AE_NOMORE;
    const nowUs = server.backend.nowUs();
    if (!timeoutApplies(c)) {
      // Exempt now (pub/sub, blocked, MONITOR): look again a whole timeout later. Leaving the
      // exemption takes a command or a reply, which refreshes lastinteraction, so this is never late.
      armIdleTimer(server, c, nowUs + timeout * 1_000_000);
      return AE_NOMORE;
    }
    const idleUs = nowUs - c.lastinteractionUs;
    if (server.config.timeout && idleUs > server.config.timeout * 1_000_000) {
      server.updateCachedTime();
      server.log('verbose', 'Closing idle client', c.addr);
      freeClient(server, c, 'idle-timeout', `idle ${(idleUs / 1e6).toFixed(6)} s > timeout ${server.config.timeout} s (exact timer)`);
      return AE_NOMORE;
    }
    armIdleTimer(server, c);
    return AE_NOMORE;
  });
}
