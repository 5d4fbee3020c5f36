// The client description Redis prints in CLIENT LIST, CLIENT INFO and log lines
// (catClientInfoString), with 7.0's field order, plus sdscatrepr for quoting bytes in logs.
import { AE_READABLE, AE_WRITABLE } from '../loop/event-loop.ts';
import {
  CLIENT_BLOCKED, CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_DIRTY_CAS, CLIENT_MASTER,
  CLIENT_MONITOR, CLIENT_MULTI, CLIENT_NO_EVICT, CLIENT_PUBSUB, CLIENT_SLAVE, CLIENT_UNBLOCKED,
  type Client,
} from './client.ts';
import { getClientOutputBufferMemoryUsage } from './limits.ts';
import type { Server } from './server.ts';
import { jemallocSize } from './alloc.ts';

/** Size of the client struct as jemalloc serves it (observed from tot-mem arithmetic). */
const CLIENT_STRUCT_BYTES = 768;

/** Flag letters in Redis's output order; `N` when none applies. */
export function clientFlagString(c: Client): string {
  let f = '';
  if (c.has(CLIENT_SLAVE)) f += c.has(CLIENT_MONITOR) ? 'O' : 'S';
  if (c.has(CLIENT_MASTER)) f += 'M';
  if (c.has(CLIENT_PUBSUB)) f += 'P';
  if (c.has(CLIENT_MULTI)) f += 'x';
  if (c.has(CLIENT_BLOCKED)) f += 'b';
  if (c.has(CLIENT_DIRTY_CAS)) f += 'd';
  if (c.has(CLIENT_CLOSE_AFTER_REPLY)) f += 'c';
  if (c.has(CLIENT_UNBLOCKED)) f += 'u';
  if (c.has(CLIENT_CLOSE_ASAP)) f += 'A';
  if (c.has(CLIENT_NO_EVICT)) f += 'e';
  return f || 'N';
}

/** One `id=… resp=…` line (without the trailing newline). */
export function catClientInfoString(server: Server, c: Client): string {
  const ev = c.fd === -1 ? 0 : server.loop.getFileEvents(c.fd);
  const events = (ev & AE_READABLE ? 'r' : '') + (ev & AE_WRITABLE ? 'w' : '');
  const omem = getClientOutputBufferMemoryUsage(c);
  // Redis frees argv after each command: only a command running now (c.argv is set while it
  // executes) or one partly received has arguments to count.
  const live = c.argv.length > 0 || c.parser.inProgress;
  const argvMem = live ? c.parser.argvBytes : 0;
  const argc = live ? c.parser.argc : 0;
  // Bytes parsed in the current pass are still in Redis's buffer until the pass ends (qb_pos).
  const qbuf = c.querybuf.length + (c.qbPosBase >= 0 ? c.parser.consumed - c.qbPosBase : 0);
  const qbufFree = Math.max(0, c.qbAlloc - qbuf);
  const multiCount = c.has(CLIENT_MULTI) ? c.mstate.length : -1;
  const totMem = omem + qbufMallocSize(c.qbAlloc) + CLIENT_STRUCT_BYTES + c.bufUsable + argvMem + 8 * argc +
    multiOverhead(c) + pubsubOverhead(c);
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} ` +
    `age=${server.unixtime - c.ctime} idle=${server.unixtime - c.lastinteraction} flags=${clientFlagString(c)} ` +
    `db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=0 multi=${multiCount} ` +
    `qbuf=${qbuf} qbuf-free=${qbufFree} argv-mem=${argvMem} multi-mem=${c.multiMem} ` +
    `rbs=${c.bufUsable} rbp=${c.bufPeak} obl=${c.bufPos} oll=${c.reply.length} omem=${omem} ` +
    `tot-mem=${totMem} events=${events} cmd=${c.lastCmd} user=${c.user} redir=-1 resp=${c.resp}`;
}

/** sdsZmallocSize of the query buffer: what jemalloc holds for header + capacity + NUL. */
function qbufMallocSize(alloc: number): number {
  const hdr = alloc < 256 ? 3 : alloc < 65536 ? 5 : alloc < 2 ** 32 ? 9 : 17;
  return jemallocSize(hdr + alloc + 1);
}

/** MULTI: queued arguments plus sizeof(multiCmd) = 24 per allocated slot (2, then doubling). */
function multiOverhead(c: Client): number {
  const n = c.mstate.length;
  if (!c.has(CLIENT_MULTI) || n === 0) return c.multiMem;
  let slots = 2;
  while (slots < n) slots *= 2;
  return c.multiMem + 24 * slots;
}

/** Pub/sub: a 24-byte dictEntry per channel plus 8 per dict slot, 24 per pattern list node. */
function pubsubOverhead(c: Client): number {
  const ch = c.channels.size;
  const slots = ch === 0 ? 0 : Math.max(4, 2 ** Math.ceil(Math.log2(ch)));
  return 24 * ch + 8 * slots + 24 * c.patterns.size;
}

/** sdscatrepr: bytes as a double-quoted C string with \n \r \t \a \b \\ \" and \xHH escapes. */
export function sdscatrepr(b: Uint8Array): string {
  let out = '"';
  for (const ch of b) {
    switch (ch) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : `\\x${ch.toString(16).padStart(2, '0')}`;
    }
  }
  return out + '"';
}
