// The wire between each client machine and the server: latency, bandwidth, seeded jitter, flow
// control against the receiver's buffer, and faults (partition, vanish, RST, slicing). It moves
// bytes between sockets' buffers; it does not implement syscalls (host.ts) or readiness (poll).
//
// Departures from Linux, on purpose: the receive window reopens the moment the receiver reads
// (no ACK delay); a partition holds bytes in the sender's buffer and releases them when it heals
// (no retransmission give-up after tcp_retries2); SYNs that find the accept queue full are dropped
// and retried at 1, 3, 7, 15, 31 and 63 s, then connect() fails with ETIMEDOUT, as Linux does with
// tcp_syn_retries = 6 (the SYN-ACK/ACK race of tcp_abort_on_overflow = 0 is not modelled).
// A SYN to an address of the server machine with no listener there is answered by RST
// (ECONNREFUSED); a SYN to an address no machine owns is answered by nobody and retried the same
// way until ETIMEDOUT (Linux on the same LAN would give EHOSTUNREACH once ARP fails; a routed
// address behaves as modelled).
//
// Firewall rules (firewall.ts) sit at the server's edge. A SYN is judged when it arrives there and
// the SYN-ACK as it would leave; data and FINs are judged when the sender puts them on the wire (as
// partitions are), so bytes already on the wire when a rule is installed still arrive. A dropped
// packet is held in the sender's buffer like a partition holds it; a rejected one is answered by a
// RST to its sender (iptables REJECT --reject-with tcp-reset), and the other end learns nothing.
import { ECONNREFUSED, ECONNRESET, ETIMEDOUT } from '../base/errno.ts';
import type { RandomStreams, Rng } from '../base/rng.ts';
import type { Firewall, PacketDirection, Verdict } from './firewall.ts';
import type { LinkSpec, Direction } from './types.ts';
import type { Scheduler } from './scheduler.ts';
import type { Socket } from './socket.ts';

/** Largest chunk the model moves in one delivery when no slicing is set (a TSO-sized burst). */
export const MAX_CHUNK = 65536;
const SYN_RETRY_LIMIT = 6;

/** Per client machine: its link settings and the faults currently applied to it. */
export class Route {
  partitionedToServer = false;
  partitionedToClient = false;
  vanished = false;
  slicers: { 'to-server': (() => number) | null; 'to-client': (() => number) | null } = {
    'to-server': null,
    'to-client': null,
  };
  /**
   * Client-side sockets of this route's connections, including those whose fd is already closed
   * but which still have bytes or a FIN to drain: a partition's heal must resume them too.
   */
  readonly conns = new Set<Socket>();
  private stream: Rng | null = null;
  /**
   * @param streams where the route's random stream (jitter, `net:<client>`) comes from: it is made
   * on first use. Memory and time: a seeded stream costs a few KB and a key schedule, and most
   * routes have no jitter and never draw; streams are derived from the seed and their name alone,
   * so making one later draws the same numbers.
   */
  constructor(readonly client: string, public link: LinkSpec, private readonly streams: RandomStreams) {}

  get rng(): Rng {
    return (this.stream ??= this.streams.get(`net:${this.client}`));
  }

  /** The connections of this route that are not over at both ends (forgets the others). */
  liveConns(): Socket[] {
    const over = (x: Socket) => x.state === 'dead' || (x.state === 'closed' && x.finSent && x.snd.length === 0);
    for (const s of this.conns) if (over(s) && (!s.peer || over(s.peer))) this.conns.delete(s);
    return [...this.conns];
  }

  blocked(dir: 'to-server' | 'to-client'): boolean {
    if (this.vanished) return true;
    return dir === 'to-server' ? this.partitionedToServer : this.partitionedToClient;
  }
}

/** One direction of a connection. */
export class Path {
  busyUntil = 0;
  lastArrival = 0;
  /**
   * Sizes of the chunks on the wire, oldest first. Arrival times on one path never decrease and
   * ties keep scheduling order, so deliveries happen in this order. Performance: each delivery is
   * then one shared task taking the path's next size, rather than a closure per chunk.
   */
  readonly chunks: number[] = [];
  /** The firewall rule holding (drop) or rejecting this path's next packet, or -1: recorded once. */
  firewallRule = -1;
  constructor(
    readonly from: Socket,
    readonly to: Socket,
    readonly route: Route,
    readonly dir: 'to-server' | 'to-client',
  ) {}
}

