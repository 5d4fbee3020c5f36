// The reply path (networking.c): queueing replies into the 16 KiB static buffer and the list of
// reply blocks with Redis's accounting, the pending-write queue, writeToClient with its 64 KiB
// fairness cap, and write-behind before sleep. Limits are checked via limits.ts.
import { type Segment, isFiller, sliceSegment } from '../base/bytes.ts';
import { EAGAIN, ECONNRESET, EPIPE, EPROTO, strerror } from '../base/errno.ts';
import { AE_WRITABLE, type FileProc } from '../loop/event-loop.ts';
import { replyBlockCapacity } from './alloc.ts';
import {
  CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_MASTER, CLIENT_PENDING_WRITE, CLIENT_PROTECTED,
  CLIENT_PUSHING, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP, CLIENT_SLAVE, type Client, type ReplyBlock,
} from './client.ts';
import { freeClientAsync } from './lifecycle.ts';
import { closeClientOnOutputBufferLimitReached } from './limits.ts';
import type { Server } from './server.ts';
import * as resp from '../protocol/reply.ts';

/** PROTO_REPLY_CHUNK_BYTES: size of the static buffer and the minimum reply block. */
export const PROTO_REPLY_CHUNK_BYTES = 16384;
/** NET_MAX_WRITES_PER_EVENT: a client's write loop stops once it has written more than this. */
export const NET_MAX_WRITES_PER_EVENT = 64 * 1024;
const IOV_MAX = 1024;


/**
 * prepareClientToWrite: whether replies may be queued for `c`; puts it on the pending-write queue
 * (at the head, as Redis does) when it had nothing pending.
 */
function prepareClientToWrite(server: Server, c: Client): boolean {
  if (c.has(CLIENT_CLOSE_ASAP)) return false;
  if ((c.has(CLIENT_REPLY_OFF) || c.has(CLIENT_REPLY_SKIP)) && !c.has(CLIENT_PUSHING)) return false;
  if (c.has(CLIENT_MASTER)) return false;
  if (c.fd === -1) return false;
  if (!c.hasPendingReplies() && !c.has(CLIENT_PENDING_WRITE)) {
    c.set(CLIENT_PENDING_WRITE);
    // Performance: the client's node is kept after it leaves the queue and reused here.
    const list = server.clientsPendingWrite;
    c.pendingWriteNode = c.pendingWriteNode ? list.unshiftNode(c.pendingWriteNode) : list.unshift(c);
  }
  return true;
}

/** addReply for one or more runs of bytes forming (part of) a reply. */
export function addReply(server: Server, c: Client, data: Segment | readonly Segment[]): void {
  if (!prepareClientToWrite(server, c)) return;
  if (c.has(CLIENT_CLOSE_AFTER_REPLY)) return;
  const tracing = server.backend.tracer.wants('reply');
  if (!Array.isArray(data)) {
    // Performance: a single run (most replies) is queued without wrapping it in an array.
    const seg = data as Segment;
    if (tracing) noteReply(c, seg);
    addSegmentToBufferOrList(server, c, seg);
    return;
  }
  for (const seg of data as readonly Segment[]) {
    if (tracing) noteReply(c, seg);
    addSegmentToBufferOrList(server, c, seg);
    if (!c.node || c.has(CLIENT_CLOSE_ASAP)) return; // closed by the output limit
  }
}

/** addReplyError: `-<text>\r\n` and the error statistics. */
export function addReplyError(server: Server, c: Client, text: string): void {
  server.stats.totalErrorReplies++;
  addReply(server, c, resp.error(text));
}

function noteReply(c: Client, seg: Segment): void {
  let st = c.replyTrace;
  if (!st) c.replyTrace = st = { bytes: 0, head: '' };
  st.bytes += seg.length;
  if (st.head.length < 60) {
    const part = isFiller(seg) ? `<${seg.length}×x>` : seg.toString('latin1', 0, 60);
    st.head = (st.head + part).slice(0, 60);
  }
}

/** Records one `reply` event for what was queued for `c` since the last flush. */
export function flushReplyTrace(server: Server, c: Client): void {
  const st = c.replyTrace;
  if (!st || st.bytes === 0) return;
  const text = st.head.includes('\r') ? st.head.replace(/\r\n/g, '\\r\\n') : st.head;
  server.backend.tracer.emit({ kind: 'reply', id: c.id, bytes: st.bytes, text }, c.addr);
  st.bytes = 0;
  st.head = '';
}

