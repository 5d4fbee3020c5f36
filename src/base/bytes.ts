// Byte runs that may be virtual: a `Filler` stands for N copies of one byte without allocating them,
// so a simulated 1 GB payload costs a few objects. `ByteQueue` is a FIFO of real and filler runs
// that splits them at exact byte positions. It does not interpret the bytes (that is protocol/).

/** N copies of `byte`, counted rather than allocated. */
export class Filler {
  constructor(readonly length: number, readonly byte: number = 0x78 /* 'x' */) {}
}

/** A run of bytes: real (a Buffer) or counted (a Filler). */
export type Segment = Buffer | Filler;

export function isFiller(s: Segment): s is Filler {
  // Performance: a Segment is a Filler exactly when it is not a typed-array view. ArrayBuffer.isView
  // is an intrinsic; `instanceof Filler` walked a Buffer's four-deep prototype chain on every test
  // (the most frequent check of the byte path).
  return !ArrayBuffer.isView(s);
}

/** Total length of a list of segments. */
export function segmentsLength(segs: readonly Segment[]): number {
  let n = 0;
  for (const s of segs) n += s.length;
  return n;
}

/** Slice of one segment, without copying real bytes. */
export function sliceSegment(s: Segment, start: number, end: number): Segment {
  return isFiller(s) ? new Filler(end - start, s.byte) : s.subarray(start, end);
}

/**
 * Concatenates segments into one segment: real bytes when every part is real (and the total is
 * small enough to allocate), otherwise a Filler of the total length (the content is then virtual).
 */
export function joinSegments(segs: readonly Segment[]): Segment {
  if (segs.length === 1) return segs[0]!;
  let virtual = false;
  for (const s of segs) if (isFiller(s)) { virtual = true; break; }
  if (virtual) {
    const first = segs.find(isFiller)!;
    return new Filler(segmentsLength(segs), first.byte);
  }
  return Buffer.concat(segs as Buffer[]);
}

/** Materialises segments as a Buffer (filler expanded). Only for small amounts, e.g. in tests. */
export function toBuffer(segs: readonly Segment[]): Buffer {
  return Buffer.concat(segs.map((s) => (isFiller(s) ? Buffer.alloc(s.length, s.byte) : s)));
}

/** Human-readable text of segments, with filler summarised as `<N×'x'>`. */
export function describeSegments(segs: readonly Segment[]): string {
  return segs
    .map((s) => (isFiller(s) ? `<${s.length}×${JSON.stringify(String.fromCharCode(s.byte))}>` : s.toString('latin1')))
    .join('');
}

/**
 * Position of `byte` in s[start, end), or -1. Performance: protocol lines are short, and
 * Buffer#indexOf costs a native call and searches to the end of the run whatever the limit (a
 * query buffer of pipelined commands was searched to its end for a NUL once per line), so short
 * ranges are scanned here and only long ones handed to indexOf.
 */
function scanByte(s: Buffer, byte: number, start: number, end: number): number {
  if (end - start <= 256) {
    for (let j = start; j < end; j++) if (s[j] === byte) return j;
    return -1;
  }
  const at = s.indexOf(byte, start);
  return at !== -1 && at < end ? at : -1;
}

/** headRun()'s answer, reused (read it before the next call). */
const HEAD_RUN: { run: Buffer; start: number } = { run: Buffer.alloc(0), start: 0 };

const NO_SEGS: Segment[] = Object.freeze([]) as unknown as Segment[];

/** FIFO of byte runs; `length` counts filler too. Splits runs at exact positions on take/skip. */
export class ByteQueue {
  private segs: Segment[] = NO_SEGS;
  /**
   * Slots in use are segs[head..end). Performance: when the queue empties, both go back to 0 and
   * the array is reused, so a socket's queue does not reallocate its array for every message.
   * Memory: a queue that never held anything shares one frozen empty array (a connection has
   * seven queues, most of them idle).
   */
  private end = 0;
  private head = 0; // index of first live segment
  private offset = 0; // bytes already consumed from segs[head]
  private len = 0;

  get length(): number {
    return this.len;
  }

  /** Appends a run (empty runs are ignored). */
  push(s: Segment): void {
    if (s.length === 0) return;
    if (this.segs === NO_SEGS) this.segs = [];
    this.segs[this.end++] = s;
    this.len += s.length;
  }

