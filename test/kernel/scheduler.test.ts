import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/kernel/scheduler.ts';

describe('Scheduler', () => {
  it('items due at the same time run in the order they were scheduled', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(10, () => log.push('a'));
    s.at(5, () => log.push('early'));
    s.at(10, () => log.push('b'));
    s.after(10, () => log.push('c'));
    s.at(10, () => log.push('d'));
    s.runUntil(100);
    expect(log).toEqual(['early', 'a', 'b', 'c', 'd']);
  });

  it('ties keep scheduling order across many items (heap is stable by seq)', () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (let i = 0; i < 200; i++) s.at((i * 7) % 3, () => log.push(i));
    s.runUntil(10);
    const expected = [0, 1, 2].flatMap((t) => Array.from({ length: 200 }, (_, i) => i).filter((i) => (i * 7) % 3 === t));
    expect(log).toEqual(expected);
  });

  it('an item scheduled for the current time from inside a callback runs after those already due then', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(5, () => {
      log.push('first');
      s.after(0, () => log.push('nested'));
    });
    s.at(5, () => log.push('second'));
    s.runUntil(5);
    expect(log).toEqual(['first', 'second', 'nested']);
  });

  it('the clock jumps straight to the next due item over idle time', () => {
    const s = new Scheduler();
    const times: number[] = [];
    s.at(3_600_000_000, () => times.push(s.now));
    s.at(7, () => times.push(s.now));
    expect(s.runNext()).toBe(true);
    expect(s.now).toBe(7);
    expect(s.runNext()).toBe(true);
    expect(s.now).toBe(3_600_000_000);
    expect(times).toEqual([7, 3_600_000_000]);
    expect(s.runNext()).toBe(false);
  });

  it('runUntil runs items due at or before t and then sets the clock to t', () => {
    const s = new Scheduler();
    const log: number[] = [];
    s.at(10, () => log.push(10));
    s.at(20, () => log.push(20));
    s.at(21, () => log.push(21));
    s.runUntil(20);
    expect(log).toEqual([10, 20]);
    expect(s.now).toBe(20);
    expect(s.peekTime()).toBe(21);
    s.runUntil(15); // never moves backwards
    expect(s.now).toBe(20);
    s.runUntil(1000);
    expect(s.now).toBe(1000);
    expect(log).toEqual([10, 20, 21]);
  });

  it('a time in the past is clamped to now', () => {
    const s = new Scheduler();
    s.runUntil(100);
    let ranAt = -1;
    s.at(50, () => (ranAt = s.now));
    expect(s.peekTime()).toBe(100);
    s.runNext();
    expect(ranAt).toBe(100);
  });

  it('a cancelled item never runs and no longer counts as scheduled', () => {
    const s = new Scheduler();
    const log: string[] = [];
    const h = s.at(10, () => log.push('cancelled'));
    s.at(20, () => log.push('kept'));
    s.cancel(h);
    expect(s.peekTime()).toBe(20);
    s.runUntil(100);
    expect(log).toEqual(['kept']);
    expect(s.settled).toBe(true);
  });

  it('cancelling twice, or after the item ran, does not disturb the live count', () => {
    const s = new Scheduler();
    const a = s.at(1, () => {});
    s.runNext();
    s.cancel(a); // already ran
    const b = s.at(5, () => {});
    s.cancel(b);
    s.cancel(b);
    expect(s.settled).toBe(true);
    s.at(9, () => {});
    expect(s.settled).toBe(false);
  });

  it('settled ignores background items but counts foreground ones', () => {
    const s = new Scheduler();
    expect(s.settled).toBe(true);
    s.at(100, () => {}, true);
    expect(s.settled).toBe(true);
    expect(s.peekTime()).toBe(100);
    const fg = s.at(50, () => {});
    expect(s.settled).toBe(false);
    s.runNext(); // runs fg
    expect(s.settled).toBe(true);
    s.cancel(s.at(60, () => {}));
    expect(s.settled).toBe(true);
    void fg;
  });

  it('background items still run when their time comes', () => {
    const s = new Scheduler();
    let ran = false;
    s.after(30, () => (ran = true), true);
    s.runUntil(29);
    expect(ran).toBe(false);
    s.runUntil(30);
    expect(ran).toBe(true);
    expect(s.peekTime()).toBeUndefined();
  });
});
