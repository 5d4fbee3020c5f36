// One simulated machine's process view: its fd table with RLIMIT_NOFILE, the socket syscalls named
// after the ones they imitate (returning negative errno values, never throwing for a simulated
// failure), and an epoll-like ready list. Byte transport is network.ts; time and faults kernel.ts.
import { Filler, type Segment, isFiller } from '../base/bytes.ts';
import {
  EADDRINUSE, EAGAIN, EBADF, EINPROGRESS, EINVAL, EMFILE, ENOTCONN, EPERM, EPIPE,
} from '../base/errno.ts';
import type { Kernel } from './kernel.ts';
import type { Route } from './network.ts';
import { Socket } from './socket.ts';

/** Linux's default cap on listen() backlogs (net.core.somaxconn since 5.4). */
export const SOMAXCONN = 4096;
export const SHUT_WR = 1;

/** An fd reported by poll: READABLE = 1, WRITABLE = 2 (as the loop's AE_* masks). */
export interface Ready {
  fd: number;
  mask: number;
}

export class Host {
  private readonly fds: (Socket | null)[] = [null, null, null]; // 0-2: stdin, stdout, stderr
  private readonly freeFds: number[] = []; // min-heap of closed fds below fds.length
  private open = 3;
  rlimit: { soft: number; hard: number };
  /** epoll interest: fd -> mask. */
  private readonly interest = new Map<number, number>();
  /** Sockets that may be ready, in the order they became so (Linux's rdllist). */
  private readonly readyList = new Set<Socket>();

  constructor(
    readonly kernel: Kernel,
    readonly name: string,
    readonly ip: string,
    nofile: { soft: number; hard: number },
    /** The route to the server for a client machine; null for the server itself. */
    readonly route: Route | null,
  ) {
    this.rlimit = { ...nofile };
  }

  /** Number of open fds, including 0-2. */
  get openFds(): number {
    return this.open;
  }

  socketAt(fd: number): Socket | undefined {
    return this.fds[fd] ?? undefined;
  }

  /** Every socket with an fd, in fd order. */
  *sockets(): Iterable<Socket> {
    for (const s of this.fds) if (s) yield s;
  }

  // ---- fd table --------------------------------------------------------------------------------

  /** The lowest free fd, as POSIX requires; -EMFILE when it would reach the soft limit. */
  private allocFd(s: Socket): number {
    const fd = this.freeFds.length ? this.freeFds[0]! : this.fds.length;
    if (fd >= this.rlimit.soft) return -EMFILE;
    if (this.freeFds.length) heapPop(this.freeFds);
    else this.fds.push(null);
    this.fds[fd] = s;
    s.fd = fd;
    this.open++;
    return fd;
  }

  private releaseFd(fd: number): void {
    this.fds[fd] = null;
    this.open--;
    if (fd === this.fds.length - 1) {
      this.fds.pop();
      // Trim trailing holes so the heap only holds fds below the table's end.
      while (this.fds.length > 3 && this.fds[this.fds.length - 1] === null) {
        const top = this.fds.length - 1;
        this.fds.pop();
        const i = this.freeFds.indexOf(top);
        if (i !== -1) heapRemoveAt(this.freeFds, i);
      }
    } else heapPush(this.freeFds, fd);
  }

  getrlimit(): { soft: number; hard: number } {
    return { ...this.rlimit };
  }

  /** setrlimit(RLIMIT_NOFILE) for an unprivileged process: the hard limit can only be lowered. */
  setrlimit(soft: number, hard: number): number {
    if (soft > hard) return -EINVAL;
    if (hard > this.rlimit.hard) return -EPERM;
    this.rlimit = { soft, hard };
    return 0;
  }

  // ---- socket syscalls -------------------------------------------------------------------------

  socket(): number {
    const s = new Socket(this, this.kernel.defaultSndbuf(this), this.kernel.defaultRcvbuf(this));
    return this.allocFd(s);
  }

