// One simulated machine's process view: its fd table with RLIMIT_NOFILE, the socket syscalls named
// after the ones they imitate (returning negative errno values, never throwing for a simulated
// failure), and an epoll-like ready list. Byte transport is network.ts; time and faults kernel.ts.
import { Filler, type Segment, isFiller } from '../base/bytes.ts';
import { canonicalIp, ipFamily, wildcardOf } from '../base/ip.ts';
import {
  EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EBADF, EINPROGRESS, EINVAL, EMFILE, ENOTCONN, EPERM, EPIPE,
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
  /**
   * Min-heap of closed fds. Entries at or above fds.length are stale (the table was trimmed past
   * them) and are dropped lazily: when the smallest is stale they all are (the table only grows
   * again once no live entry is left), so allocFd then clears the heap. Performance: trimming
   * used to search the heap for each trimmed fd, quadratic when thousands of clients close.
   */
  private freeFds: number[] = [];
  private open = 3;
  rlimit: { soft: number; hard: number };
  // epoll interest is each socket's `pollMask`; the sockets that may be ready, in the order they
  // became so (Linux's rdllist), are a list linked through the sockets (readyPrev/readyNext).
  // Performance: these were a Map of fd -> mask and a Set, whose entries were added and removed
  // for every message; the order and the answers are the same.
  private readyHead: Socket | null = null;
  private readyTail: Socket | null = null;

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
    if (this.freeFds.length && this.freeFds[0]! >= this.fds.length) this.freeFds = [];
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
      // Trim trailing holes; their heap entries become stale (see freeFds).
      while (this.fds.length > 3 && this.fds[this.fds.length - 1] === null) this.fds.pop();
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

  /**
   * bind(): `ip` must be an address of this machine (the server's: see Kernel.serverOwns) or the
   * wildcard of its family, else -EADDRNOTAVAIL; -EADDRINUSE when a listener holds the port there.
   */
  bind(fd: number, ip: string, port: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    const fam = ipFamily(ip);
    if (fam === 0) return -EINVAL;
    ip = canonicalIp(ip);
    const owned = ip === wildcardOf(fam) || (this.route ? ip === this.ip : this.kernel.serverOwns(ip));
    if (!owned) return -EADDRNOTAVAIL;
    if (port !== 0 && this.kernel.bindConflict(ip, port)) return -EADDRINUSE;
    s.localIp = ip;
    s.localPort = port;
    return 0;
  }

  listen(fd: number, backlog: number): number {
    const s = this.fds[fd];
    if (!s) return -EBADF;
    s.state = 'listening';
    if (Object.isFrozen(s.acceptQueue)) s.acceptQueue = [];
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
    s.localPort = this.kernel.nextEphemeralPort(this.ip);
    s.remoteIp = canonicalIp(ip);
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

  /**
   * write(): accepts up to the free send-buffer space; -EAGAIN when full, -EPIPE after reset or
   * shutdown. The kernel copies real bytes, so callers may reuse their buffers — unless `immutable`
   * says the caller never modifies them (the core's replies and the client programs' requests are
   * never written to after they are made): then the runs are kept by reference. Performance: the
   * copy was the largest single cost of the request path; the bytes delivered are the same.
   */
  write(fd: number, data: readonly Segment[], max = Infinity, immutable = false): number {
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
      // The kernel copies real bytes (callers reuse their buffers) unless they are immutable;
      // filler stays counted.
      if (isFiller(seg)) s.snd.push(take === seg.length ? seg : new Filler(take, seg.byte));
      else if (immutable) s.snd.push(take === seg.length ? seg : seg.subarray(0, take));
      else s.snd.push(Buffer.from(seg.subarray(0, take)));
      n += take;
      left -= take;
    }
    if (s.out) this.kernel.network.pump(s.out);
    return n;
  }

  /**
   * The socket under a TLS session on `fd` (raw read and write; the runs written are never
   * modified afterwards, see write()).
   */
  rawIo(fd: number): { read(max: number): Segment[] | number; write(data: readonly Segment[], max: number): number } {
    return {
      read: (max) => this.read(fd, max),
      write: (data, max) => this.write(fd, data, max, true),
    };
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
    s.pollMask = 0;
    this.readyRemove(s);
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
    s.pollMask |= mask;
    if (this.readinessOf(s) & mask) this.readyAdd(s);
  }

  pollDel(fd: number, mask: number): void {
    const s = this.fds[fd];
    if (s) s.pollMask &= ~mask;
  }

  /** Something happened to `s` that may make it ready. Refreshes its place in the ready list. */
  markReady(s: Socket): void {
    if (s.fd !== -1 && s.pollMask !== 0) this.readyAdd(s);
  }

  /** Appends `s` to the ready list unless it is already there (where it keeps its place). */
  private readyAdd(s: Socket): void {
    if (s.inReady) return;
    s.inReady = true;
    s.readyPrev = this.readyTail;
    s.readyNext = null;
    if (this.readyTail) this.readyTail.readyNext = s;
    else this.readyHead = s;
    this.readyTail = s;
  }

  private readyRemove(s: Socket): void {
    if (!s.inReady) return;
    s.inReady = false;
    if (s.readyPrev) s.readyPrev.readyNext = s.readyNext;
    else this.readyHead = s.readyNext;
    if (s.readyNext) s.readyNext.readyPrev = s.readyPrev;
    else this.readyTail = s.readyPrev;
    s.readyPrev = s.readyNext = null;
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
    for (let s = this.readyHead; s; ) {
      const next = s.readyNext;
      const want = s.fd === -1 ? 0 : s.pollMask;
      const mask = this.readinessOf(s) & want;
      if (mask) out.push({ fd: s.fd, mask });
      else this.readyRemove(s);
      s = next;
    }
    // (A single ready fd needs no ordering: skipping the sort saves its allocations, and a
    // one-element shuffle draws nothing from the stream.)
    if (out.length > 1) {
      if (order === 'fd') sortByFd(out);
      else if (order === 'random') shuffle(out);
    }
    return out;
  }
}

/**
 * Sorts ready fds ascending. Performance: an insertion sort for the usual handful (Array#sort
 * allocates a work array per call); fds are distinct, so any correct sort gives the same order.
 */
function sortByFd(out: Ready[]): void {
  if (out.length > 32) {
    out.sort((a, b) => a.fd - b.fd);
    return;
  }
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]!.fd > x.fd) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = x;
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
