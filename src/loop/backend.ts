// The one narrow interface between the client-handling core and whatever provides sockets, time and
// readiness (the virtual kernel, or node:net in the real adapter) — the role of Redis's ae_epoll.c
// plus the few syscalls anet.c makes. It owns no policy: the event loop and the core decide.
import type { Segment } from '../base/bytes.ts';
import type { Tracer } from '../timeline/events.ts';

export const AE_NONE = 0;
export const AE_READABLE = 1;
export const AE_WRITABLE = 2;

/** An fd reported ready by poll, with the subset of the registered mask that is ready. */
export interface FiredEvent {
  fd: number;
  mask: number;
}

/** Result of accept(): the new fd and both addresses as `ip:port`. */
export interface Accepted {
  fd: number;
  addr: string;
  laddr: string;
}

/** Socket options the core sets, named after their Linux counterparts. */
export type SockOpt = 'TCP_NODELAY' | 'SO_KEEPALIVE' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT';

/**
 * What the core asks of the TLS library for a connection accepted on the tls-port (the tls-*
 * directives). The backend owns the library: a virtual one in the simulator, node:tls on real
 * sockets — as Redis owns tls.c but not OpenSSL.
 */
export interface TlsServerOptions {
  /**
   * tls-auth-clients: `yes` requires a client certificate (SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT),
   * `optional` verifies one if the client sends it (SSL_VERIFY_PEER), `no` asks for none.
   */
  authClients: 'yes' | 'no' | 'optional';
  /** tls-cert-file, tls-key-file, tls-ca-cert-file: paths (the simulator only names them). */
  certFile: string;
  keyFile: string;
  caCertFile: string;
  /** tls-protocols, e.g. "TLSv1.2 TLSv1.3"; '' = the library's default. */
  protocols: string;
}

/** tlsHandshake results other than failure: done, or waiting for the socket to be readable/writable. */
export const TLS_DONE = 0;
export const TLS_WANT_READ = 1;
export const TLS_WANT_WRITE = 2;

export interface Backend {
  /** Current time in microseconds (virtual in the simulator). */
  nowUs(): number;
  /** Wall-clock-like seconds since the epoch, for log lines and MONITOR (virtual: a fixed epoch + now). */
  unixTimeUs(): number;

  /** epoll_ctl ADD/MOD: watch `mask` on `fd` (added to what is already watched). */
  pollAdd(fd: number, mask: number): void;
  /** epoll_ctl MOD/DEL: stop watching `mask` on `fd`. */
  pollDel(fd: number, mask: number): void;
  /**
   * epoll_wait: waits until a watched fd is ready or `timeoutUs` passes (null = no timeout) and
   * returns the ready fds, in the order the backend reports them (level-triggered).
   */
  poll(timeoutUs: number | null): FiredEvent[];

  /** socket+bind+listen; returns the listening fd or a negative errno. */
  listen(host: string, port: number, backlog: number): number;
  /** accept4(SOCK_NONBLOCK): the new connection, or a negative errno (-EAGAIN when none is queued). */
  accept(fd: number): Accepted | number;
  /** read(): runs of bytes (never empty), 0 at end of stream, or a negative errno. */
  read(fd: number, max: number): Segment[] | number;
  /** write()/writev(): bytes accepted (possibly fewer than offered), or a negative errno. */
  write(fd: number, data: readonly Segment[], max: number): number;
  close(fd: number): void;
  setsockopt(fd: number, opt: SockOpt, value: number): number;

  /**
   * SSL_new + SSL_set_fd + SSL_set_accept_state on an accepted fd: from now on read() and write()
   * on it carry plaintext through TLS (write() sends at most one record per call, as SSL_write in
   * SSL_MODE_ENABLE_PARTIAL_WRITE does). 0, or a negative errno.
   */
  tlsAccept(fd: number, opts: TlsServerOptions): number;
  /**
   * SSL_accept: TLS_DONE once the handshake is complete, TLS_WANT_READ / TLS_WANT_WRITE when it
   * must wait for the socket, or a negative errno when it failed: -EPROTO for a TLS failure
   * (tlsLastError names it), the socket's errno otherwise.
   */
  tlsHandshake(fd: number): number;
  /**
   * Why the last TLS operation on fd failed, as Redis logs it: OpenSSL's error string
   * (ERR_error_string_n, e.g. "error:0A0000C7:SSL routines::peer did not return a certificate"),
   * strerror(errno) for a socket error, or null when the library gave no reason.
   */
  tlsLastError(fd: number): string | null;
  /** SSL_pending: decrypted bytes held by the TLS layer, which read() returns without the socket being readable. */
  tlsPending(fd: number): number;

  /** getrlimit(RLIMIT_NOFILE). */
  getrlimit(): { soft: number; hard: number };
  /** setrlimit(RLIMIT_NOFILE): 0 or a negative errno (-EPERM when above the hard limit). */
  setrlimit(soft: number, hard: number): number;

  /**
   * Charges CPU work to the virtual clock (the cost model); other machines (clients, network) move
   * on meanwhile. A real backend does nothing: real work costs real time.
   */
  spend(us: number): void;

  /** Where the core records its decisions. */
  readonly tracer: Tracer;
}
