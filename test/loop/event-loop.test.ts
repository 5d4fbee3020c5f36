import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/base/bytes.ts';
import type { Accepted, Backend, FiredEvent, SockOpt } from '../../src/loop/backend.ts';
import { AE_NOMORE, AE_READABLE, AE_WRITABLE, EventLoop } from '../../src/loop/event-loop.ts';
import type { EventBody, EventKind, Tracer } from '../../src/timeline/events.ts';

/**
 * A scripted backend: poll returns the next queued list of fired events (or none) and moves its
 * clock forward by the timeout when nothing fires; every call is logged.
 */
class FakeBackend implements Backend {
  now = 0;
  readonly log: string[] = [];
  readonly timeouts: Array<number | null> = [];
  readonly interest = new Map<number, number>();
  /** Fired lists returned by successive polls. */
  readonly script: FiredEvent[][] = [];
  readonly tracer: Tracer = {
    emit: (_b: EventBody) => {},
    wants: (_k: EventKind) => false,
  };

  nowUs(): number {
    return this.now;
  }
  unixTimeUs(): number {
    return this.now;
  }
  pollAdd(fd: number, mask: number): void {
    this.log.push(`pollAdd ${fd} ${mask}`);
    this.interest.set(fd, (this.interest.get(fd) ?? 0) | mask);
  }
  pollDel(fd: number, mask: number): void {
    this.log.push(`pollDel ${fd} ${mask}`);
    const m = (this.interest.get(fd) ?? 0) & ~mask;
    if (m) this.interest.set(fd, m);
    else this.interest.delete(fd);
  }
  poll(timeoutUs: number | null): FiredEvent[] {
    this.log.push(`poll ${timeoutUs}`);
    this.timeouts.push(timeoutUs);
    const fired = this.script.shift();
    if (fired) return fired;
    if (timeoutUs !== null) this.now += timeoutUs;
    return [];
  }
  listen(): number {
    return -1;
  }
  accept(): Accepted | number {
    return -11;
  }
  read(): Segment[] | number {
    return -11;
  }
  write(): number {
    return -11;
  }
  close(): void {}
  tlsAccept(): number {
    return -95;
  }
  tlsHandshake(): number {
    return -95;
  }
  tlsLastError(): string | null {
    return null;
  }
  tlsPending(): number {
    return 0;
  }
  setsockopt(_fd: number, _opt: SockOpt, _v: number): number {
    return 0;
  }
  getrlimit(): { soft: number; hard: number } {
    return { soft: 1024, hard: 1024 };
  }
  setrlimit(): number {
    return 0;
  }
  spend(us: number): void {
    this.now += us;
  }
}

function make(setsize = 1024) {
  const b = new FakeBackend();
  return { b, loop: new EventLoop(b, setsize) };
}

