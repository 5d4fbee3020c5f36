// Kernel-side state of one socket: buffers, TCP state, options and pending error. It holds data;
// the syscalls that change it live in host.ts and the byte transport in network.ts.
import { ByteQueue } from '../base/bytes.ts';
import type { Host } from './host.ts';
import type { Path } from './network.ts';

export type SocketState =
  | 'fresh' // socket() done
  | 'listening'
  | 'connecting' // SYN sent, no answer yet
  | 'established'
  | 'closed' // fd closed; may linger while queued bytes and FIN drain
  | 'dead'; // forgotten by its kernel (vanished host, reset): data arriving here is answered by RST

/** Linux defaults for keepalive when SO_KEEPALIVE is set without TCP_KEEP*: 7200 s, 75 s, 9 probes. */
export const TCP_KEEPIDLE_DEFAULT = 7200;
export const TCP_KEEPINTVL_DEFAULT = 75;
export const TCP_KEEPCNT_DEFAULT = 9;

/**
 * A simulated program watching its socket: woken (at the current time, once per batch of
 * changes) when the socket's state changes. An object rather than a callback so that no closure
 * is kept per socket.
 */
export interface Watcher {
  wake(): void;
}

let nextSocketId = 1;

const NO_ACCEPT_QUEUE: Socket[] = Object.freeze([]) as unknown as Socket[];

export class Socket {
  readonly id = nextSocketId++;
  fd = -1;
  state: SocketState = 'fresh';
  localIp = '';
  localPort = 0;
  remoteIp = '';
  remotePort = 0;

  // Listening sockets.
  backlog = 0;
  /**
   * Established connections not yet accepted (Linux's accept queue). Memory: only a listening
   * socket has its own (made by listen()); others share a frozen empty one.
   */
  acceptQueue: Socket[] = NO_ACCEPT_QUEUE;

  // Stream sockets.
  peer: Socket | null = null;
  /** The direction this socket sends on. */
  out: Path | null = null;
  readonly rcv = new ByteQueue();
  rcvCap: number;
  /** Bytes written and not yet delivered to the peer (includes bytes in flight). */
  readonly snd = new ByteQueue();
  sndCap: number;
  /** How many bytes at the front of `snd` are in flight. */
  inFlight = 0;
  /** close()/shutdown(SHUT_WR) asked for a FIN after the queued bytes. */
  finQueued = false;
  finSent = false;
  /** The peer's FIN arrived: read() returns 0 once `rcv` is drained. */
  peerFin = false;
  /** Closed with unread input (RST) while some of its bytes were on the wire: those still arrive. */
  abortedOnWire = false;
  /** Pending socket error (positive errno): ECONNRESET, ETIMEDOUT, ECONNREFUSED. */
  error = 0;

  // Options.
  nodelay = false;
  keepalive = false;
  keepIdle = TCP_KEEPIDLE_DEFAULT;
  keepIntvl = TCP_KEEPINTVL_DEFAULT;
  keepCnt = TCP_KEEPCNT_DEFAULT;
  /** Last time anything (data, ACK, probe answer) was heard from the peer. */
  lastHeardUs = 0;
  /** Pending keepalive timer (a scheduler handle), if armed. */
  keepaliveTimer: unknown = null;

  /** Connect attempts made (SYN retransmissions). */
  synAttempts = 0;

  /** epoll interest of the fd (READABLE 1 | WRITABLE 2), kept by the host. */
  pollMask = 0;
  /** Place in the host's ready list (see Host). */
  inReady = false;
  readyPrev: Socket | null = null;
  readyNext: Socket | null = null;

  /** Notification for simulated client programs (not for the core, which polls). */
  watcher: Watcher | null = null;
  notifyPending = false;

  constructor(readonly host: Host, sndCap: number, rcvCap: number) {
    this.sndCap = sndCap;
    this.rcvCap = rcvCap;
  }

  get addr(): string {
    return fmtAddr(this.remoteIp, this.remotePort);
  }

  get laddr(): string {
    return fmtAddr(this.localIp, this.localPort);
  }

  /** Level-triggered readability as epoll reports it. */
  get readable(): boolean {
    if (this.state === 'listening') return this.acceptQueue.length > 0;
    return this.rcv.length > 0 || this.peerFin || this.error !== 0;
  }

  /** Level-triggered writability as epoll reports it. */
  get writable(): boolean {
    if (this.error !== 0) return true;
    return this.state === 'established' && !this.finQueued && this.snd.length < this.sndCap;
  }
}

/** `ip:port`, with IPv6 addresses in brackets as Redis prints them. */
export function fmtAddr(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
