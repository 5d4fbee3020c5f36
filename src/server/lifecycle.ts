// Client lifecycle verbs, paired as in networking.c: createClient / freeClient (immediate) /
// freeClientAsync (mark CLOSE_ASAP, reaped in beforeSleep or after the client's read handler).
// Every free records one `close` event with its reason.
import { AE_READABLE, AE_WRITABLE, type FileProc } from '../loop/event-loop.ts';
import type { CloseReason } from '../timeline/events.ts';
import {
  CLIENT_CLOSE_ASAP, CLIENT_MONITOR, CLIENT_PENDING_WRITE, CLIENT_PROTECTED, Client,
} from './client.ts';
import type { Server } from './server.ts';
import { readQueryFromClient } from './read.ts';
import { sdsAllocFor } from './alloc.ts';
import { armIdleTimer } from './cron.ts';

/**
 * The read handler of a server's clients, given the client as clientData (as Redis registers
 * readQueryFromClient with the connection). Memory: one function per server, not a closure per
 * client.
 */
const readHandlers = new WeakMap<Server, FileProc>();

export function readHandlerOf(server: Server): FileProc {
  let h = readHandlers.get(server);
  if (!h) readHandlers.set(server, (h = (_fd: number, _mask: number, c: Client) => readQueryFromClient(server, c)));
  return h;
}

/**
 * createClient for an accepted connection: TCP_NODELAY, keepalive per `tcp-keepalive` (read now:
 * CONFIG SET affects only later connections), the read handler, and a place at the tail of the
 * clients list.
 */
export function createClient(server: Server, fd: number, addr: string, laddr: string): Client {
  const c = new Client(server.nextClientId++, fd, addr, laddr, server.unixtime);
  server.backend.setsockopt(fd, 'TCP_NODELAY', 1);
  const ka = server.config['tcp-keepalive'];
  if (ka > 0) {
    // anetKeepAlive on Linux: idle = interval, probes every interval/3 (at least 1), 3 probes.
    server.backend.setsockopt(fd, 'SO_KEEPALIVE', 1);
    server.backend.setsockopt(fd, 'TCP_KEEPIDLE', ka);
    server.backend.setsockopt(fd, 'TCP_KEEPINTVL', Math.max(1, Math.floor(ka / 3)));
    server.backend.setsockopt(fd, 'TCP_KEEPCNT', 3);
  }
  server.loop.createFileEvent(fd, AE_READABLE, readHandlerOf(server), c);
  c.authenticated = server.config.requirepass === '';
  c.bufPeakLastReset = server.unixtime; // Redis stores seconds here and compares with ms (see cron)
  c.qbAlloc = 0;
  c.lastinteractionUs = server.backend.nowUs();
  c.node = server.clients.push(c);
  server.clientsById.set(c.id, c);
  if (server.config['timeout-policy'] === 'exact') armIdleTimer(server, c);
  return c;
}

/** Query buffer allocation of a client that has read once (for CLIENT LIST of fresh clients). */
export const FIRST_READ_ALLOC = sdsAllocFor(16384);

/**
 * freeClient: unlinks the client now. Pending output is lost. Records the close with `reason`
 * (or the reason stored by freeClientAsync).
 */
export function freeClient(server: Server, c: Client, reason?: CloseReason, detail?: string): void {
  if (c.has(CLIENT_PROTECTED)) {
    freeClientAsync(server, c, reason, detail);
    return;
  }
  if (!c.node) return; // already freed
  const why = reason ?? c.closeReason ?? 'peer-closed';
  const d = detail ?? c.closeDetail;
  if (server.currentClient === c) server.currentClient = null;
  for (const forget of server.freeClientHooks) forget(c);
  if (c.has(CLIENT_MONITOR)) {
    for (let n = server.monitors.head; n; n = n.next) if (n.value === c) { server.monitors.remove(n); break; }
  }
  if (c.fd !== -1) {
    server.loop.deleteFileEvent(c.fd, AE_READABLE | AE_WRITABLE);
    server.backend.close(c.fd);
  }
  server.clients.remove(c.node);
  c.node = null;
  server.clientsById.delete(c.id);
  if (c.has(CLIENT_PENDING_WRITE) && c.pendingWriteNode) {
    server.clientsPendingWrite.remove(c.pendingWriteNode);
    c.pendingWriteNode = null;
    c.clear(CLIENT_PENDING_WRITE);
  }
  if (c.idleTimer !== null) {
    server.loop.deleteTimeEvent(c.idleTimer as number);
    c.idleTimer = null;
  }
  const t = server.backend.tracer;
  if (t.wants('close')) t.emit({ kind: 'close', id: c.id, reason: why, ...(d ? { detail: d } : {}) }, c.addr);
  c.fd = -1;
}

/**
 * freeClientAsync: marks the client CLOSE_ASAP (no more replies are queued for it) and queues it
 * for freeing at a safe point. The first reason given is the one recorded.
 */
export function freeClientAsync(server: Server, c: Client, reason?: CloseReason, detail?: string): void {
  if (c.has(CLIENT_CLOSE_ASAP)) return;
  c.set(CLIENT_CLOSE_ASAP);
  if (reason && !c.closeReason) {
    c.closeReason = reason;
    c.closeDetail = detail ?? '';
  }
  server.clientsToClose.push(c);
}

/** freeClientsInAsyncFreeQueue: frees every queued client except protected ones. */
export function freeClientsInAsyncFreeQueue(server: Server): void {
  if (server.clientsToClose.length === 0) return;
  const keep: Client[] = [];
  for (const c of server.clientsToClose.splice(0)) {
    if (c.has(CLIENT_PROTECTED)) keep.push(c);
    else freeClient(server, c);
  }
  server.clientsToClose.push(...keep);
}

/** beforeNextClient: a client marked CLOSE_ASAP while its read handler ran is freed right away. */
export function beforeNextClient(server: Server, c: Client): void {
  if (c.has(CLIENT_CLOSE_ASAP) && c.node) {
    const i = server.clientsToClose.indexOf(c);
    if (i !== -1) server.clientsToClose.splice(i, 1);
    freeClient(server, c);
  }
}