/** _addReplyToBufferOrList for one run: static buffer first (only while the list is empty), then blocks. */
function addSegmentToBufferOrList(server: Server, c: Client, seg: Segment): void {
  let rest = seg;
  if (c.reply.length === 0) {
    const avail = c.bufUsable - c.bufPos;
    const n = Math.min(avail, rest.length);
    if (n > 0) {
      c.buf.push(n === rest.length ? rest : sliceSegment(rest, 0, n));
      c.bufPos += n;
      if (c.bufPos > c.bufPeak) c.bufPeak = c.bufPos;
      rest = n === rest.length ? EMPTY : sliceSegment(rest, n, rest.length);
    }
  }
  if (rest.length > 0) addProtoToList(server, c, rest);
}

const EMPTY = Buffer.alloc(0);

/** _addReplyProtoToList: fill the tail block, then one new block of max(rest, 16 KiB). */
function addProtoToList(server: Server, c: Client, seg: Segment): void {
  let rest = seg;
  const tail = c.reply[c.reply.length - 1];
  if (tail) {
    const n = Math.min(tail.size - tail.used, rest.length);
    if (n > 0) {
      tail.data.push(n === rest.length ? rest : sliceSegment(rest, 0, n));
      tail.used += n;
      rest = n === rest.length ? EMPTY : sliceSegment(rest, n, rest.length);
    }
  }
  if (rest.length > 0) {
    const size = replyBlockCapacity(Math.max(rest.length, PROTO_REPLY_CHUNK_BYTES));
    const block: ReplyBlock = { size, used: rest.length, data: [rest] };
    c.reply.push(block);
    c.replyBytes += size;
    closeClientOnOutputBufferLimitReached(server, c, true);
  }
}

/**
 * writeToClient: writes until nothing is pending, the socket is full, or more than 64 KiB went out
 * in this call (replicas and MONITORs are exempt from the cap, as is a server over maxmemory).
 */
export function writeToClient(server: Server, c: Client, handlerInstalled: boolean): boolean {
  server.stats.totalWritesProcessed++;
  let totwritten = 0;
  let last = 0;
  while (c.hasPendingReplies()) {
    last = writeOnce(server, c);
    if (last <= 0) break;
    totwritten += last;
    if (totwritten > NET_MAX_WRITES_PER_EVENT && server.config.maxmemory === 0 && !c.has(CLIENT_SLAVE)) break;
  }
  server.stats.netOutputBytes += totwritten;
  if (totwritten > 0) server.charge(0, totwritten);
  const t = server.backend.tracer;
  if (totwritten > 0 && t.wants('write')) t.emit({ kind: 'write', id: c.id, bytes: totwritten, pending: pendingBytes(c) }, c.addr);
  if (last < 0 && last !== -EAGAIN) {
    const why = last === -EPROTO ? server.backend.tlsLastError(c.fd) ?? '(null)' : strerror(last);
    server.log('verbose', `Error writing to client: ${why}`, c.addr);
    freeClientAsync(server, c, last === -EPIPE || last === -ECONNRESET ? 'reset' : last === -EPROTO ? 'tls-error' : 'write-error', why);
    return false;
  }
  if (totwritten > 0 && !c.has(CLIENT_MASTER)) {
    c.lastinteraction = server.unixtime;
    c.lastinteractionUs = server.backend.nowUs();
  }
  if (!c.hasPendingReplies()) {
    c.sentlen = 0;
    if (handlerInstalled) server.loop.deleteFileEvent(c.fd, AE_WRITABLE);
    if (c.has(CLIENT_CLOSE_AFTER_REPLY)) {
      freeClientAsync(server, c, c.closeReason ?? 'quit');
      return false;
    }
  }
  return true;
}

/** Bytes still queued for a client (static buffer plus blocks). */
export function pendingBytes(c: Client): number {
  let n = c.bufPos - (c.reply.length ? 0 : c.sentlen);
  for (const b of c.reply) n += b.used;
  return c.reply.length ? n - c.sentlen : n;
}