describe('file events', () => {
  it('the read handler runs before the write handler for the same fd', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createFileEvent(5, AE_WRITABLE, (fd, mask) => calls.push(`w${fd}:${mask}`));
    loop.createFileEvent(5, AE_READABLE, (fd, mask) => calls.push(`r${fd}:${mask}`));
    b.script.push([{ fd: 5, mask: AE_READABLE | AE_WRITABLE }]);
    loop.processEvents();
    expect(calls).toEqual(['r5:3', 'w5:3']);
  });

  it('ready fds are dispatched in the order the backend reports them', () => {
    const { b, loop } = make();
    const calls: number[] = [];
    for (const fd of [4, 5, 6]) loop.createFileEvent(fd, AE_READABLE, (f) => calls.push(f));
    b.script.push([{ fd: 6, mask: 1 }, { fd: 4, mask: 1 }, { fd: 5, mask: 1 }]);
    loop.processEvents();
    expect(calls).toEqual([6, 4, 5]);
  });

  it('one handler registered for both masks runs once when both fire', () => {
    const { b, loop } = make();
    let n = 0;
    const proc = () => n++;
    loop.createFileEvent(7, AE_READABLE | AE_WRITABLE, proc);
    b.script.push([{ fd: 7, mask: 3 }]);
    loop.processEvents();
    expect(n).toBe(1);
  });

  it('a handler only runs for the masks that are both registered and fired', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createFileEvent(5, AE_READABLE, () => calls.push('r'));
    b.script.push([{ fd: 5, mask: AE_WRITABLE }], [{ fd: 9, mask: 3 }]);
    loop.processEvents();
    loop.processEvents();
    expect(calls).toEqual([]);
  });

  it('a write handler deleted by the read handler of the same fd does not run', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createFileEvent(5, AE_WRITABLE, () => calls.push('w'));
    loop.createFileEvent(5, AE_READABLE, (fd) => {
      calls.push('r');
      loop.deleteFileEvent(fd, AE_READABLE | AE_WRITABLE);
    });
    b.script.push([{ fd: 5, mask: 3 }]);
    loop.processEvents();
    expect(calls).toEqual(['r']);
  });

  it('an fd whose events were deleted by an earlier handler in the same iteration is skipped', () => {
    const { b, loop } = make();
    const calls: number[] = [];
    loop.createFileEvent(4, AE_READABLE, () => {
      calls.push(4);
      loop.deleteFileEvent(5, AE_READABLE);
    });
    loop.createFileEvent(5, AE_READABLE, () => calls.push(5));
    b.script.push([{ fd: 4, mask: 1 }, { fd: 5, mask: 1 }]);
    loop.processEvents();
    expect(calls).toEqual([4]);
  });

  it('createFileEvent refuses fds at or beyond setsize without touching the backend', () => {
    const { b, loop } = make(10);
    expect(loop.createFileEvent(10, AE_READABLE, () => {})).toBe(-1);
    expect(b.log).toEqual([]);
    expect(loop.createFileEvent(9, AE_READABLE, () => {})).toBe(0);
    expect(b.log).toEqual(['pollAdd 9 1']);
  });

  it('masks accumulate and deleting one keeps the other', () => {
    const { b, loop } = make();
    loop.createFileEvent(5, AE_READABLE, () => {});
    loop.createFileEvent(5, AE_WRITABLE, () => {});
    expect(loop.getFileEvents(5)).toBe(3);
    loop.deleteFileEvent(5, AE_WRITABLE);
    expect(loop.getFileEvents(5)).toBe(AE_READABLE);
    expect(b.interest.get(5)).toBe(AE_READABLE);
    loop.deleteFileEvent(5, AE_READABLE);
    expect(loop.getFileEvents(5)).toBe(0);
    expect(b.interest.has(5)).toBe(false);
    loop.deleteFileEvent(6, AE_READABLE); // never registered: no backend call
    expect(b.log.filter((l) => l.includes(' 6 '))).toEqual([]);
  });
});