/** Callbacks the network needs from the kernel (readiness changes and errors). */
export interface NetworkHooks {
  markReady(s: Socket): void;
  listenerAt(ip: string, port: number): Socket | undefined;
  /** Whether the server machine owns `ip` (it answers SYNs sent there, with RST if nobody listens). */
  serverOwns(ip: string): boolean;
  /** Creates the server-side socket of a new connection (no fd until accept). */
  spawnAccepted(listener: Socket, client: Socket): Socket;
  onConnect(s: Socket, result: 'ok' | 'refused' | 'timeout'): void;
  rearmKeepalive(s: Socket): void;
  /** A firewall rule dropped or rejected a packet of the connection of `client` (client side). */
  firewalled(v: Verdict, client: Socket, dir: PacketDirection): void;
}

export class Network {
  /** The scenario's firewall; null when it has no rules (the hot paths then test only this). */
  firewall: Firewall | null = null;

  constructor(private readonly sched: Scheduler, private readonly hooks: NetworkHooks) {}

  /** One-way delay for the next packet on `route`: latency plus seeded jitter. */
  private delay(route: Route): number {
    const { latencyUs, jitterUs } = route.link;
    return latencyUs + (jitterUs > 0 ? route.rng.int(0, jitterUs) : 0);
  }

  /** Sends a SYN for `s` (a connecting socket); retries as Linux does when it is lost. */
  sendSyn(s: Socket, route: Route): void {
    const attempt = s.synAttempts++;
    // The retransmission timer runs from when this SYN was sent (as Linux's RTO does), not from
    // when the listener dropped it, so retries fall at 1, 3, 7 … s whatever the latency.
    const sentAt = this.sched.now;
    const retry = () => {
      if (s.synAttempts > SYN_RETRY_LIMIT) {
        this.sched.at(sentAt + 1_000_000 * 2 ** SYN_RETRY_LIMIT, () => {
          if (s.state !== 'connecting') return;
          s.error = ETIMEDOUT;
          s.state = 'dead';
          this.hooks.onConnect(s, 'timeout');
          this.hooks.markReady(s);
        });
        return;
      }
      this.sched.at(sentAt + 1_000_000 * 2 ** attempt, () => {
        if (s.state === 'connecting') this.sendSyn(s, route);
      });
    };
    if (route.blocked('to-server')) return retry();
    this.sched.after(this.delay(route), () => {
      if (s.state !== 'connecting') return;
      // Nobody owns the address: no RST comes back, the SYN is simply lost (even for a wildcard listener).
      if (!this.hooks.serverOwns(s.remoteIp)) return retry();
      const fw = this.firewall;
      if (fw !== null) {
        const v = fw.verdict(s.localIp, s.remotePort, 'in');
        if (v !== null) {
          this.hooks.firewalled(v, s, 'in');
          // Dropped: the client retries as for any lost SYN. Rejected: the firewall's RST.
          return v.action === 'drop' ? retry() : this.refuse(s, route);
        }
      }
      const listener = this.hooks.listenerAt(s.remoteIp, s.remotePort);
      // The server's answer (RST or SYN-ACK) goes out: a rule on `out` loses it. A rejected
      // SYN-ACK's RST goes to its sender, the server, whose half-open connection is forgotten;
      // either way the client hears nothing and retries.
      if (fw !== null && (!listener || listener.acceptQueue.length <= listener.backlog)) {
        const v = fw.verdict(s.localIp, s.remotePort, 'out');
        if (v !== null) {
          this.hooks.firewalled(v, s, 'out');
          return retry();
        }
      }
      if (!listener) return this.refuse(s, route);
      // Linux drops the handshake while the accept queue holds more than `backlog` connections.
      if (listener.acceptQueue.length > listener.backlog) return retry();
      const server = this.hooks.spawnAccepted(listener, s);
      s.peer = server;
      server.peer = s;
      s.out = new Path(s, server, route, 'to-server');
      route.conns.add(s);
      server.out = new Path(server, s, route, 'to-client');
      listener.acceptQueue.push(server);
      this.hooks.markReady(listener);
      this.sched.after(this.delay(route), () => {
        if (s.state !== 'connecting') return;
        s.state = 'established';
        s.lastHeardUs = this.sched.now;
        this.hooks.onConnect(s, 'ok');
        this.hooks.markReady(s);
        this.pump(s.out!);
      });
    });
  }