  bind(fd: number, ip: string, port: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    if (port !== 0 && this.kernel.listenerAt(ip, port)) return -EADDRINUSE;
    s.localIp = ip;
    s.localPort = port;
    return 0;
  }

  listen(fd: number, backlog: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    s.state = 'listening';
    s.backlog = Math.min(backlog, SOMAXCONN);
    this.kernel.registerListener(s);
    return 0;
  }

  /** accept4(SOCK_NONBLOCK): -EAGAIN when the queue is empty, -EMFILE leaving it queued. */
  accept(fd: number): { fd: number; sock: Socket } | number {
    const l = this.fds[fd];
    if (!l || l.state !== 'listening') return -EINVAL;
    const s = l.acceptQueue[0];
    if (!s) return -EAGAIN;
    const nfd = this.allocFd(s);
    if (nfd < 0) return nfd;
    l.acceptQueue.shift();
    return { fd: nfd, sock: s };
  }

  /** Non-blocking connect: -EINPROGRESS; completion is reported as writability (or an error). */
  connect(fd: number, ip: string, port: number): number {
    const s = this.fds[fd];
    if (!s || !this.route) return -EBADF;
    s.localIp = this.ip;
    s.localPort = this.kernel.nextEphemeralPort();
    s.remoteIp = ip;
    s.remotePort = port;
    s.state = 'connecting';
    this.kernel.network.sendSyn(s, this.route);
    return -EINPROGRESS;
  }

