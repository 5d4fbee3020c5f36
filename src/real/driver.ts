// Drives the core's event loop (loop/event-loop.ts) from Node's event loop. Redis sleeps inside
// epoll_wait, after beforeSleep; here poll() never blocks, so the driver sleeps between iterations
// instead: it runs the next iteration at once (setImmediate) while anything is ready or was just
// handled, and otherwise waits for Node's next I/O callback or the nearest timer.
// Not here: readiness itself (net-backend.ts) and the server (serve.ts).
import type { EventLoop } from '../loop/event-loop.ts';
import type { NetBackend } from './net-backend.ts';

export class LoopDriver {
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Iterations run so far (for tests and the status line). */
  iterations = 0;

  /**
   * @param onCrash called once if an iteration throws (a bug in the core): the driver stops.
   */
  constructor(
    private readonly loop: EventLoop,
    private readonly backend: NetBackend,
    private readonly onCrash: (e: unknown) => void,
  ) {
    backend.onWake = () => this.wake();
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }

  /** Something may be ready: run an iteration soon (coalesced). */
  wake(): void {
    if (this.stopped || this.immediate) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.immediate = setImmediate(() => this.tick());
  }

  private tick(): void {
    this.immediate = null;
    if (this.stopped) return;
    try {
      this.loop.processEvents();
      this.iterations++;
    } catch (e) {
      this.stop();
      this.onCrash(e);
      return;
    }
    if (this.stopped) return;
    const b = this.backend;
    // An iteration that handled events (or found a timer due) is followed by another one at once,
    // so that its beforeSleep writes the replies and frees the clients it queued, as in ae.
    const timeout = b.lastTimeoutUs;
    const remainingUs = timeout === null ? null : b.lastPollAtUs + timeout - b.nowUs();
    if (b.lastFired > 0 || timeout === 0 || (remainingUs !== null && remainingUs <= 0) || b.anyReady()) {
      this.wake();
      return;
    }
    // Quiet: sleep until the nearest timer; Node's I/O callbacks wake the driver earlier.
    if (remainingUs !== null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake();
      }, Math.max(1, Math.ceil(remainingUs / 1000)));
    }
  }
}