  /** The RST answering a SYN reaches the client: connect() fails with ECONNREFUSED. */
  private refuse(s: Socket, route: Route): void {
    this.sched.after(this.delay(route), () => {
      if (s.state !== 'connecting') return;
      s.error = ECONNREFUSED;
      s.state = 'dead';
      this.hooks.onConnect(s, 'refused');
      this.hooks.markReady(s);
    });
  }

  /** Delivers the oldest chunk on the wire of a path (a shared task: no closure per chunk). */
  private readonly deliverNext = (path: Path): void => this.deliver(path, path.chunks.shift()!);

  /** Moves as many queued bytes of `path.from` onto the wire as the receiver's window allows. */
  pump(path: Path): void {
    const s = path.from;
    const r = path.to;
    if (path.route.blocked(path.dir)) return;
    if (this.firewall !== null && this.filtered(path)) return;
    for (;;) {
      const untransmitted = s.snd.length - s.inFlight;
      if (untransmitted === 0) {
        if (s.finQueued && !s.finSent) this.sendFin(path);
        return;
      }
      const receiverGone = r.state === 'closed' || r.state === 'dead';
      const window = receiverGone ? untransmitted : r.rcvCap - r.rcv.length - s.inFlight;
      if (window <= 0) return;
      const slicer = path.route.slicers[path.dir];
      // Slicing releases the next slice only once the receiver has read the previous one, so
      // every read sees exactly one slice and its boundaries fall where the fault says.
      if (slicer && (s.inFlight > 0 || (!receiverGone && r.rcv.length > 0))) return;
      const n = Math.min(untransmitted, window, slicer ? Math.max(1, slicer()) : MAX_CHUNK);
      const { bandwidth } = path.route.link;
      const depart = Math.max(this.sched.now, path.busyUntil);
      path.busyUntil = depart + (bandwidth > 0 ? Math.ceil((n * 1_000_000) / bandwidth) : 0);
      const arrive = Math.max(path.busyUntil + this.delay(path.route), path.lastArrival);
      path.lastArrival = arrive;
      s.inFlight += n;
      path.chunks.push(n);
      this.sched.at(arrive, this.deliverNext, false, path);
    }
  }

  /**
   * The firewall's verdict on the next packet `path` would send (none when it has nothing to
   * send): true when a rule holds it (drop) or has rejected it (a RST is on its way to the sender).
   */
  private filtered(path: Path): boolean {
    const s = path.from;
    if (s.snd.length === s.inFlight && !(s.finQueued && !s.finSent)) return false;
    const dir: PacketDirection = path.dir === 'to-server' ? 'in' : 'out';
    const v = this.judge(s, path.dir);
    if (v === null) {
      path.firewallRule = -1;
      return false;
    }
    if (path.firewallRule === v.rule) return true; // already held, or its RST is on its way
    path.firewallRule = v.rule;
    const client = path.dir === 'to-server' ? s : path.to;
    this.hooks.firewalled(v, client, dir);
    if (v.action === 'reject') {
      // The RST comes from the server's edge: back across the link to a client, at once to the server.
      const back = dir === 'in' ? this.delay(path.route) + this.delay(path.route) : 0;
      this.sched.after(back, () => this.resetNow(s));
    }
    return true;
  }

  /** The firewall's verdict on a packet `sender` sends in `dir` (the firewall must be set). */
  private judge(sender: Socket, dir: 'to-server' | 'to-client'): Verdict | null {
    return dir === 'to-server'
      ? this.firewall!.verdict(sender.localIp, sender.remotePort, 'in')
      : this.firewall!.verdict(sender.remoteIp, sender.localPort, 'out');
  }

  /** Whether a RST `sender` sends in `dir` gets through the firewall (a rule that drops or rejects loses it). */
  private rstPasses(sender: Socket, dir: 'to-server' | 'to-client'): boolean {
    if (this.firewall === null) return true;
    const v = this.judge(sender, dir);
    if (v === null) return true;
    const client = dir === 'to-server' ? sender : sender.peer;
    if (client) this.hooks.firewalled(v, client, dir === 'to-server' ? 'in' : 'out');
    return false;
  }

