// The loop backend over node:net: the same narrow interface the virtual kernel implements
// (loop/backend.ts), translated onto real sockets, real time and Node's readiness callbacks. It owns
// no policy and never blocks: poll() reports what Node has signalled so far; a driver (driver.ts)
// decides when to run the next loop iteration. Not here: the core, the scenario players.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { isFiller, type Segment } from '../base/bytes.ts';
import {
  EADDRINUSE, EAGAIN, EBADF, ECONNRESET, EINVAL, EMFILE, EPERM, EPIPE, EPROTO, ETIMEDOUT,
} from '../base/errno.ts';
import {
  AE_READABLE, AE_WRITABLE, TLS_DONE, TLS_WANT_READ, type Accepted, type Backend, type FiredEvent, type SockOpt, type TlsServerOptions,
} from '../loop/backend.ts';
import type { Tracer } from '../timeline/events.ts';
import {
  clientCertVerdict, DECODE_ERROR_ALERT, secureContextFor, tlsFailureOf, UNEXPECTED_EOF_ERROR, verifyOptions,
  ZERO_RETURN_ERROR, type TlsFailure,
} from './tls-layer.ts';

/**
 * Bytes buffered from 'data' events per connection before the socket is paused (Linux's initial
 * tcp_rmem). Past it Node stops reading, the kernel's receive window closes and the peer stalls:
 * a slow server exerts backpressure as a real one does.
 */
export const DEFAULT_RCVBUF_CAP = 131072;
/**
 * Bytes write() lets wait in Node's own queue (socket.writableLength). Node hands writes to the
 * kernel synchronously while it has room, so the effective send buffer is the kernel's (autotuned
 * on loopback, several MB) plus this much; beyond it write() is short, then -EAGAIN.
 */
export const DEFAULT_SNDBUF_CAP = 16384;
/**
 * First fd the adapter hands out. redis-server 7.0.15 on Linux holds 0-2 (stdio), 3-4 (the module
 * system's pipe) and 5 (epoll) before listening, so its listener is 6 and its first client 7; the
 * adapter's fds are handles, numbered the same way so CLIENT LIST's fd= can be compared.
 */
export const FIRST_FD = 6;
/** SSL_write in partial-write mode writes at most one record: 16 KiB of plaintext per call. */
const TLS_MAX_PLAINTEXT = 16384;
/** Orphaned sockets (closed with output still queued) are destroyed after this long at most. */
const LINGER_MS = 10_000;
/** Limit reported when /proc/self/limits cannot be read. */
const FALLBACK_NOFILE = { soft: 1_048_576, hard: 1_048_576 };

/** RLIMIT_NOFILE of this process from /proc/self/limits (Node raises its soft limit to the hard one at start). */
export function readNofileLimit(): { soft: number; hard: number } {
  try {
    const text = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
    if (!m) return { ...FALLBACK_NOFILE };
    const n = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return { ...FALLBACK_NOFILE };
  }
}

/** Linux errno of a Node socket error. */
function errnoOf(e: NodeJS.ErrnoException): number {
  switch (e.code) {
    case 'ECONNRESET': return ECONNRESET;
    case 'EPIPE': return EPIPE;
    case 'ETIMEDOUT': return ETIMEDOUT;
    default: return ECONNRESET;
  }
}

interface Listener {
  kind: 'listener';
  fd: number;
  server: net.Server;
  /** Connections Node has accepted and the core has not, with their addresses taken at arrival. */
  queue: Array<{ sock: net.Socket; addr: string; laddr: string }>;
  host: string;
  port: number;
}

/** The TLS layer of a connection accepted on the tls-port (SSL_accept and after). */
interface TlsState {
  phase: 'handshake' | 'done' | 'failed';
  /** The handshake finished or failed and tlsHandshake has not said so yet: the fd reads as readable. */
  news: boolean;
  /** What tlsLastError reports. */
  lastError: string | null;
  /** Why the handshake failed (phase 'failed'). */
  failure: TlsFailure | null;
}

