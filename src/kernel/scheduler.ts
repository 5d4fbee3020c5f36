// The single virtual clock and its scheduler: every future happening is keyed (time, seq), so ties
// run in the order they were scheduled. The clock only jumps forward to the next due item; idle time
// costs nothing. This file knows nothing of sockets.

/**
 * What the kernel schedules: a callback (called with `arg`) plus a tag used to decide when a run
 * has settled. Memory and time: passing the subject as `arg` to a shared callback saves a closure
 * per socket or per packet.
 */
interface Item {
  at: number;
  seq: number;
  fn: (arg: any) => void;
  arg: unknown;
  /** Recurring background work (keepalive timers) does not keep a run alive. */
  background: boolean;
  cancelled: boolean;
}

/** Handle to cancel a scheduled item. */
export type TimerHandle = Item;

export class Scheduler {
  private heap: Item[] = [];
  /**
   * Items due at the current time, in scheduling order (performance: wake-ups scheduled with
   * after(0) skip the heap). Every item here has `at === now` — time only moves on by running an
   * item due later, and these come first — and a higher seq than any item already in the queue, so
   * the next item is whichever of this queue's head and the heap's top has the smaller (at, seq):
   * the same order as a single heap.
   */
  private nowQueue: Item[] = [];
  private nowHead = 0;
  /**
   * Cancelled items still stored (they are dropped lazily when they reach the front). Memory and
   * time: re-armed timers (keepalive is re-armed by every setsockopt) would otherwise pile up in
   * the heap until their time comes, so once they are half of it they are swept out at once.
   */
  private cancelledStored = 0;
  private seq = 0;
  private live = 0; // non-background, non-cancelled items
  /** Current virtual time in integer microseconds. */
  now = 0;

  /** Runs `fn(arg)` at virtual time `at` (clamped to now). */
  at<A = undefined>(at: number, fn: (arg: A) => void, background = false, arg?: A): TimerHandle {
    const item: Item = { at: Math.max(at, this.now), seq: this.seq++, fn, arg, background, cancelled: false };
    if (item.at === this.now) this.nowQueue.push(item);
    else this.pushItem(item);
    if (!background) this.live++;
    return item;
  }

  /** Runs `fn(arg)` after `delay` microseconds. */
  after<A = undefined>(delay: number, fn: (arg: A) => void, background = false, arg?: A): TimerHandle {
    return this.at(this.now + delay, fn, background, arg);
  }

  cancel(h: TimerHandle): void {
    if (h.cancelled) return;
    h.cancelled = true;
    if (!h.background) this.live--;
    if (++this.cancelledStored > 1024 && this.cancelledStored * 2 > this.heap.length) this.compact();
  }

  /** Time of the next item, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.nowHead < this.nowQueue.length ? this.nowQueue[this.nowHead]!.at : this.heap[0]?.at;
  }

  /** True when only background items (or nothing) remain. */
  get settled(): boolean {
    return this.live === 0;
  }

  /** Pops and runs the next item, advancing the clock to its time. False when empty. */
  runNext(): boolean {
    this.dropCancelled();
    const item = this.popNext();
    if (!item) return false;
    if (!item.background) this.live--;
    item.cancelled = true;
    if (item.at > this.now) this.now = item.at;
    item.fn(item.arg);
    return true;
  }

  /** Runs every item due at or before `t`, then sets the clock to `t`. */
  runUntil(t: number): void {
    for (;;) {
      const next = this.peekTime();
      if (next === undefined || next > t) break;
      this.runNext();
    }
    if (t > this.now) this.now = t;
  }

  private dropCancelled(): void {
    const q = this.nowQueue;
    while (this.nowHead < q.length && q[this.nowHead]!.cancelled) {
      this.shiftNow();
      this.cancelledStored--;
    }
    while (this.heap.length && this.heap[0]!.cancelled) {
      this.popItem();
      this.cancelledStored--;
    }
  }

  /** Removes every cancelled item. The order of the others, a total order on (at, seq), is unchanged. */
  private compact(): void {
    this.nowQueue = this.nowQueue.slice(this.nowHead).filter((i) => !i.cancelled);
    this.nowHead = 0;
    const h = this.heap.filter((i) => !i.cancelled);
    this.heap = [];
    for (const item of h) this.pushItem(item);
    this.cancelledStored = 0;
  }

  /** The next item of both queues by (at, seq), removed. */
  private popNext(): Item | undefined {
    const q = this.nowQueue;
    if (this.nowHead < q.length) {
      const a = q[this.nowHead]!;
      const b = this.heap[0];
      if (!b || a.at < b.at || (a.at === b.at && a.seq < b.seq)) return this.shiftNow();
    }
    return this.popItem();
  }

  private shiftNow(): Item {
    const q = this.nowQueue;
    const item = q[this.nowHead]!;
    q[this.nowHead++] = undefined as unknown as Item;
    if (this.nowHead === q.length) {
      q.length = 0;
      this.nowHead = 0;
    }
    return item;
  }

  // Performance: the heap moves a hole instead of swapping through destructuring, and compares
  // (at, seq) inline; the order is the same (time, then scheduling order).

  private pushItem(item: Item): void {
    const h = this.heap;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p]!;
      if (q.at < item.at || (q.at === item.at && q.seq < item.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = item;
  }

  private popItem(): Item | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let m = l;
        let c = h[l]!;
        const r = l + 1;
        if (r < n) {
          const d = h[r]!;
          if (d.at < c.at || (d.at === c.at && d.seq < c.seq)) {
            m = r;
            c = d;
          }
        }
        if (!(c.at < last.at || (c.at === last.at && c.seq < last.seq))) break;
        h[i] = c;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
