// The event loop of the core, after Redis's ae.c: file events (readable, writable), time events and
// a before-sleep hook, on top of a Backend's poll. It owns dispatch order; readiness order is the
// backend's. Time events created while time events run wait for the next iteration, as in ae.
import { AE_NONE, AE_READABLE, AE_WRITABLE, type Backend } from './backend.ts';

export { AE_NONE, AE_READABLE, AE_WRITABLE };
export const AE_NOMORE = -1;

/**
 * Handler of a file event: called with the fd, the mask that fired, and the clientData given to
 * createFileEvent (Redis's `void *clientData`), so that one handler can serve every client.
 */
export type FileProc = (fd: number, mask: number, clientData: any) => void;
/** Handler of a time event: returns the next period in ms, or AE_NOMORE to delete itself. */
export type TimeProc = (id: number) => number;

interface FileEvent {
  mask: number;
  rproc: FileProc | null;
  wproc: FileProc | null;
  clientData: unknown;
}

interface TimeEvent {
  id: number;
  whenUs: number;
  proc: TimeProc;
  deleted: boolean;
}

export class EventLoop {
  /**
   * Registered file events indexed by fd, as ae.c's `events[setsize]`. Memory and time: an array
   * slot per fd instead of a Map entry.
   */
  private readonly events: (FileEvent | undefined)[] = [];
  private timeEvents: TimeEvent[] = [];
  private nextTimeId = 0;
  private beforeSleep: (() => void) | null = null;
  private afterSleep: (() => void) | null = null;
  stopped = false;
  /**
   * AE_DONT_WAIT (aeSetDontWait): the next poll does not sleep. Read before beforeSleep runs, as
   * in ae.c, so a flag set by beforeSleep affects the following iteration.
   */
  dontWait = false;

  constructor(readonly backend: Backend, public setsize: number) {}

  /**
   * Registers `proc` for `mask` on `fd` (aeCreateFileEvent); `clientData` is passed to it (one
   * per fd, as in ae.c: the last registration sets it). Returns -1 when fd >= setsize.
   */
  createFileEvent(fd: number, mask: number, proc: FileProc, clientData?: unknown): number {
    if (fd >= this.setsize) return -1;
    let fe = this.events[fd];
    if (!fe) {
      fe = { mask: AE_NONE, rproc: null, wproc: null, clientData: undefined };
      while (this.events.length < fd) this.events.push(undefined); // keep the array dense
      this.events[fd] = fe;
    }
    fe.clientData = clientData;
    this.backend.pollAdd(fd, mask);
    fe.mask |= mask;
    if (mask & AE_READABLE) fe.rproc = proc;
    if (mask & AE_WRITABLE) fe.wproc = proc;
    return 0;
  }

  /** Unregisters `mask` on `fd` (aeDeleteFileEvent). */
  deleteFileEvent(fd: number, mask: number): void {
    const fe = this.events[fd];
    if (!fe) return;
    this.backend.pollDel(fd, mask);
    fe.mask &= ~mask;
    if (mask & AE_READABLE) fe.rproc = null;
    if (mask & AE_WRITABLE) fe.wproc = null;
    if (fe.mask === AE_NONE) this.events[fd] = undefined;
  }

  /** The mask currently registered on `fd` (aeGetFileEvents). */
  getFileEvents(fd: number): number {
    return this.events[fd]?.mask ?? AE_NONE;
  }

  /** Schedules `proc` in `ms` milliseconds (aeCreateTimeEvent). */
  createTimeEvent(ms: number, proc: TimeProc): number {
    const id = this.nextTimeId++;
    this.timeEvents.push({ id, whenUs: this.backend.nowUs() + Math.round(ms * 1000), proc, deleted: false });
    return id;
  }

  deleteTimeEvent(id: number): void {
    const te = this.timeEvents.find((t) => t.id === id);
    if (te) te.deleted = true;
  }

  setBeforeSleepProc(fn: (() => void) | null): void {
    this.beforeSleep = fn;
  }

  setAfterSleepProc(fn: (() => void) | null): void {
    this.afterSleep = fn;
  }

  /** Microseconds until the nearest time event (0 if overdue), or null when there is none. */
  private nearestTimerUs(): number | null {
    let min = Infinity;
    for (const t of this.timeEvents) if (!t.deleted && t.whenUs < min) min = t.whenUs;
    if (min === Infinity) return null;
    return Math.max(0, min - this.backend.nowUs());
  }

  /**
   * One iteration (aeProcessEvents): compute the wait until the nearest timer, before-sleep hook,
   * poll for that long, then for each
   * ready fd the read handler followed by the write handler, then due time events.
   */
  processEvents(): void {
    // As in ae.c: the poll timeout is computed before beforeSleep runs, so time spent in
    // beforeSleep (writing replies) delays the next timer rather than shortening the wait.
    const timeout = this.dontWait ? 0 : this.nearestTimerUs();
    this.beforeSleep?.();
    const fired = this.backend.poll(timeout);
    this.afterSleep?.();
    for (const { fd, mask } of fired) {
      const fe = this.events[fd];
      if (!fe) continue;
      let done = false;
      if (fe.mask & mask & AE_READABLE && fe.rproc) {
        fe.rproc(fd, mask, fe.clientData);
        done = fe.rproc === fe.wproc;
      }
      // Re-read: the read handler may have deleted or replaced this fd's events.
      const fe2 = this.events[fd];
      if (fe2 && fe2.mask & mask & AE_WRITABLE && fe2.wproc && (!done || fe2.wproc !== fe2.rproc)) fe2.wproc(fd, mask, fe2.clientData);
    }
    this.processTimeEvents();
  }

  private processTimeEvents(): void {
    const maxId = this.nextTimeId - 1;
    const now = this.backend.nowUs();
    // Performance: the list is filtered only when something was deleted, and walked by index up to
    // its length at the start instead of over a copy (events created meanwhile are appended, and
    // skipped anyway by the id check), as an idle server runs this on every iteration.
    let deleted = false;
    for (const t of this.timeEvents) if (t.deleted) deleted = true;
    if (deleted) this.timeEvents = this.timeEvents.filter((t) => !t.deleted);
    const list = this.timeEvents;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const te = list[i]!;
      if (te.deleted || te.id > maxId) continue;
      if (te.whenUs <= now) {
        const ret = te.proc(te.id);
        if (ret === AE_NOMORE) te.deleted = true;
        else te.whenUs = this.backend.nowUs() + Math.round(ret * 1000);
      }
    }
  }

  /** Runs iterations until stop() or `keepGoing` says no (aeMain). */
  main(keepGoing: () => boolean = () => true): void {
    this.stopped = false;
    while (!this.stopped && keepGoing()) this.processEvents();
  }

  stop(): void {
    this.stopped = true;
  }
}