/** _writeToClient: one write (or writev over buffer + blocks). Returns bytes written or -errno. */
function writeOnce(server: Server, c: Client): number {
  if (c.reply.length === 0) {
    const n = server.backend.write(c.fd, skipBytes(c.buf, c.sentlen), c.bufPos - c.sentlen);
    if (n <= 0) return n === 0 ? -EAGAIN : n;
    c.sentlen += n;
    if (c.sentlen === c.bufPos) {
      c.bufPos = 0;
      c.sentlen = 0;
      c.buf.length = 0; // performance: the array is reused (write() keeps runs, not the array)
    }
    return n;
  }
  // writevToClient: the static buffer's rest, then blocks, up to IOV_MAX vectors and stopping once
  // more than NET_MAX_WRITES_PER_EVENT bytes are gathered.
  const iov: Segment[] = [];
  let total = 0;
  let offset = 0;
  if (c.bufPos > 0) {
    for (const s of skipBytes(c.buf, c.sentlen)) iov.push(s);
    total += c.bufPos - c.sentlen;
  } else offset = c.sentlen;
  for (const b of c.reply) {
    if (iov.length >= IOV_MAX || total > NET_MAX_WRITES_PER_EVENT) break;
    if (b.used === 0) continue;
    for (const s of skipBytes(b.data, offset)) iov.push(s);
    total += b.used - offset;
    offset = 0;
  }
  const n = server.backend.write(c.fd, iov, total);
  if (n <= 0) return n === 0 ? -EAGAIN : n;
  let left = n;
  if (c.bufPos > 0) {
    const fromBuf = Math.min(left, c.bufPos - c.sentlen);
    left -= fromBuf;
    c.sentlen += fromBuf;
    if (c.sentlen === c.bufPos) {
      c.bufPos = 0;
      c.sentlen = 0;
      c.buf.length = 0; // performance: the array is reused (write() keeps runs, not the array)
    } else return n;
  }
  while (left > 0 && c.reply.length) {
    const b = c.reply[0]!;
    const rem = b.used - c.sentlen;
    if (left >= rem) {
      left -= rem;
      c.reply.shift();
      c.replyBytes -= b.size;
      c.sentlen = 0;
    } else {
      c.sentlen += left;
      left = 0;
    }
  }
  return n;
}

/** The runs of `segs` after skipping the first `skip` bytes. */
function skipBytes(segs: readonly Segment[], skip: number): Segment[] {
  if (skip === 0) return segs as Segment[];
  const out: Segment[] = [];
  let left = skip;
  for (const s of segs) {
    if (left >= s.length) {
      left -= s.length;
      continue;
    }
    out.push(left ? sliceSegment(s, left, s.length) : s);
    left = 0;
  }
  return out;
}

/** The writable handler of a server's clients, given the client as clientData (see lifecycle.ts). */
const writeHandlers = new WeakMap<Server, FileProc>();

function writeHandlerOf(server: Server): FileProc {
  let h = writeHandlers.get(server);
  if (!h) writeHandlers.set(server, (h = (_fd: number, _mask: number, c: Client) => sendReplyToClient(server, c)));
  return h;
}

/** Writable event: sendReplyToClient. */
export function sendReplyToClient(server: Server, c: Client): void {
  writeToClient(server, c, true);
}

/**
 * handleClientsWithPendingWrites (beforeSleep): write directly to every client with new replies,
 * installing a writable handler only for those whose socket could not take everything.
 */
export function handleClientsWithPendingWrites(server: Server): void {
  for (let n = server.clientsPendingWrite.head; n; ) {
    const next = n.next;
    const c = n.value;
    server.clientsPendingWrite.remove(n); // the node stays with the client for reuse
    c.clear(CLIENT_PENDING_WRITE);
    n = next;
    if (c.has(CLIENT_PROTECTED) || c.has(CLIENT_CLOSE_ASAP)) continue;
    if (!writeToClient(server, c, false)) continue;
    if (c.hasPendingReplies() && !(server.loop.getFileEvents(c.fd) & AE_WRITABLE)) {
      server.loop.createFileEvent(c.fd, AE_WRITABLE, writeHandlerOf(server), c);
    }
  }
}
