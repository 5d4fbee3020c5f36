// RESP reply encoding (Redis addReply* shapes) and the shared constant replies of the hot path.
// Owns bytes only: not which reply a command gives, nor output-buffer accounting or writing.
// Text arguments are byte strings: one char per byte (latin1), as args decoded with 'latin1'.

import type { Segment } from '../base/bytes.ts';

// Shared replies (SRC server.c createSharedObjects). Never mutate these Buffers: they are reused.
export const CRLF: Buffer = Buffer.from('\r\n', 'latin1');
export const OK: Buffer = Buffer.from('+OK\r\n', 'latin1');
export const PONG: Buffer = Buffer.from('+PONG\r\n', 'latin1');
export const QUEUED: Buffer = Buffer.from('+QUEUED\r\n', 'latin1');
export const CZERO: Buffer = Buffer.from(':0\r\n', 'latin1');
export const CONE: Buffer = Buffer.from(':1\r\n', 'latin1');
export const EMPTY_ARRAY: Buffer = Buffer.from('*0\r\n', 'latin1');
export const NULL_BULK: Buffer = Buffer.from('$-1\r\n', 'latin1');
export const NULL_ARRAY: Buffer = Buffer.from('*-1\r\n', 'latin1');
/** RESP3 null: what Redis sends instead of both null forms once HELLO 3 was used. */
export const NULL_RESP3: Buffer = Buffer.from('_\r\n', 'latin1');

// Like Redis's shared.mbulkhdr / shared.bulkhdr (OBJ_SHARED_BULKHDR_LEN = 32): small headers are
// precomputed so the common replies do not allocate them.
const SHARED_HDR_LEN = 32;
const ARRAY_HDRS: Buffer[] = Array.from({ length: SHARED_HDR_LEN }, (_, i) => Buffer.from(`*${i}\r\n`, 'latin1'));
const BULK_HDRS: Buffer[] = Array.from({ length: SHARED_HDR_LEN }, (_, i) => Buffer.from(`$${i}\r\n`, 'latin1'));

/**
 * Redis 7.0.15 as patched by Debian (CVE-2025-67733) replaces CR and LF inside status and error
 * replies by spaces, which also keeps a stray newline from breaking the protocol stream.
 */
function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, ' ') : text;
}

/** `+<text>\r\n` (CR/LF in the text become spaces). */
export function status(text: string): Buffer {
  if (text === 'OK') return OK;
  if (text === 'PONG') return PONG;
  if (text === 'QUEUED') return QUEUED;
  return Buffer.from(`+${oneLine(text)}\r\n`, 'latin1');
}

/**
 * `-<text>\r\n`. The caller passes the full text including its code, e.g. `ERR unknown command ...`
 * or `NOAUTH Authentication required.` (CR/LF in the text become spaces).
 */
export function error(text: string): Buffer {
  return Buffer.from(`-${oneLine(text)}\r\n`, 'latin1');
}

/** `:<n>\r\n`; 0 and 1 are the shared constants. */
export function integer(n: number | bigint): Buffer {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new RangeError(`integer reply needs an integer, got ${n}`);
  if (n === 0 || n === 0n) return CZERO;
  if (n === 1 || n === 1n) return CONE;
  return Buffer.from(`:${n}\r\n`, 'latin1');
}

/** `$<len>\r\n` header of a bulk string. */
export function bulkHeader(len: number): Buffer {
  return len >= 0 && len < SHARED_HDR_LEN ? BULK_HDRS[len]! : Buffer.from(`$${len}\r\n`, 'latin1');
}

/** A bulk string reply as runs: header, the data itself (kept virtual if it is a Filler), CRLF. */
export function bulk(seg: Segment): Segment[] {
  return [bulkHeader(seg.length), seg, CRLF];
}

/** A bulk string reply of a (byte) string, as one Buffer. */
export function bulkString(s: string): Buffer {
  const data = Buffer.from(s, 'latin1');
  return Buffer.concat([bulkHeader(data.length), data, CRLF]);
}

/** `$-1\r\n` (RESP2 null bulk), or `_\r\n` for a RESP3 client. */
export function nullBulk(resp: 2 | 3 = 2): Buffer {
  return resp === 3 ? NULL_RESP3 : NULL_BULK;
}

/** `*-1\r\n` (RESP2 null array), or `_\r\n` for a RESP3 client. */
export function nullArray(resp: 2 | 3 = 2): Buffer {
  return resp === 3 ? NULL_RESP3 : NULL_ARRAY;
}

/** `*<n>\r\n` header of an array of n replies. */
export function arrayHeader(n: number): Buffer {
  return n >= 0 && n < SHARED_HDR_LEN ? ARRAY_HDRS[n]! : Buffer.from(`*${n}\r\n`, 'latin1');
}

/** `%<n>\r\n` RESP3 map header of n key/value pairs (RESP2 clients get arrayHeader(2n) instead). */
export function mapHeader(n: number): Buffer {
  return Buffer.from(`%${n}\r\n`, 'latin1');
}

/** `~<n>\r\n` RESP3 set header (RESP2 clients get an array header). */
export function setHeader(n: number): Buffer {
  return Buffer.from(`~${n}\r\n`, 'latin1');
}

/** `><n>\r\n` RESP3 push header (Pub/Sub messages for RESP3 clients; RESP2 gets an array header). */
export function pushHeader(n: number): Buffer {
  return Buffer.from(`>${n}\r\n`, 'latin1');
}