interface Conn {
  kind: 'conn';
  fd: number;
  /** The stream the core reads and writes: the TCP socket, or the TLSSocket over it after tlsAccept. */
  sock: net.Socket;
  /** The TCP socket itself (socket options, aborts). */
  raw: net.Socket;
  tls: TlsState | null;
  /** Bytes received and not yet read() by the core. */
  rbuf: Buffer[];
  rlen: number;
  paused: boolean;
  /** The peer's FIN arrived ('end'). */
  eof: boolean;
  /** errno of a socket error, 0 when none. */
  error: number;
  /** Node closed the socket on its own (after an error). */
  gone: boolean;
}

export interface NetBackendOptions {
  tracer: Tracer;
  rcvbufCap?: number;
  sndbufCap?: number;
  /** RLIMIT_NOFILE to report; by default the process's own (read once at start). */
  nofile?: { soft: number; hard: number };
  /** Called whenever Node reports something that may make an fd ready. */
  onWake?: () => void;
}

export class NetBackend implements Backend {
  readonly tracer: Tracer;
  /** Called when Node reports I/O (set by the driver). */
  onWake: () => void;
  private readonly rcvCap: number;
  private readonly sndCap: number;
  private readonly t0 = performance.now();
  private readonly fds = new Map<number, Listener | Conn>();
  private readonly interest = new Map<number, number>();
  private readonly freed: number[] = [];
  private nextFd = FIRST_FD;
  private rlimit: { soft: number; hard: number };
  /** Listeners bound by bindListener() (Node's listen is asynchronous; the core's is not): the TCP port, the tls-port. */
  private prebound: Array<{ host: string; port: number; result: Listener | number }> = [];
  /** Sockets closed by the core but still flushing (end() sent, waiting for 'finish'). */
  private readonly lingering = new Set<net.Socket>();
  /** What the last poll() was given and returned, for the driver. */
  lastTimeoutUs: number | null = null;
  lastPollAtUs = 0;
  lastFired = 0;
  /** Things Node cannot do that the core asked for, each reported once (e.g. TCP_KEEPINTVL). */
  readonly notes = new Set<string>();

  constructor(opts: NetBackendOptions) {
    this.tracer = opts.tracer;
    this.rcvCap = opts.rcvbufCap ?? DEFAULT_RCVBUF_CAP;
    this.sndCap = opts.sndbufCap ?? DEFAULT_SNDBUF_CAP;
    this.rlimit = opts.nofile ? { ...opts.nofile } : readNofileLimit();
    this.onWake = opts.onWake ?? (() => undefined);
  }

  // ---- time ------------------------------------------------------------------------------------

  nowUs(): number {
    return Math.floor((performance.now() - this.t0) * 1000);
  }
  unixTimeUs(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }
  /** Real work costs real time: nothing to charge. */
  spend(_us: number): void {}

  // ---- fd table --------------------------------------------------------------------------------

  private allocFd(): number {
    if (this.freed.length) {
      let k = 0;
      for (let i = 1; i < this.freed.length; i++) if (this.freed[i]! < this.freed[k]!) k = i;
      const fd = this.freed[k]!;
      if (fd >= this.rlimit.soft) return -EMFILE;
      this.freed.splice(k, 1);
      return fd;
    }
    if (this.nextFd >= this.rlimit.soft) return -EMFILE;
    return this.nextFd++;
  }

  private releaseFd(fd: number): void {
    this.fds.delete(fd);
    this.interest.delete(fd);
    if (fd === this.nextFd - 1) this.nextFd--;
    else this.freed.push(fd);
    // Keep the free list below the high-water mark.
    for (;;) {
      const i = this.freed.indexOf(this.nextFd - 1);
      if (i === -1) break;
      this.freed.splice(i, 1);
      this.nextFd--;
    }
  }

  /** Number of connections the core holds (accepted, not yet closed). */
  get openConnections(): number {
    let n = 0;
    for (const e of this.fds.values()) if (e.kind === 'conn') n++;
    return n;
  }

  // ---- readiness -------------------------------------------------------------------------------

  pollAdd(fd: number, mask: number): void {
    this.interest.set(fd, (this.interest.get(fd) ?? 0) | mask);
  }
  pollDel(fd: number, mask: number): void {
    const m = (this.interest.get(fd) ?? 0) & ~mask;
    if (m) this.interest.set(fd, m);
    else this.interest.delete(fd);
  }

