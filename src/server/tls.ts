// The server side of tls.c: the tls-port accept handler, the handshake driven by readiness
// (connTLSAccept / tlsHandleEvent in CONN_STATE_ACCEPTING), and the list of connections whose TLS
// layer holds decrypted bytes, processed in beforeSleep without waiting for the socket to be
// readable (tlsProcessPendingData). The TLS library itself belongs to the backend.
import { EAGAIN, strerror } from '../base/errno.ts';
import { TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE, type TlsServerOptions } from '../loop/backend.ts';
import { AE_READABLE, AE_WRITABLE, type FileProc } from '../loop/event-loop.ts';
import { acceptCommonHandler, clientAcceptHandler, MAX_ACCEPTS_PER_CALL } from './accept.ts';
import type { Client } from './client.ts';
import { freeClient, freeClientAsync, readHandlerOf } from './lifecycle.ts';
import type { Server } from './server.ts';

/** The TLS settings handed to the backend's library for each accepted connection. */
export function tlsServerOptions(server: Server): TlsServerOptions {
  const c = server.config;
  return {
    authClients: c['tls-auth-clients'],
    certFile: c['tls-cert-file'],
    keyFile: c['tls-key-file'],
    caCertFile: c['tls-ca-cert-file'],
    protocols: c['tls-protocols'],
  };
}

/**
 * tlsConfigure's checks at start-up: the warning Redis logs when the TLS listener cannot be
 * configured, or null when it can.
 */
export function tlsConfigError(server: Server): string | null {
  const c = server.config;
  if (!c['tls-cert-file']) return 'No tls-cert-file configured!';
  if (!c['tls-key-file']) return 'No tls-key-file configured!';
  if (c['tls-auth-clients'] !== 'no' && !c['tls-ca-cert-file']) {
    return 'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!';
  }
  return null;
}

/** tlsAcceptHandler: as acceptTcpHandler, each connection going through TLS. */
export function tlsAcceptHandler(server: Server, fd: number): void {
  for (let max = MAX_ACCEPTS_PER_CALL; max > 0; max--) {
    const r = server.backend.accept(fd);
    if (typeof r === 'number') {
      if (r !== -EAGAIN) server.log('warning', `Accepting client connection: ${strerror(r)}`);
      return;
    }
    server.log('verbose', `Accepted ${r.addr}`, r.addr);
    acceptCommonHandler(server, r.fd, r.addr, r.laddr, true);
  }
}

/**
 * connAccept for a TLS client (created, not yet past the handshake): SSL_accept once now; it
 * usually wants the ClientHello, and the handshake goes on from the fd's events.
 */
export function connTlsAccept(server: Server, c: Client): void {
  const r0 = server.backend.tlsAccept(c.fd, tlsServerOptions(server));
  c.tlsAccepting = true;
  afterSslAccept(server, c, r0 < 0 ? r0 : server.backend.tlsHandshake(c.fd), true);
}

/**
 * What follows an SSL_accept step: wait for the socket, finish, or fail. A failure of the first
 * step (`atAccept`) is reported by acceptCommonHandler, with the connection, and frees the client
 * at once; a later one by clientAcceptHandler, which frees it asynchronously.
 */
function afterSslAccept(server: Server, c: Client, r: number, atAccept: boolean): void {
  if (r === TLS_WANT_READ || r === TLS_WANT_WRITE) {
    registerSslEvent(server, c, r);
    return;
  }
  if (r === TLS_DONE) {
    handshakeDone(server, c);
    return;
  }
  const err = server.backend.tlsLastError(c.fd);
  const why = err ?? strerror(r);
  server.log('warning', `Error accepting a client connection: ${err ?? '(null)'}${atAccept ? ` (conn: fd=${c.fd})` : ''}`, c.addr);
  traceFailure(server, c, why);
  if (atAccept) freeClient(server, c, 'tls-handshake', why);
  else freeClientAsync(server, c, 'tls-handshake', why);
}

/** The handshake handler (tlsHandleEvent in CONN_STATE_ACCEPTING), given the client. */
const handshakeHandlers = new WeakMap<Server, FileProc>();

function handshakeHandlerOf(server: Server): FileProc {
  let h = handshakeHandlers.get(server);
  if (!h) handshakeHandlers.set(server, (h = (_fd: number, _mask: number, c: Client) => tlsHandshakeEvent(server, c)));
  return h;
}

function tlsHandshakeEvent(server: Server, c: Client): void {
  if (!c.node || !c.tlsAccepting) return;
  afterSslAccept(server, c, server.backend.tlsHandshake(c.fd), false);
}

/** registerSSLEvent: watch only what SSL_accept waits for. */
function registerSslEvent(server: Server, c: Client, want: number): void {
  const loop = server.loop;
  const h = handshakeHandlerOf(server);
  if (want === TLS_WANT_READ) {
    if (loop.getFileEvents(c.fd) & AE_WRITABLE) loop.deleteFileEvent(c.fd, AE_WRITABLE);
    loop.createFileEvent(c.fd, AE_READABLE, h, c);
  } else {
    if (loop.getFileEvents(c.fd) & AE_READABLE) loop.deleteFileEvent(c.fd, AE_READABLE);
    loop.createFileEvent(c.fd, AE_WRITABLE, h, c);
  }
}

/** CONN_STATE_CONNECTED: the client's own handlers take the fd, then clientAcceptHandler runs. */
function handshakeDone(server: Server, c: Client): void {
  c.tlsAccepting = false;
  const loop = server.loop;
  if (loop.getFileEvents(c.fd) & AE_WRITABLE) loop.deleteFileEvent(c.fd, AE_WRITABLE);
  loop.createFileEvent(c.fd, AE_READABLE, tlsReadHandlerOf(server), c);
  const t = server.backend.tracer;
  if (t.wants('tls')) t.emit({ kind: 'tls', id: c.id, what: 'handshake-done' }, c.addr);
  clientAcceptHandler(server, c);
}

function traceFailure(server: Server, c: Client, detail: string): void {
  const t = server.backend.tracer;
  if (t.wants('tls')) t.emit({ kind: 'tls', id: c.id, what: 'handshake-failed', detail }, c.addr);
}

/**
 * The read handler of a TLS client: readQueryFromClient, then the pending-data bookkeeping of
 * tlsHandleEvent (a read that left decrypted bytes inside the TLS layer puts the connection on
 * the pending list, since the socket may never become readable for them).
 */
const tlsReadHandlers = new WeakMap<Server, FileProc>();

function tlsReadHandlerOf(server: Server): FileProc {
  let h = tlsReadHandlers.get(server);
  if (!h) {
    const read = readHandlerOf(server);
    tlsReadHandlers.set(server, (h = (fd: number, mask: number, c: Client) => {
      read(fd, mask, c);
      updatePending(server, c);
    }));
  }
  return h;
}

function updatePending(server: Server, c: Client): void {
  if (c.node && c.fd !== -1 && server.backend.tlsPending(c.fd) > 0) server.tlsPending.add(c);
  else server.tlsPending.delete(c);
}

/**
 * tlsProcessPendingData (beforeSleep): the read handler of every connection with decrypted bytes
 * waiting, in the order they were listed; then AE_DONT_WAIT for the next poll if any remain.
 */
export function tlsProcessPendingData(server: Server): void {
  if (server.tlsPending.size > 0) {
    const read = tlsReadHandlerOf(server);
    for (const c of [...server.tlsPending]) {
      if (c.node && c.fd !== -1) read(c.fd, AE_READABLE, c);
      else server.tlsPending.delete(c);
    }
  }
  server.loop.dontWait = server.tlsPending.size > 0;
}
