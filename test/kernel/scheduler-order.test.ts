// The scheduler's fast paths (a queue for items due now, sweeping cancelled items out of the heap)
// must give exactly the order of one heap keyed by (time, scheduling order).
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/base/rng.ts';
import { Scheduler, type TimerHandle } from '../../src/kernel/scheduler.ts';

describe('scheduler order', () => {
  it('runs items by (time, scheduling order) through re-arming, cancelling and zero delays', () => {
    const rng = new RandomStreams(3).get('sched');
    const s = new Scheduler();
    const ran: number[] = [];
    const expected: Array<{ at: number; seq: number; id: number }> = [];
    const handles: Array<{ h: TimerHandle; id: number }> = [];
    let id = 0;
    let seq = 0;
    const add = (delay: number) => {
      const me = id++;
      const at = s.now + delay;
      const h = s.after(delay, () => {
        ran.push(me);
        // Items scheduled while running: some due now, some later.
        if (me % 7 === 0) add(0);
        if (me % 11 === 0) add(rng.int(0, 50));
      });
      expected.push({ at, seq: seq++, id: me });
      handles.push({ h, id: me });
    };
    for (let i = 0; i < 3000; i++) add(rng.int(0, 1000));
    // Cancel most of them (enough to trigger the sweep), as re-armed timers would be.
    const cancelled = new Set<number>();
    for (const { h, id: k } of handles) {
      if (rng.int(0, 3) !== 0) {
        s.cancel(h);
        cancelled.add(k);
      }
    }
    s.runUntil(10_000);
    // Replay the same schedule with a plain sort: what ran must be the non-cancelled items in
    // (at, seq) order, including those added while running (they are in `expected` too, in the
    // order they were scheduled).
    const want = expected.filter((e) => !cancelled.has(e.id)).sort((a, b) => a.at - b.at || a.seq - b.seq).map((e) => e.id);
    expect(ran).toEqual(want);
    expect(s.settled).toBe(true);
  });
});