  pushAll(segs: readonly Segment[]): void {
    for (const s of segs) this.push(s);
  }
  /** Appends `segs` without their first `skip` bytes (what a short write() left unsent). */
  pushAllAfter(segs: readonly Segment[], skip: number): void {
    for (const seg of segs) {
      if (skip >= seg.length) {
        skip -= seg.length;
        continue;
      }
      this.push(skip > 0 ? sliceSegment(seg, skip, seg.length) : seg);
      skip = 0;
    }
  }


  /** Byte at position i from the front (filler yields its byte). */
  byteAt(i: number): number {
    let pos = i + this.offset;
    for (let k = this.head; k < this.end; k++) {
      const s = this.segs[k]!;
      if (pos < s.length) return isFiller(s) ? s.byte : s[pos]!;
      pos -= s.length;
    }
    throw new RangeError(`byteAt(${i}) beyond length ${this.len}`);
  }

  /**
   * Position of the first `byte` at or after `from`, searching at most up to `limit` (exclusive);
   * -1 when absent. Filler runs are checked in O(1).
   */
  indexOf(byte: number, from = 0, limit = this.len): number {
    let base = -this.offset; // position of segs[k][0] relative to the front
    for (let k = this.head; k < this.end && base < limit; k++) {
      const s = this.segs[k]!;
      const start = Math.max(from - base, 0);
      const end = Math.min(s.length, limit - base);
      if (start < end) {
        if (isFiller(s)) {
          if (s.byte === byte) return base + start;
        } else {
          const at = scanByte(s, byte, start, end);
          if (at !== -1) return base + at;
        }
      }
      base += s.length;
    }
    return -1;
  }

  /**
   * C strchr on the queue read as a NUL-terminated string: the position of the first `byte` (not
   * NUL) when no NUL comes before it, else -1. The same as `indexOf(byte)` followed by a check for
   * a NUL before it, in one pass (performance: the parser looks for the end of every line).
   */
  indexOfBeforeNul(byte: number): number {
    let base = -this.offset;
    for (let k = this.head; k < this.end; k++) {
      const s = this.segs[k]!;
      const start = k === this.head ? this.offset : 0;
      if (isFiller(s)) {
        if (s.byte === byte) return base + start;
        if (s.byte === 0) return -1;
      } else {
        const n = s.length;
        if (n - start <= 256) {
          for (let j = start; j < n; j++) {
            const c = s[j]!;
            if (c === byte) return base + j;
            if (c === 0) return -1;
          }
        } else {
          const at = s.indexOf(byte, start);
          if (scanByte(s, 0, start, at === -1 ? n : at) !== -1) return -1;
          if (at !== -1) return base + at;
        }
      }
      base += s.length;
    }
    return -1;
  }

  /** Copies `n` bytes starting at `from` into a Buffer (filler expanded): for short lines only. */
  peek(from: number, n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    let base = -this.offset;
    for (let k = this.head; k < this.end && written < n; k++) {
      const s = this.segs[k]!;
      const start = Math.max(from + written - base, 0);
      if (start < s.length) {
        const take = Math.min(s.length - start, n - written);
        if (isFiller(s)) out.fill(s.byte, written, written + take);
        else s.copy(out, written, start, start + take);
        written += take;
      }
      base += s.length;
    }
    if (written < n) throw new RangeError(`peek(${from}, ${n}) beyond length ${this.len}`);
    return out;
  }

  /**
   * The `n` bytes starting at `from` as a latin1 string (filler expanded): for short lines only.
   * Performance: decoded straight from the first run when the bytes lie inside it, without the
   * intermediate Buffer of peek().
   */
  latin1(from: number, n: number): string {
    const s = this.segs[this.head];
    const start = this.offset + from;
    if (s !== undefined && !isFiller(s) && start + n <= s.length) return s.toString('latin1', start, start + n);
    return this.peek(from, n).toString('latin1');
  }

  /**
   * The first run and the position in it of bytes [from, from + n) when they all lie in that run
   * and it is real; else null. Lets a parser read short fields in place.
   */
  headRun(from: number, n: number): { run: Buffer; start: number } | null {
    const s = this.segs[this.head];
    const start = this.offset + from;
    if (s === undefined || isFiller(s) || start + n > s.length) return null;
    HEAD_RUN.run = s;
    HEAD_RUN.start = start;
    return HEAD_RUN;
  }