  private readiness(e: Listener | Conn): number {
    if (e.kind === 'listener') return e.queue.length ? AE_READABLE : 0;
    if (e.tls && e.tls.phase !== 'done') {
      // SSL_accept waits for the socket; node drives the handshake and tells when it is over.
      if (e.tls.phase === 'failed') return AE_READABLE | AE_WRITABLE;
      return e.tls.news ? AE_READABLE : 0;
    }
    let m = 0;
    if (e.rlen > 0 || e.eof || e.error) m |= AE_READABLE;
    // EPOLLERR/EPOLLHUP make both directions ready, as epoll reports them.
    if (e.error || e.gone || e.sock.writableLength < this.sndCap) m |= AE_WRITABLE;
    return m;
  }

  /** Watched fds ready now (level-triggered), ascending. */
  private ready(): FiredEvent[] {
    const out: FiredEvent[] = [];
    const fds = [...this.interest.keys()].sort((a, b) => a - b);
    for (const fd of fds) {
      const e = this.fds.get(fd);
      if (!e) continue;
      const m = this.readiness(e) & this.interest.get(fd)!;
      if (m) out.push({ fd, mask: m });
    }
    return out;
  }

  /** Whether any watched fd is ready now. */
  anyReady(): boolean {
    for (const [fd, mask] of this.interest) {
      const e = this.fds.get(fd);
      if (e && this.readiness(e) & mask) return true;
    }
    return false;
  }

  /**
   * epoll_wait without the wait: returns what is ready now. The timeout is recorded so the driver
   * can sleep in Node's event loop until the nearest timer or the next I/O callback.
   */
  poll(timeoutUs: number | null): FiredEvent[] {
    this.lastTimeoutUs = timeoutUs;
    this.lastPollAtUs = this.nowUs();
    const fired = this.ready();
    this.lastFired = fired.length;
    return fired;
  }

  // ---- listening -------------------------------------------------------------------------------

