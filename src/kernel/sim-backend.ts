// The loop backend over the virtual kernel: translates the core's narrow interface into the
// server host's syscalls and the kernel's blocking poll, as ae_epoll.c translates to epoll.
import type { Segment } from '../base/bytes.ts';
import { EBADF, EINVAL } from '../base/errno.ts';
import type { Accepted, Backend, FiredEvent, SockOpt, TlsServerOptions } from '../loop/backend.ts';
import { TlsSession, type TlsCost } from '../tls/session.ts';
import type { Tracer } from '../timeline/events.ts';
import type { Host } from './host.ts';
import type { Kernel } from './kernel.ts';

/** Virtual wall clock: run time 0 is 2026-01-01T00:00:00Z, a whole second so seconds align. */
/** Fds redis-server 7.0 opens before listening: the module pipe (2) and the epoll fd (1). */
export const REDIS_PRELISTEN_FDS = 3;

export const VIRTUAL_EPOCH_US = 1_767_225_600_000_000;

/**
 * CPU of the virtual TLS library on the server: a full handshake (ECDHE plus an RSA-2048
 * signature) and AES-GCM per record and per byte. Scenario `server.cost` overrides them.
 */
export const DEFAULT_TLS_COST: TlsCost = { handshakeUs: 700, recordNs: 500, byteNs: 1 };

export class SimBackend implements Backend {
  /** TLS sessions by fd (the virtual libssl of the server process). */
  private readonly tls: (TlsSession | undefined)[] = [];

  constructor(
    private readonly kernel: Kernel,
    private readonly host: Host,
    readonly tracer: Tracer,
    private readonly tlsCost: TlsCost = DEFAULT_TLS_COST,
  ) {
    // redis-server holds fds 3-4 (the module system's pipe) and 5 (its epoll instance) before it
    // listens, so its listener is 6 and its first client 7. Placeholder sockets take those fds
    // here (they are never polled), so fd= in CLIENT LIST and the fd arithmetic match.
    for (let i = 0; i < REDIS_PRELISTEN_FDS; i++) this.host.socket();
  }

  nowUs(): number {
    return this.kernel.now;
  }
  unixTimeUs(): number {
    return VIRTUAL_EPOCH_US + this.kernel.now;
  }
  pollAdd(fd: number, mask: number): void {
    this.host.pollAdd(fd, mask);
  }
  pollDel(fd: number, mask: number): void {
    this.host.pollDel(fd, mask);
  }
  poll(timeoutUs: number | null): FiredEvent[] {
    return this.kernel.pollBlocking(this.host, timeoutUs);
  }
  listen(ip: string, port: number, backlog: number): number {
    const fd = this.host.socket();
    if (fd < 0) return fd;
    const b = this.host.bind(fd, ip, port);
    if (b < 0) {
      this.host.close(fd);
      return b;
    }
    this.host.listen(fd, backlog);
    return fd;
  }
  accept(fd: number): Accepted | number {
    const r = this.host.accept(fd);
    if (typeof r === 'number') return r;
    return { fd: r.fd, addr: r.sock.addr, laddr: r.sock.laddr };
  }
  read(fd: number, max: number): Segment[] | number {
    const t = this.tls[fd];
    if (t) return t.read(max);
    return this.host.read(fd, max);
  }
  write(fd: number, data: readonly Segment[], max: number): number {
    const t = this.tls[fd];
    if (t) return t.write(data, max);
    // The core never modifies a run after queueing it (shared replies are constants, arguments and
    // built replies are fresh): the kernel may keep them by reference (see Host.write).
    return this.host.write(fd, data, max, true);
  }
  close(fd: number): void {
    const t = this.tls[fd];
    if (t) {
      // connTLSClose: SSL_shutdown (close_notify) on an established session, then SSL_free.
      t.shutdown();
      this.tls[fd] = undefined;
    }
    this.host.close(fd);
  }
  tlsAccept(fd: number, opts: TlsServerOptions): number {
    if (!this.host.socketAt(fd)) return -EBADF;
    if (this.tls[fd]) return -EINVAL;
    this.tls[fd] = new TlsSession(this.host.rawIo(fd), { role: 'server', authClients: opts.authClients }, this.tlsCost, (us) => this.kernel.spend(us));
    return 0;
  }
  tlsHandshake(fd: number): number {
    const t = this.tls[fd];
    return t ? t.handshake() : -EBADF;
  }
  tlsLastError(fd: number): string | null {
    return this.tls[fd]?.lastError ?? null;
  }
  tlsPending(fd: number): number {
    return this.tls[fd]?.pending() ?? 0;
  }
  setsockopt(fd: number, opt: SockOpt, value: number): number {
    return this.host.setsockopt(fd, opt, value);
  }
  getrlimit(): { soft: number; hard: number } {
    return this.host.getrlimit();
  }
  setrlimit(soft: number, hard: number): number {
    return this.host.setrlimit(soft, hard);
  }
  spend(us: number): void {
    this.kernel.spend(us);
  }
}
