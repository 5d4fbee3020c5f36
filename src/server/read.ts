// The read path (readQueryFromClient / processInputBuffer in networking.c): one read per readable
// event sized as Redis sizes it, the query-buffer limit, then every complete command already
// buffered runs in order. The `read-policy drain` switch reads until EAGAIN instead, to show what
// the single read buys in fairness.
import { ECONNRESET, EPIPE, EPROTO, ETIMEDOUT, EAGAIN, strerror } from '../base/errno.ts';
import { protocolErrorDump, type ParseLimits } from '../protocol/request-parser.ts';
import { sdsRoomGreedy, sdsRoomNonGreedy } from './alloc.ts';
import {
  CLIENT_BLOCKED, CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_PENDING_COMMAND,
  CLIENT_PROTOCOL_ERROR, type Client,
} from './client.ts';
import { catClientInfoString, sdscatrepr } from './client-info.ts';
import { beforeNextClient, freeClientAsync } from './lifecycle.ts';
import { processCommand } from './process-command.ts';
import { addReplyError } from './reply.ts';
import type { Server } from './server.ts';
import type { CloseReason } from '../timeline/events.ts';

/** PROTO_IOBUF_LEN: the default read size. */
export const PROTO_IOBUF_LEN = 16384;

/** Readable event on a client socket. */
export function readQueryFromClient(server: Server, c: Client): void {
  if (server.config['read-policy'] === 'drain') {
    // redsim switch: keep reading until EAGAIN, processing after each read.
    while (c.node && !c.has(CLIENT_CLOSE_ASAP)) {
      if (!readOnce(server, c)) break;
    }
  } else {
    readOnce(server, c);
  }
  beforeNextClient(server, c);
}

/** One read() plus processing. Returns false when nothing more can be read now. */
function readOnce(server: Server, c: Client): boolean {
  server.stats.totalReadsProcessed++;
  let readlen = PROTO_IOBUF_LEN;
  const missing = c.parser.bigArgMissing(c.querybuf);
  const bigArg = missing > 0 || c.parser.currentBulkLength >= 32768;
  if (missing > 0) readlen = missing;
  const qblen = c.querybuf.length;
  if (bigArg || c.qbAlloc < PROTO_IOBUF_LEN) {
    c.qbAlloc = sdsRoomNonGreedy(qblen, c.qbAlloc, readlen);
  } else {
    // Read as much as fits in the buffer's free space, to save read(2) calls.
    c.qbAlloc = sdsRoomGreedy(qblen, c.qbAlloc, readlen);
    readlen = c.qbAlloc - qblen;
  }
  const r = server.backend.read(c.fd, readlen);
  if (typeof r === 'number') {
    if (r === -EAGAIN) return false;
    if (r === 0) {
      server.log('verbose', `Client closed connection ${catClientInfoString(server, c)}`, c.addr);
      freeClientAsync(server, c, 'peer-closed');
      return false;
    }
    // A TLS connection reports the TLS library's reason (connGetLastError).
    const why = r === -EPROTO ? server.backend.tlsLastError(c.fd) ?? '(null)' : strerror(r);
    server.log('verbose', `Reading from client: ${why}`, c.addr);
    freeClientAsync(server, c, r === -EPROTO && tlsPeerClosed(why) ? 'peer-closed' : closeReasonFor(r), why);
    return false;
  }
  let nread = 0;
  for (const seg of r) {
    c.querybuf.push(seg);
    nread += seg.length;
  }
  server.charge(0, nread);
  if (c.querybuf.length > c.querybufPeak) c.querybufPeak = c.querybuf.length;
  c.lastinteraction = server.unixtime;
  c.lastinteractionUs = server.backend.nowUs();
  server.stats.netInputBytes += nread;
  const t = server.backend.tracer;
  if (t.wants('read')) t.emit({ kind: 'read', id: c.id, bytes: nread, qbuf: c.querybuf.length }, c.addr);

  // The limit is checked before parsing: one read that crosses it closes the client even if it
  // held complete commands.
  if (c.querybuf.length > server.config['client-query-buffer-limit']) {
    const head = sdscatrepr(c.querybuf.peek(0, Math.min(64, c.querybuf.length)));
    server.log('warning', `Closing client that reached max query buffer length: ${catClientInfoString(server, c)} (qbuf initial bytes: ${head})`, c.addr);
    freeClientAsync(server, c, 'querybuf-limit', `qbuf ${c.querybuf.length} > limit ${server.config['client-query-buffer-limit']}`);
    return false;
  }
  processInputBuffer(server, c);
  return true;
}

/**
 * Whether a TLS read failure is the client going away: a close_notify (SSL_ERROR_ZERO_RETURN,
 * which tls.c reports with an empty error queue) or end of stream without one. Redis logs both
 * as read errors, never as "Client closed connection".
 */
function tlsPeerClosed(why: string): boolean {
  return why === 'error:00000000:lib(0)::reason(0)' || why.endsWith('::unexpected eof while reading');
}

/** Socket errors name their close reason. */
function closeReasonFor(errno: number): CloseReason {
  if (errno === -ETIMEDOUT) return 'keepalive';
  if (errno === -EPROTO) return 'tls-error';
  if (errno === -ECONNRESET || errno === -EPIPE) return 'reset';
  return 'write-error';
}

/** processInputBuffer: runs every complete command in the buffer, in order. */
export function processInputBuffer(server: Server, c: Client): void {
  c.qbPosBase = c.parser.consumed;
  try {
    processCommands(server, c);
  } finally {
    c.qbPosBase = -1;
  }
}

const PARSE_LIMITS: ParseLimits = { protoMaxBulkLen: 0, authenticated: false };

function processCommands(server: Server, c: Client): void {
  while (c.querybuf.length > 0) {
    if (c.has(CLIENT_BLOCKED) || c.has(CLIENT_PENDING_COMMAND)) break;
    if (c.has(CLIENT_CLOSE_AFTER_REPLY) || c.has(CLIENT_CLOSE_ASAP)) break;
    // Performance: one limits object, refreshed per parse (AUTH or CONFIG SET may change it).
    PARSE_LIMITS.protoMaxBulkLen = server.config['proto-max-bulk-len'];
    PARSE_LIMITS.authenticated = c.authenticated;
    const res = c.parser.parse(c.querybuf, PARSE_LIMITS);
    if (res.kind === 'incomplete') break;
    if (res.kind === 'empty') continue;
    if (res.kind === 'error') {
      addReplyError(server, c, res.message);
      setProtocolError(server, c, res.logReason);
      break;
    }
    c.argv = res.argv;
    processCommand(server, c);
    c.argv = [];
  }
}

/** setProtocolError: log, then close once the error reply (already queued) is written. */
function setProtocolError(server: Server, c: Client, reason: string): void {
  server.log('verbose', `Protocol error (${reason}) from client: ${catClientInfoString(server, c)}. Query buffer during protocol error: '${protocolErrorDump(c.querybuf)}'`, c.addr);
  c.set(CLIENT_CLOSE_AFTER_REPLY);
  c.set(CLIENT_PROTOCOL_ERROR);
  c.closeReason = 'protocol-error';
  c.closeDetail = reason;
}