  /**
   * Binds and listens before the core starts (Node's listen completes asynchronously); the core's
   * listen() on the same host and port then hands out this listener (one per port: the TCP port
   * and the tls-port). Resolves to the bound port, or a negative errno.
   */
  async bindListener(host: string, port: number, backlog: number): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, highWaterMark: this.sndCap });
    const r = await new Promise<number>((resolve) => {
      const onError = (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE' ? -EADDRINUSE : e.code === 'EACCES' ? -EPERM : -EINVAL);
      server.once('error', onError);
      server.listen({ host, port, backlog, exclusive: true }, () => {
        server.off('error', onError);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
    if (r < 0) {
      this.prebound.push({ host, port, result: r });
      return r;
    }
    const l: Listener = { kind: 'listener', fd: -1, server, queue: [], host, port: r };
    server.on('connection', (s: net.Socket) => {
      s.on('error', () => undefined); // errors of queued connections surface on accept
      l.queue.push({ sock: s, addr: `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`, laddr: `${s.localAddress ?? host}:${s.localPort ?? r}` });
      this.onWake();
    });
    server.on('error', () => undefined);
    this.prebound.push({ host, port: r, result: l });
    return r;
  }

  listen(host: string, port: number, _backlog: number): number {
    const p = this.prebound.find((b) => b.host === host && b.port === port) ?? (port === 0 ? this.prebound.find((b) => b.host === host) : undefined);
    if (!p) {
      // Only a listener prepared by bindListener() can be handed out synchronously.
      return -EINVAL;
    }
    if (typeof p.result === 'number') return p.result;
    if (p.result.fd !== -1) return -EADDRINUSE;
    const fd = this.allocFd();
    if (fd < 0) return fd;
    p.result.fd = fd;
    this.fds.set(fd, p.result);
    return fd;
  }

  /** accept4: the oldest queued connection, -EAGAIN when none, -EMFILE (left queued) at the fd limit. */
  accept(fd: number): Accepted | number {
    const l = this.fds.get(fd);
    if (!l || l.kind !== 'listener') return -EINVAL;
    // Connections the peer already closed or reset still have to be accepted and read (as in Linux).
    const q = l.queue[0];
    if (!q) return -EAGAIN;
    const nfd = this.allocFd();
    if (nfd < 0) return nfd;
    l.queue.shift();
    const { sock: s, addr, laddr } = q;
    const c: Conn = { kind: 'conn', fd: nfd, sock: s, raw: s, tls: null, rbuf: [], rlen: 0, paused: false, eof: false, error: 0, gone: false };
    this.fds.set(nfd, c);
    s.removeAllListeners('error');
    this.attach(c, s);
    if (s.destroyed) {
      // Reset (or otherwise torn down) while it waited in the queue.
      c.gone = true;
      c.error = ECONNRESET;
    } else s.resume();
    return { fd: nfd, addr, laddr };
  }

  /** Listens to the stream the core reads: bytes into rbuf (paused at the cap), end, errors, close. */
  private attach(c: Conn, s: net.Socket): void {
    s.on('data', (b: Buffer) => {
      c.rbuf.push(b);
      c.rlen += b.length;
      if (c.rlen >= this.rcvCap && !c.paused) {
        c.paused = true;
        s.pause();
      }
      this.onWake();
    });
    s.on('end', () => {
      if (c.tls?.phase === 'handshake') this.tlsFail(c, { errno: EPROTO, text: UNEXPECTED_EOF_ERROR, abortive: false }, true);
      else c.eof = true;
      this.onWake();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (c.tls) {
        const f = tlsFailureOf(e);
        if (c.tls.phase === 'handshake') this.tlsFail(c, f, false);
        else if (!c.error) {
          c.error = f.errno;
          c.tls.lastError = f.text;
        }
      } else if (!c.error) c.error = errnoOf(e);
      this.onWake();
    });
    s.on('close', () => {
      c.gone = true;
      if (c.tls?.phase === 'handshake') this.tlsFail(c, { errno: EPROTO, text: UNEXPECTED_EOF_ERROR, abortive: false }, false);
      else if (!c.eof && !c.error) c.error = ECONNRESET;
      this.onWake();
    });
    s.on('drain', () => this.onWake());
  }

  // ---- data ------------------------------------------------------------------------------------

  read(fd: number, max: number): Segment[] | number {
    const c = this.fds.get(fd);
    if (!c || c.kind !== 'conn') return -EBADF;
    if (c.rlen > 0) {
      const out: Segment[] = [];
      let left = Math.min(max, c.rlen);
      while (left > 0) {
        const b = c.rbuf[0]!;
        if (b.length <= left) {
          out.push(b);
          c.rbuf.shift();
          left -= b.length;
          c.rlen -= b.length;
        } else {
          out.push(b.subarray(0, left));
          c.rbuf[0] = b.subarray(left);
          c.rlen -= left;
          left = 0;
        }
      }
      if (c.paused && c.rlen < this.rcvCap && !c.gone) {
        c.paused = false;
        c.sock.resume();
      }
      return out;
    }
    if (c.tls && c.tls.phase !== 'done') return c.tls.phase === 'failed' ? -c.tls.failure!.errno : -EAGAIN;
    if (c.error) return -c.error;
    if (c.eof) {
      if (!c.tls) return 0;
      // SSL_read at end of stream: tls.c reports it as an error with an empty queue (node cannot
      // tell a close_notify from a bare FIN; both are the client going away).
      c.tls.lastError = ZERO_RETURN_ERROR;
      return -EPROTO;
    }
    return -EAGAIN;
  }

  write(fd: number, data: readonly Segment[], max: number): number {
    const c = this.fds.get(fd);
    if (!c || c.kind !== 'conn') return -EBADF;
    if (c.tls && c.tls.phase !== 'done') return c.tls.phase === 'failed' ? -c.tls.failure!.errno : -EAGAIN;
    if (c.error === ETIMEDOUT) return -ETIMEDOUT;
    if (c.error || c.gone || c.sock.destroyed || !c.sock.writable) return -EPIPE;
    const space = this.sndCap - c.sock.writableLength;
    if (space <= 0) return -EAGAIN;
    let left = Math.min(space, max, c.tls ? TLS_MAX_PLAINTEXT : Infinity);
    const parts: Buffer[] = [];
    let n = 0;
    for (const seg of data) {
      if (left === 0) break;
      const take = Math.min(seg.length, left);
      if (take === 0) continue;
      // Virtual bytes become real here, at most one send buffer's worth per call. Real bytes are
      // copied: the core may reuse what it offered once write() returns, as with write(2).
      parts.push(isFiller(seg) ? Buffer.alloc(take, seg.byte) : Buffer.from(seg.subarray(0, take)));
      n += take;
      left -= take;
    }
    if (n === 0) return 0;
    c.sock.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts, n), () => this.onWake());
    return n;
  }

  /**
   * close(): with unread input, an abortive close (RST), as Linux does; otherwise queued output is
   * flushed and a FIN follows (socket.end()), and the socket is destroyed once flushed.
   */
  close(fd: number): void {
    const e = this.fds.get(fd);
    if (!e) return;
    this.releaseFd(fd);
    if (e.kind === 'listener') {
      for (const q of e.queue) q.sock.destroy();
      e.queue.length = 0;
      e.server.close();
      return;
    }
    const s = e.sock;
    s.removeAllListeners('data');
    s.removeAllListeners('end');
    s.removeAllListeners('drain');
    s.removeAllListeners('close');
    s.removeAllListeners('error');
    s.on('error', () => undefined);
    if (s.destroyed) return;
    if (e.tls && e.tls.phase !== 'done') {
      // connTLSClose without SSL_shutdown: no close_notify. Bytes OpenSSL left unread (after a bad
      // record header) make the kernel answer with RST, as it does for Redis.
      s.removeAllListeners('secure');
      if (e.tls.failure?.abortive && !e.raw.destroyed) e.raw.resetAndDestroy();
      s.destroy();
      e.raw.destroy();
      return;
    }
    if (e.rlen > 0 || e.error) {
      if (e.tls) {
        e.raw.resetAndDestroy();
        s.destroy();
      } else s.resetAndDestroy();
      return;
    }
    this.lingering.add(s);
    const timer = setTimeout(() => s.destroy(), LINGER_MS);
    timer.unref();
    s.on('close', () => {
      clearTimeout(timer);
      this.lingering.delete(s);
    });
    s.end(() => s.destroy());
    // Whatever arrives from now on is dropped (Linux would answer it with RST once the fd is gone).
    s.on('data', () => undefined);
    s.resume();
  }

  setsockopt(fd: number, opt: SockOpt, value: number): number {
    const c = this.fds.get(fd);
    if (!c || c.kind !== 'conn') return -EBADF;
    switch (opt) {
      case 'TCP_NODELAY':
        c.raw.setNoDelay(value !== 0);
        return 0;
      case 'SO_KEEPALIVE':
        c.raw.setKeepAlive(value !== 0);
        return 0;
      case 'TCP_KEEPIDLE':
        // setKeepAlive(true, ms) sets SO_KEEPALIVE and TCP_KEEPIDLE (in whole seconds).
        c.raw.setKeepAlive(true, value * 1000);
        return 0;
      case 'TCP_KEEPINTVL':
      case 'TCP_KEEPCNT':
        // Node exposes neither; the kernel's defaults (net.ipv4.tcp_keepalive_intvl / _probes,
        // 75 s and 9 on Linux) apply instead of Redis's interval/3 and 3.
        this.notes.add(`${opt} cannot be set from Node: the kernel default applies (Redis would set ${value})`);
        return 0;
    }
  }

  // ---- TLS -------------------------------------------------------------------------------------

  /**
   * SSL_new + SSL_set_accept_state: wraps the accepted socket in a server TLSSocket. From now on the
   * core's read() and write() carry plaintext. A certificate or key that cannot be loaded leaves the
   * connection in error state (-EPROTO, the reason in tlsLastError).
   */
  tlsAccept(fd: number, opts: TlsServerOptions): number {
    const c = this.fds.get(fd);
    if (!c || c.kind !== 'conn') return -EBADF;
    if (c.tls) return -EINVAL;
    const state: TlsState = { phase: 'handshake', news: false, lastError: null, failure: null };
    c.tls = state;
    let secureContext: tls.SecureContext;
    try {
      secureContext = secureContextFor(opts);
    } catch (e) {
      this.tlsFail(c, { errno: EPROTO, text: (e as Error).message, abortive: false }, false);
      return -EPROTO;
    }
    if (c.gone || c.error) {
      this.tlsFail(c, { errno: c.error || ECONNRESET, text: 'Connection reset by peer', abortive: false }, false);
      return 0;
    }
    const raw = c.raw;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('error');
    raw.removeAllListeners('close');
    raw.removeAllListeners('drain');
    raw.on('error', () => undefined); // the TLSSocket reports socket errors
    if (c.rlen > 0) {
      // Bytes that arrived before the core asked for TLS are the start of the handshake.
      raw.unshift(Buffer.concat(c.rbuf, c.rlen));
      c.rbuf = [];
      c.rlen = 0;
    }
    const t = new tls.TLSSocket(raw, { isServer: true, secureContext, ...verifyOptions(opts.authClients) });
    c.sock = t;
    c.paused = false;
    this.attach(c, t);
    t.once('secure', () => {
      if (state.phase !== 'handshake') return;
      const verdict = clientCertVerdict(t, opts.authClients);
      if (verdict) this.tlsFail(c, verdict, false);
      else {
        state.phase = 'done';
        state.news = true;
      }
      this.onWake();
    });
    return 0;
  }

  /** The handshake ended badly: the fd becomes readable so the core's next SSL_accept finds out. */
  private tlsFail(c: Conn, f: TlsFailure, eofBeforeAnswer: boolean): void {
    const st = c.tls!;
    if (st.phase === 'failed') return;
    st.phase = 'failed';
    st.news = true;
    st.failure = f;
    st.lastError = f.text;
    // OpenSSL answers a stream that ends before the ClientHello with a decode_error alert.
    if (eofBeforeAnswer && c.raw.bytesWritten === 0 && !c.raw.destroyed) {
      try {
        c.raw.write(DECODE_ERROR_ALERT);
      } catch {
        // the socket went away meanwhile
      }
    }
  }

  /** SSL_accept: TLS_WANT_READ while node shakes hands, TLS_DONE after 'secure', the failure's errno after one. */
  tlsHandshake(fd: number): number {
    const c = this.fds.get(fd);
    if (!c || c.kind !== 'conn' || !c.tls) return -EBADF;
    const st = c.tls;
    if (st.phase === 'handshake') return TLS_WANT_READ;
    st.news = false;
    return st.phase === 'done' ? TLS_DONE : -st.failure!.errno;
  }

  tlsLastError(fd: number): string | null {
    const c = this.fds.get(fd);
    return c?.kind === 'conn' ? (c.tls?.lastError ?? null) : null;
  }

  /**
   * SSL_pending: node decrypts eagerly, so every decrypted byte not yet read is held by the TLS
   * layer (poll reports them as readable too).
   */
  tlsPending(fd: number): number {
    const c = this.fds.get(fd);
    return c?.kind === 'conn' && c.tls?.phase === 'done' ? c.rlen : 0;
  }

  getrlimit(): { soft: number; hard: number } {
    return { ...this.rlimit };
  }

  /**
   * setrlimit: Node cannot change its own limits, so this records the new limit as an unprivileged
   * process would get it (the hard limit can only be lowered; above it, EPERM). Node already runs
   * with its soft limit raised to the hard one, so any limit granted here is really available.
   */
  setrlimit(soft: number, hard: number): number {
    if (soft > hard) return -EINVAL;
    if (hard > this.rlimit.hard) return -EPERM;
    this.rlimit = { soft, hard };
    return 0;
  }

  // ---- teardown --------------------------------------------------------------------------------

  /** Destroys every socket and closes the listener; resolves when the listener is closed. */
  async shutdown(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const e of [...this.fds.values()]) {
      this.fds.delete(e.fd);
      if (e.kind === 'listener') {
        for (const q of e.queue) q.sock.destroy();
        closing.push(new Promise((res) => e.server.close(() => res())));
      } else {
        e.sock.destroy();
      }
    }
    for (const p of this.prebound) {
      if (typeof p.result !== 'number' && p.result.fd === -1) {
        const srv = p.result.server;
        closing.push(new Promise((res) => srv.close(() => res())));
      }
    }
    this.prebound = [];
    for (const s of this.lingering) s.destroy();
    this.lingering.clear();
    this.interest.clear();
    await Promise.all(closing);
  }
}