  /**
   * Whether a rule drops or rejects either direction of `s`'s connection now (keepalive probes or
   * their answers would be lost). No event: nothing was sent.
   */
  blocksEitherWay(s: Socket): boolean {
    if (this.firewall === null || !s.out) return false;
    const other = s.out.dir === 'to-server' ? 'to-client' : 'to-server';
    return this.judge(s, s.out.dir) !== null || (s.peer !== null && this.judge(s.peer, other) !== null);
  }

  private deliver(path: Path, n: number): void {
    const s = path.from;
    const r = path.to;
    // A sender that failed (reset, keepalive timeout) while these bytes were on the wire has
    // already discarded its send queue; taking from it would throw.
    if ((s.state === 'dead' && !s.abortedOnWire) || s.error) return;
    s.inFlight -= n;
    if (r.state === 'dead' || r.state === 'closed') {
      s.snd.skip(n);
      // Data for a socket its program has closed is answered by RST, as Linux does; a vanished
      // machine answers nothing (the bytes were already on the wire when it vanished).
      if (!(path.dir === 'to-client' && path.route.vanished) && this.rstPasses(r, path.dir === 'to-server' ? 'to-client' : 'to-server')) this.reset(s, path.route);
      return;
    }
    s.snd.transfer(n, r.rcv);
    r.lastHeardUs = this.sched.now;
    // The ACK; a vanished client never sends it, so the server's keepalive is not postponed.
    if (!(path.dir === 'to-client' && path.route.vanished)) s.lastHeardUs = this.sched.now;
    this.hooks.markReady(r);
    this.hooks.markReady(s);
    this.pump(path);
  }

  private sendFin(path: Path): void {
    const s = path.from;
    s.finSent = true;
    const arrive = Math.max(this.sched.now + this.delay(path.route), path.lastArrival);
    path.lastArrival = arrive;
    this.sched.at(arrive, () => {
      const r = path.to;
      if (r.state === 'dead' || r.state === 'closed') return;
      r.peerFin = true;
      r.lastHeardUs = this.sched.now;
      this.hooks.markReady(r);
    });
  }

  /** The peer answered with RST: `s` fails with ECONNRESET after the answer's trip. */
  reset(s: Socket, route: Route): void {
    this.sched.after(this.delay(route), () => this.resetNow(s));
  }

  /** `s` fails with ECONNRESET now: unread and unsent bytes are discarded. */
  resetNow(s: Socket): void {
    if (s.state === 'dead' || s.error) return;
    s.error = ECONNRESET;
    s.rcv.clear();
    s.snd.clear();
    s.inFlight = 0;
    if (s.fd === -1) s.state = 'dead';
    // Cancels a pending keepalive timer: left armed (foreground while the peer is unreachable)
    // it would keep the run from settling for nothing.
    this.hooks.rearmKeepalive(s);
    this.hooks.markReady(s);
  }

  /** Aborts a connection from `s`'s side (close with unread data, SO_LINGER 0): RST to the peer. */
  abort(s: Socket): void {
    const peer = s.peer;
    // Bytes already on the wire still arrive, and the RST follows them (a TLS server's alert
    // reaches the client before the reset); bytes not yet sent are dropped.
    const onWire = s.inFlight;
    if (onWire > 0) {
      const head = s.snd.take(onWire);
      s.snd.clear();
      s.snd.pushAll(head);
      s.abortedOnWire = true;
    } else s.snd.clear();
    s.state = 'dead';
    this.hooks.rearmKeepalive(s); // cancels the keepalive timer (see resetNow)
    if (peer && s.out && !s.out.route.blocked(s.out.dir) && this.rstPasses(s, s.out.dir)) {
      if (onWire === 0) this.reset(peer, s.out.route);
      else {
        const at = Math.max(this.sched.now + this.delay(s.out.route), s.out.lastArrival + 1);
        this.sched.at(at, () => this.resetNow(peer));
      }
    }
  }

  /** Re-pumps both directions of every connection of a route after a fault changed. */
  resume(sockets: Iterable<Socket>): void {
    for (const s of sockets) {
      if (s.out) this.pump(s.out);
      if (s.peer?.out) this.pump(s.peer.out);
      this.hooks.rearmKeepalive(s);
      if (s.peer) this.hooks.rearmKeepalive(s.peer);
    }
  }
}

/** Applies a partition flag for `dir` on a route. */
export function setPartition(route: Route, dir: Direction, on: boolean): void {
  if (dir === 'both' || dir === 'to-server') route.partitionedToServer = on;
  if (dir === 'both' || dir === 'to-client') route.partitionedToClient = on;
}
