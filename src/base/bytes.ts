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
  return s instanceof Filler;
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

/** FIFO of byte runs; `length` counts filler too. Splits runs at exact positions on take/skip. */
export class ByteQueue {
  private segs: Segment[] = [];
  private head = 0; // index of first live segment
  private offset = 0; // bytes already consumed from segs[head]
  private len = 0;

  get length(): number {
    return this.len;
  }

  /** Appends a run (empty runs are ignored). */
  push(s: Segment): void {
    if (s.length === 0) return;
    this.segs.push(s);
    this.len += s.length;
  }

  pushAll(segs: readonly Segment[]): void {
    for (const s of segs) this.push(s);
  }

  /** Byte at position i from the front (filler yields its byte). */
  byteAt(i: number): number {
    let pos = i + this.offset;
    for (let k = this.head; k < this.segs.length; k++) {
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
    for (let k = this.head; k < this.segs.length && base < limit; k++) {
      const s = this.segs[k]!;
      const start = Math.max(from - base, 0);
      const end = Math.min(s.length, limit - base);
      if (start < end) {
        if (isFiller(s)) {
          if (s.byte === byte) return base + start;
        } else {
          const at = s.indexOf(byte, start);
          if (at !== -1 && at < end) return base + at;
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
    for (let k = this.head; k < this.segs.length && written < n; k++) {
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

  /** Removes and returns the first `n` bytes as runs (no copy of real bytes). */
  take(n: number): Segment[] {
    if (n > this.len) throw new RangeError(`take(${n}) beyond length ${this.len}`);
    const out: Segment[] = [];
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
    return out;
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
    this.segs = [];
    this.head = 0;
    this.offset = 0;
    this.len = 0;
  }

  /** Live runs, front first, without removing them. */
  segments(): Segment[] {
    const out: Segment[] = [];
    for (let k = this.head; k < this.segs.length; k++) {
      const s = this.segs[k]!;
      out.push(k === this.head && this.offset ? sliceSegment(s, this.offset, s.length) : s);
    }
    return out;
  }

  private dropHead(): void {
    this.segs[this.head] = undefined as unknown as Segment;
    this.head++;
    this.offset = 0;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.segs.length) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
  }
}