  /** read(): runs of bytes, 0 at end of stream, or -errno (-EAGAIN when nothing is buffered). */
  read(fd: number, max: number): Segment[] | number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    if (s.error) return -s.error;
    if (s.rcv.length > 0) {
      const wasFull = s.rcv.length >= s.rcvCap;
      const out = s.rcv.take(Math.min(max, s.rcv.length));
      // The window reopens at once (see network.ts); the sender may push more.
      if (s.peer?.out && (wasFull || s.peer.inFlight > 0 || s.peer.snd.length > 0)) this.kernel.network.pump(s.peer.out);
      return out;
    }
    if (s.peerFin) return 0;
    if (s.state === 'connecting' || s.state === 'established') return -EAGAIN;
    return -ENOTCONN;
  }

  /** write(): accepts up to the free send-buffer space; -EAGAIN when full, -EPIPE after reset or shutdown. */
  write(fd: number, data: readonly Segment[], max = Infinity): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    if (s.error) return -EPIPE;
    if (s.finQueued) return -EPIPE;
    if (s.state === 'connecting') return -EAGAIN;
    if (s.state !== 'established') return -ENOTCONN;
    const space = s.sndCap - s.snd.length;
    if (space <= 0) return -EAGAIN;
    let left = Math.min(space, max);
    let n = 0;
    for (const seg of data) {
      if (left === 0) break;
      const take = Math.min(seg.length, left);
      if (take === 0) continue;
      // The kernel copies real bytes (callers reuse their buffers); filler stays counted.
      s.snd.push(isFiller(seg) ? (take === seg.length ? seg : new Filler(take, seg.byte)) : Buffer.from(seg.subarray(0, take)));
      n += take;
      left -= take;
    }
    if (s.out) this.kernel.network.pump(s.out);
    return n;
  }

  /** shutdown(SHUT_WR): a FIN follows the queued bytes. */
  shutdown(fd: number, how: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    if (how !== SHUT_WR) return -EINVAL;
    s.finQueued = true;
    if (s.out) this.kernel.network.pump(s.out);
    return 0;
  }

  /**
   * close(): frees the fd. A stream socket with unread input is aborted with RST (as Linux does);
   * otherwise its queued output drains and a FIN follows. Queued, unaccepted connections of a
   * listener are reset.
   */
  close(fd: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    this.releaseFd(fd);
    this.interest.delete(fd);
    this.readyList.delete(s);
    s.fd = -1;
    s.watcher = null;
    if (s.state === 'listening') {
      this.kernel.unregisterListener(s);
      for (const q of s.acceptQueue.splice(0)) this.kernel.network.abort(q);
      s.state = 'closed';
      return 0;
    }
    if (s.state === 'established' && s.rcv.length > 0 && !s.error) {
      this.kernel.network.abort(s);
      return 0;
    }
    if (s.state === 'established' || s.state === 'connecting') {
      s.state = s.state === 'connecting' ? 'dead' : 'closed';
      s.finQueued = true;
      s.keepalive = false;
      this.kernel.armKeepalive(s); // cancels the timer
      if (s.out) this.kernel.network.pump(s.out);
    } else s.state = 'dead';
    return 0;
  }

  setsockopt(fd: number, opt: string, value: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    switch (opt) {
      case 'TCP_NODELAY': s.nodelay = value !== 0; break;
      case 'SO_KEEPALIVE': s.keepalive = value !== 0; break;
      case 'TCP_KEEPIDLE': if (value < 1) return -EINVAL; s.keepIdle = value; break;
      case 'TCP_KEEPINTVL': if (value < 1) return -EINVAL; s.keepIntvl = value; break;
      case 'TCP_KEEPCNT': if (value < 1) return -EINVAL; s.keepCnt = value; break;
      case 'SO_SNDBUF': s.sndCap = value; break;
      case 'SO_RCVBUF': s.rcvCap = value; break;
      default: return -EINVAL;
    }
    if (s.keepalive) this.kernel.armKeepalive(s);
    return 0;
  }

  // ---- epoll -----------------------------------------------------------------------------------

  pollAdd(fd: number, mask: number): void {
    const s = this.fds[fd];
    if (!s) return;
    this.interest.set(fd, (this.interest.get(fd) ?? 0) | mask);
    if (this.readinessOf(s) & mask) this.readyList.add(s);
  }

  pollDel(fd: number, mask: number): void {
    const m = (this.interest.get(fd) ?? 0) & ~mask;
    if (m) this.interest.set(fd, m);
    else this.interest.delete(fd);
  }

  /** Something happened to `s` that may make it ready. Refreshes its place in the ready list. */
  markReady(s: Socket): void {
    if (s.fd !== -1 && this.interest.has(s.fd) && !this.readyList.has(s)) this.readyList.add(s);
  }

  private readinessOf(s: Socket): number {
    return (s.readable ? 1 : 0) | (s.writable ? 2 : 0);
  }

  /**
   * Ready fds, level-triggered, in the order of `order`: ascending fd, the order in which they
   * became ready (fifo), or a seeded shuffle (random).
   */
  collectReady(order: 'fd' | 'fifo' | 'random', shuffle: <T>(xs: T[]) => T[]): Ready[] {
    const out: Ready[] = [];
    for (const s of this.readyList) {
      const want = s.fd === -1 ? 0 : this.interest.get(s.fd) ?? 0;
      const mask = this.readinessOf(s) & want;
      if (mask) out.push({ fd: s.fd, mask });
      else this.readyList.delete(s);
    }
    if (order === 'fd') out.sort((a, b) => a.fd - b.fd);
    else if (order === 'random') shuffle(out);
    return out;
  }
}

function heapPush(h: number[], v: number): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= h[i]!) break;
    [h[p], h[i]] = [h[i]!, h[p]!];
    i = p;
  }
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  heapRemoveAt(h, 0);
  return top;
}

function heapRemoveAt(h: number[], i: number): void {
  const last = h.pop()!;
  if (i === h.length) return;
  h[i] = last;
  // sift up, then down
  let k = i;
  while (k > 0 && h[(k - 1) >> 1]! > h[k]!) {
    const p = (k - 1) >> 1;
    [h[p], h[k]] = [h[k]!, h[p]!];
    k = p;
  }
  for (;;) {
    const l = 2 * k + 1, r = l + 1;
    let m = k;
    if (l < h.length && h[l]! < h[m]!) m = l;
    if (r < h.length && h[r]! < h[m]!) m = r;
    if (m === k) break;
    [h[m], h[k]] = [h[k]!, h[m]!];
    k = m;
  }
}
