// The single virtual clock and its scheduler: every future happening is keyed (time, seq), so ties
// run in the order they were scheduled. The clock only jumps forward to the next due item; idle time
// costs nothing. This file knows nothing of sockets.

/** What the kernel schedules: a callback plus a tag used to decide when a run has settled. */
interface Item {
  at: number;
  seq: number;
  fn: () => void;
  /** Recurring background work (keepalive timers) does not keep a run alive. */
  background: boolean;
  cancelled: boolean;
}

/** Handle to cancel a scheduled item. */
export type TimerHandle = Item;

export class Scheduler {
  private heap: Item[] = [];
  private seq = 0;
  private live = 0; // non-background, non-cancelled items
  /** Current virtual time in integer microseconds. */
  now = 0;

  /** Runs `fn` at virtual time `at` (clamped to now). */
  at(at: number, fn: () => void, background = false): TimerHandle {
    const item: Item = { at: Math.max(at, this.now), seq: this.seq++, fn, background, cancelled: false };
    this.pushItem(item);
    if (!background) this.live++;
    return item;
  }

  /** Runs `fn` after `delay` microseconds. */
  after(delay: number, fn: () => void, background = false): TimerHandle {
    return this.at(this.now + delay, fn, background);
  }

  cancel(h: TimerHandle): void {
    if (h.cancelled) return;
    h.cancelled = true;
    if (!h.background) this.live--;
  }

  /** Time of the next item, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** True when only background items (or nothing) remain. */
  get settled(): boolean {
    return this.live === 0;
  }

  /** Pops and runs the next item, advancing the clock to its time. False when empty. */
  runNext(): boolean {
    this.dropCancelled();
    const item = this.popItem();
    if (!item) return false;
    if (!item.background) this.live--;
    item.cancelled = true;
    if (item.at > this.now) this.now = item.at;
    item.fn();
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
    while (this.heap.length && this.heap[0]!.cancelled) this.popItem();
  }

  private less(a: Item, b: Item): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private pushItem(item: Item): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private popItem(): Item | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