  /**
   * Copies `n` bytes starting at `from` into `out` (filler expanded), as peek() without allocating:
   * for the parser's short number fields.
   */
  peekInto(from: number, n: number, out: Uint8Array): void {
    let written = 0;
    let base = -this.offset;
    for (let k = this.head; k < this.end && written < n; k++) {
      const s = this.segs[k]!;
      const start = Math.max(from + written - base, 0);
      if (start < s.length) {
        const take = Math.min(s.length - start, n - written);
        if (isFiller(s)) out.fill(s.byte, written, written + take);
        else for (let j = 0; j < take; j++) out[written + j] = s[start + j]!;
        written += take;
      }
      base += s.length;
    }
    if (written < n) throw new RangeError(`peekInto(${from}, ${n}) beyond length ${this.len}`);
  }

  /**
   * Removes the first `n` bytes and returns them as one run: joinSegments(take(n)), without the
   * intermediate array when they lie inside the first run (performance: the parser takes every
   * argument this way).
   */
  takeJoined(n: number): Segment {
    const s = this.segs[this.head];
    if (s !== undefined && n > 0 && this.offset + n <= s.length) {
      let out: Segment;
      if (this.offset === 0 && n === s.length) {
        out = s;
        this.dropHead();
      } else {
        out = sliceSegment(s, this.offset, this.offset + n);
        this.offset += n;
        if (this.offset === s.length) this.dropHead();
      }
      this.len -= n;
      this.compact();
      return out;
    }
    return joinSegments(this.take(n));
  }

  /**
   * Moves the first `n` bytes to the end of `to`: to.pushAll(this.take(n)) without the array
   * (performance: every network delivery moves bytes from a send queue to a receive queue).
   */
  transfer(n: number, to: ByteQueue): void {
    if (n > this.len) throw new RangeError(`transfer(${n}) beyond length ${this.len}`);
    this.moveFront(n, to);
  }

  /** Removes and returns the first `n` bytes as runs (no copy of real bytes). */
  take(n: number): Segment[] {
    if (n > this.len) throw new RangeError(`take(${n}) beyond length ${this.len}`);
    // Performance: bytes inside the first run come back as a one-element array (no growth).
    if (n > 0 && this.offset + n <= this.segs[this.head]!.length) return [this.takeJoined(n)];
    const out: Segment[] = [];
    this.moveFront(n, out);
    return out;
  }

  /** Moves the first `n` bytes (checked by the caller) to `out`, splitting runs at the boundary. */
  private moveFront(n: number, out: { push(s: Segment): unknown }): void {
    let left = n;
    while (left > 0) {
      const s = this.segs[this.head]!;
      const avail = s.length - this.offset;
      if (avail <= left) {
        out.push(this.offset === 0 ? s : sliceSegment(s, this.offset, s.length));
        left -= avail;
        this.dropHead();
      } else {
        out.push(sliceSegment(s, this.offset, this.offset + left));
        this.offset += left;
        left = 0;
      }
    }
    this.len -= n;
    this.compact();
  }

  /** Discards the first `n` bytes. */
  skip(n: number): void {
    if (n > this.len) throw new RangeError(`skip(${n}) beyond length ${this.len}`);
    let left = n;
    while (left > 0) {
      const s = this.segs[this.head]!;
      const avail = s.length - this.offset;
      if (avail <= left) {
        left -= avail;
        this.dropHead();
      } else {
        this.offset += left;
        left = 0;
      }
    }
    this.len -= n;
    this.compact();
  }

  /** Removes everything. */
  clear(): void {
    this.segs = NO_SEGS;
    this.end = 0;
    this.head = 0;
    this.offset = 0;
    this.len = 0;
  }

  /** Live runs, front first, without removing them. */
  segments(): Segment[] {
    const out: Segment[] = [];
    for (let k = this.head; k < this.end; k++) {
      const s = this.segs[k]!;
      out.push(k === this.head && this.offset ? sliceSegment(s, this.offset, s.length) : s);
    }
    return out;
  }

  private dropHead(): void {
    this.segs[this.head] = undefined as unknown as Segment;
    this.head++;
    this.offset = 0;
    if (this.head === this.end) this.head = this.end = 0;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.end) {
      this.segs = this.segs.slice(this.head, this.end);
      this.end -= this.head;
      this.head = 0;
    }
  }
}