describe('time events', () => {
  it('poll waits exactly until the nearest timer', () => {
    const { b, loop } = make();
    loop.createTimeEvent(250, () => AE_NOMORE);
    loop.createTimeEvent(100, () => AE_NOMORE);
    loop.createTimeEvent(1.5, () => AE_NOMORE);
    b.now = 1000;
    loop.processEvents();
    expect(b.timeouts[0]).toBe(500); // 1.5 ms after t=0, now 1 ms later
  });

  it('poll has no timeout when there is no timer, and 0 when a timer is overdue', () => {
    const { b, loop } = make();
    b.script.push([]);
    loop.processEvents();
    expect(b.timeouts).toEqual([null]);
    loop.createTimeEvent(1, () => AE_NOMORE);
    b.now += 5000;
    b.script.push([]);
    loop.processEvents();
    expect(b.timeouts[1]).toBe(0);
  });

  it('a due timer runs after the file events of the same iteration', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createTimeEvent(0, () => (calls.push('timer'), AE_NOMORE));
    loop.createFileEvent(4, AE_READABLE, () => calls.push('file'));
    b.script.push([{ fd: 4, mask: 1 }]);
    loop.processEvents();
    expect(calls).toEqual(['file', 'timer']);
  });

  it('a timer does not run before it is due', () => {
    const { b, loop } = make();
    let ran = 0;
    loop.createTimeEvent(10, () => (ran++, AE_NOMORE));
    b.script.push([]); // poll returns early with nothing
    loop.processEvents();
    expect(ran).toBe(0);
    loop.processEvents(); // waits the 10 ms
    expect(ran).toBe(1);
    expect(b.now).toBe(10_000);
  });

  it('a returned period reschedules the timer from the time it ran', () => {
    const { b, loop } = make();
    const at: number[] = [];
    loop.createTimeEvent(100, () => {
      at.push(b.now);
      b.now += 7; // the handler takes 7 µs
      return 100;
    });
    for (let i = 0; i < 3; i++) loop.processEvents();
    expect(at).toEqual([100_000, 200_007, 300_014]);
    expect(b.timeouts).toEqual([100_000, 100_000, 100_000]);
  });

  it('AE_NOMORE deletes a timer', () => {
    const { b, loop } = make();
    let runs = 0;
    loop.createTimeEvent(1, () => (runs++, AE_NOMORE));
    loop.processEvents();
    expect(runs).toBe(1);
    b.script.push([]);
    loop.processEvents();
    expect(runs).toBe(1);
    expect(b.timeouts).toEqual([1000, null]);
  });

  it('a time event created inside a time event handler does not run in the same iteration', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createTimeEvent(0, () => {
      calls.push('outer');
      loop.createTimeEvent(0, () => (calls.push('inner'), AE_NOMORE));
      return AE_NOMORE;
    });
    loop.processEvents();
    expect(calls).toEqual(['outer']);
    loop.processEvents();
    expect(calls).toEqual(['outer', 'inner']);
    expect(b.timeouts).toEqual([0, 0]);
  });

  it('a time event created by a file handler runs in the same iteration when due', () => {
    const { b, loop } = make();
    const calls: string[] = [];
    loop.createFileEvent(4, AE_READABLE, () => {
      loop.createTimeEvent(0, () => (calls.push('timer'), AE_NOMORE));
    });
    b.script.push([{ fd: 4, mask: 1 }]);
    loop.processEvents();
    expect(calls).toEqual(['timer']);
  });

  it('a timer deleted by an earlier timer in the same iteration does not run', () => {
    const { loop } = make();
    const calls: string[] = [];
    let second = -1;
    loop.createTimeEvent(0, () => {
      calls.push('first');
      loop.deleteTimeEvent(second);
      return AE_NOMORE;
    });
    second = loop.createTimeEvent(0, () => (calls.push('second'), AE_NOMORE));
    loop.processEvents();
    expect(calls).toEqual(['first']);
  });

  it('a deleted timer no longer bounds the poll timeout', () => {
    const { b, loop } = make();
    const id = loop.createTimeEvent(5, () => AE_NOMORE);
    loop.createTimeEvent(50, () => AE_NOMORE);
    loop.deleteTimeEvent(id);
    loop.processEvents();
    expect(b.timeouts[0]).toBe(50_000);
  });
});

describe('hooks and main', () => {
  it('before-sleep runs before poll and after-sleep right after it', () => {
    const { b, loop } = make();
    loop.setBeforeSleepProc(() => b.log.push('beforeSleep'));
    loop.setAfterSleepProc(() => b.log.push('afterSleep'));
    loop.createFileEvent(4, AE_READABLE, () => b.log.push('read 4'));
    b.script.push([{ fd: 4, mask: 1 }]);
    loop.processEvents();
    expect(b.log).toEqual(['pollAdd 4 1', 'beforeSleep', 'poll null', 'afterSleep', 'read 4']);
  });

  it('main runs iterations until stop() is called', () => {
    const { loop } = make();
    let n = 0;
    loop.createTimeEvent(1, () => {
      if (++n === 5) loop.stop();
      return 1;
    });
    loop.main();
    expect(n).toBe(5);
    expect(loop.stopped).toBe(true);
  });

  it('main stops when keepGoing says no', () => {
    const { b, loop } = make();
    let iterations = 0;
    loop.setBeforeSleepProc(() => iterations++);
    loop.main(() => b.timeouts.length < 3);
    expect(iterations).toBe(3);
  });
});
