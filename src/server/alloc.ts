// Allocation sizes as Redis sees them (jemalloc size classes, sds headers, reply blocks), so that
// qbuf-free, omem and the limits computed from them match the real server. Sizes only: nothing
// here allocates.

/** jemalloc's usable size for a request of `n` bytes (size classes: 4 per doubling above 128). */
export function jemallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  const lg = Math.floor(Math.log2(n - 1));
  const spacing = 2 ** (lg - 2);
  return Math.ceil(n / spacing) * spacing;
}

/** sds header size for a string whose allocation is `len` (sdsReqType; type 5 is promoted to 8). */
function sdsHdr(len: number): number {
  if (len < 256) return 3;
  if (len < 65536) return 5;
  if (len < 2 ** 32) return 9;
  return 17;
}

/** Usable sds capacity (sdsalloc) after allocating room for `len` bytes. */
export function sdsAllocFor(len: number): number {
  const hdr = sdsHdr(len);
  return jemallocSize(hdr + len + 1) - hdr - 1;
}

/** sdsMakeRoomForNonGreedy: capacity so that `addlen` more bytes fit after `len`. */
export function sdsRoomNonGreedy(len: number, alloc: number, addlen: number): number {
  if (alloc - len >= addlen) return alloc;
  return sdsAllocFor(len + addlen);
}

/** SDS_MAX_PREALLOC: below it sdsMakeRoomFor doubles, above it adds 1 MB. */
const SDS_MAX_PREALLOC = 1024 * 1024;

/** sdsMakeRoomFor (greedy): as above, but over-allocates as Redis does to amortise growth. */
export function sdsRoomGreedy(len: number, alloc: number, addlen: number): number {
  if (alloc - len >= addlen) return alloc;
  let newlen = len + addlen;
  newlen = newlen < SDS_MAX_PREALLOC ? newlen * 2 : newlen + SDS_MAX_PREALLOC;
  return sdsAllocFor(newlen);
}

/** sizeof(clientReplyBlock) header. */
export const REPLY_BLOCK_HDR = 16;
/** sizeof(listNode) + sizeof(clientReplyBlock): the per-node overhead counted in omem. */
export const REPLY_NODE_OVERHEAD = 40;

/** Capacity of a new reply block asked to hold `size` bytes (usable size minus its header). */
export function replyBlockCapacity(size: number): number {
  return jemallocSize(size + REPLY_BLOCK_HDR) - REPLY_BLOCK_HDR;
}
