// The virtual kernel: owns the clock and scheduler, the machines (hosts) and their routes, the
// listener table, keepalive timers, scheduled faults, and the blocking poll that lets simulated
// time pass. It implements no Redis policy; the core reaches it only through sim-backend.ts.
import { ETIMEDOUT } from '../base/errno.ts';
import { canonicalIp, ipFamily, isLoopback, wildcardOf } from '../base/ip.ts';
import type { RandomStreams } from '../base/rng.ts';
import type { EventBody, Tracer } from '../timeline/events.ts';
import type { LinkSpec, FaultSpec, FirewallRuleSpec } from './types.ts';
import { describeRule, Firewall } from './firewall.ts';
import { Host, type Ready } from './host.ts';
import { Network, Route, setPartition } from './network.ts';
import { Scheduler, type TimerHandle } from './scheduler.ts';
import { Socket, fmtAddr } from './socket.ts';

export type PollOrder = 'fd' | 'fifo' | 'random';

/** The scheduled wake-up of a socket's watcher (see markReady). */
function wakeWatcher(s: Socket): void {
  s.notifyPending = false;
  s.watcher?.wake();
}

/** Linux's net.ipv4.ip_local_port_range (32768-60999); the counter starts at 40000. */
const EPHEMERAL_MIN = 32768;
const EPHEMERAL_MAX = 60999;
const EPHEMERAL_FIRST = 40000;
/** Distinct ports one address can use before its counter comes round again. */
export const EPHEMERAL_PORTS = EPHEMERAL_MAX - EPHEMERAL_MIN + 1;

/**
 * The address of the `index`-th client machine (0-based): 127.0.0.1 for the first
 * EPHEMERAL_PORTS clients, then 127.0.0.2, 127.0.0.3, … for each further block of that many, so
 * that every `ip:port` stays unique however many clients a run has (one address could not give
 * 100,000 connections distinct ports, as on Linux). Deterministic: it depends on the index alone.
 * `enable-debug-command local` treats only 127.0.0.1 as local, as the real server does.
 */
export function clientIpFor(index: number): string {
  const k = Math.floor(index / EPHEMERAL_PORTS) + 1;
  return `127.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

export interface KernelOptions {
  streams: RandomStreams;
  tracer: Tracer;
  pollOrder: PollOrder;
  /** Virtual time at which every run stops. */
  horizonUs: number;
}

/** Why the kernel stopped letting time pass. */
export type StopReason = 'settled' | 'horizon';

export class Kernel {
  readonly sched = new Scheduler();
  readonly network: Network;
  private readonly listeners = new Map<string, Socket>();
  private readonly clientHosts = new Map<string, Host>();
  /** Client address `ip:port` -> client machine name, so server-side events name their client. */
  private readonly addrNames = new Map<string, string>();
  private readonly shuffleRng;
  stopped: StopReason | null = null;
  /** Set by the runner: true when every client program has finished its script. */
  programsDone: () => boolean = () => true;

  /** The poll-order shuffle, made once (performance: not a closure per poll). */
  private readonly shuffle: <T>(xs: T[]) => T[];

  constructor(readonly opts: KernelOptions) {
    const rng = (this.shuffleRng = opts.streams.get('poll-order'));
    this.shuffle = (xs) => rng.shuffle(xs);
    this.network = new Network(this.sched, {
      markReady: (s) => this.markReady(s),
      listenerAt: (ip, port) => this.listenerAt(ip, port),
      serverOwns: (ip) => this.serverOwns(ip),
      spawnAccepted: (l, c) => this.spawnAccepted(l, c),
      onConnect: (s, result) => this.trace({ kind: 'connect', addr: fmtAddr(s.remoteIp, s.remotePort), result }, s.host.name),
      rearmKeepalive: (s) => this.armKeepalive(s),
      firewalled: (v, c, dir) => this.trace({ kind: 'firewall', action: v.action, rule: v.rule, addr: c.laddr, port: c.remotePort, dir }, c.host.name),
    });
  }

  /** Next ephemeral port per local address (machines sharing an address share its counter). */
  private readonly ephemeral = new Map<string, number>();

  /**
   * Next local port for an outgoing connection from `ip`: 40000 upwards, wrapping from 60999 to
   * 32768 (Linux's ip_local_port_range), one counter per address, so that `ip:port` pairs are
   * unique as long as an address makes at most EPHEMERAL_PORTS connections (see clientIpFor).
   */
  nextEphemeralPort(ip = ''): number {
    const p = this.ephemeral.get(ip) ?? EPHEMERAL_FIRST;
    this.ephemeral.set(ip, p + 1 > EPHEMERAL_MAX ? EPHEMERAL_MIN : p + 1);
    return p;
  }

  get now(): number {
    return this.sched.now;
  }

  /** Records a kernel event naming a client machine. */
  trace(body: EventBody, client?: string): void {
    const t = this.opts.tracer as Tracer & { emitFor?: (b: EventBody, client?: string) => void };
    if (t.emitFor) t.emitFor(body, client);
    else t.emit(body);
  }

  /** Name of the client machine behind a server-side peer address, if it is one of ours. */
  clientNameOf(addr: string): string | undefined {
    return this.addrNames.get(addr);
  }

  // ---- machines --------------------------------------------------------------------------------

  /** Addresses of the server machine besides its loopback ones (see serverOwns). */
  private readonly serverAddrs = new Set<string>();

  /**
   * The server machine, at `ip`, with `interfaces`: further addresses it owns (a LAN address, a
   * public IPv6 one…). It owns the loopback addresses as well (see serverOwns).
   */
  createServerHost(name: string, ip: string, nofile: { soft: number; hard: number }, interfaces: readonly string[] = []): Host {
    for (const a of [ip, ...interfaces]) this.serverAddrs.add(canonicalIp(a));
    return new Host(this, name, canonicalIp(ip), nofile, null);
  }

  /**
   * Whether `ip` is an address of the server machine: 127.0.0.0/8 and ::1 (its loopback
   * interface), its host address and its interfaces. bind() to another address fails with
   * EADDRNOTAVAIL, and a SYN sent to another address is answered by nobody (network.ts).
   */
  serverOwns(ip: string): boolean {
    return isLoopback(ip) || this.serverAddrs.has(canonicalIp(ip));
  }

  createClientHost(name: string, ip: string, link: LinkSpec): Host {
    const route = new Route(name, link, this.opts.streams);
    const h = new Host(this, name, canonicalIp(ip), { soft: 1024, hard: 1048576 }, route);
    this.clientHosts.set(name, h);
    return h;
  }

  clientHost(name: string): Host | undefined {
    return this.clientHosts.get(name);
  }

  defaultSndbuf(h: Host): number {
    return h.route?.link.sndbuf ?? this.serverLink.sndbuf;
  }

  defaultRcvbuf(h: Host): number {
    return h.route?.link.rcvbuf ?? this.serverLink.rcvbuf;
  }

  /** Buffer sizes of server-side sockets (taken from the scenario's network defaults). */
  serverLink: LinkSpec = { latencyUs: 50, jitterUs: 0, bandwidth: 0, sndbuf: 16384, rcvbuf: 131072 };

  // ---- listeners -------------------------------------------------------------------------------

  /**
   * The listener a SYN for `ip:port` reaches: one bound to exactly that address, else the wildcard
   * of the address's family (0.0.0.0 takes only IPv4, :: only IPv6: Redis binds IPv6 listeners
   * with IPV6_V6ONLY, and the kernel models no other kind).
   */
  listenerAt(ip: string, port: number): Socket | undefined {
    return this.listeners.get(fmtAddr(ip, port)) ?? this.listeners.get(fmtAddr(wildcardOf(ipFamily(ip) === 6 ? 6 : 4), port));
  }

  /**
   * Whether binding `ip:port` clashes with a listener (EADDRINUSE): one of the same family on the
   * same port whose address is the same or where either address is the wildcard. SO_REUSEADDR,
   * which Redis sets, does not allow sharing a port with a listening socket.
   */
  bindConflict(ip: string, port: number): boolean {
    const fam = ipFamily(ip) === 6 ? 6 : 4;
    const any = wildcardOf(fam);
    for (const l of this.listeners.values()) {
      if (l.localPort !== port || (ipFamily(l.localIp) === 6 ? 6 : 4) !== fam) continue;
      if (l.localIp === ip || l.localIp === any || ip === any) return true;
    }
    return false;
  }

  registerListener(s: Socket): void {
    this.listeners.set(fmtAddr(s.localIp, s.localPort), s);
  }

  unregisterListener(s: Socket): void {
    this.listeners.delete(fmtAddr(s.localIp, s.localPort));
  }

  private spawnAccepted(listener: Socket, client: Socket): Socket {
    const s = new Socket(listener.host, this.serverLink.sndbuf, this.serverLink.rcvbuf);
    s.state = 'established';
    s.localIp = client.remoteIp;
    s.localPort = client.remotePort;
    s.remoteIp = client.localIp;
    s.remotePort = client.localPort;
    s.lastHeardUs = this.now;
    this.addrNames.set(s.addr, client.host.name);
    return s;
  }

  // ---- readiness -------------------------------------------------------------------------------

  /** A socket's state changed: refresh poll readiness and wake a watching client program. */
  markReady(s: Socket): void {
    s.host.markReady(s);
    if (s.watcher && !s.notifyPending) {
      s.notifyPending = true;
      // Performance: one shared task, given the socket, instead of a closure per wake-up.
      this.sched.after(0, wakeWatcher, false, s);
    }
  }

  /**
   * epoll_wait for `host`: lets simulated time pass (running network and client events) until one
   * of its watched fds is ready, `timeoutUs` elapses, the horizon is reached, or the run settles.
   */
  pollBlocking(host: Host, timeoutUs: number | null): Ready[] {
    const deadline = timeoutUs === null ? Infinity : this.now + timeoutUs;
    const shuffle = this.shuffle;
    for (;;) {
      const ready = host.collectReady(this.opts.pollOrder, shuffle);
      if (ready.length || this.stopped) return ready;
      if (this.sched.settled && this.programsDone()) {
        this.stopped = 'settled';
        return [];
      }
      const next = this.sched.peekTime();
      const limit = Math.min(deadline, this.opts.horizonUs);
      if (next === undefined || next > limit) {
        if (limit === Infinity) {
          this.stopped = 'settled';
          return [];
        }
        this.sched.runUntil(limit);
        if (this.now >= this.opts.horizonUs) this.stopped = 'horizon';
        return host.collectReady(this.opts.pollOrder, shuffle);
      }
      this.sched.runNext();
    }
  }

  /** Lets other machines run while the server spends `us` of CPU. */
  spend(us: number): void {
    if (us > 0) this.sched.runUntil(Math.min(this.now + us, Math.max(this.opts.horizonUs, this.now)));
  }

  // ---- keepalive -------------------------------------------------------------------------------

  /**
   * Arms the keepalive timer of `s`. After keepIdle seconds without hearing from the peer, probes
   * are sent every keepIntvl; if keepCnt go unanswered the socket fails with ETIMEDOUT. A reachable
   * peer answers (the timer is background work then); an unreachable one keeps the run alive.
   * Departure: reachability is judged when the idle time expires and again after the last probe.
   */
  armKeepalive(s: Socket): void {
    if (s.keepaliveTimer) this.sched.cancel(s.keepaliveTimer as TimerHandle);
    s.keepaliveTimer = null;
    if (!s.keepalive || s.state !== 'established' || s.error) return;
    const reachable = this.peerReachable(s);
    s.keepaliveTimer = this.sched.at(s.lastHeardUs + s.keepIdle * 1_000_000, this.keepaliveTask, reachable, s);
  }

  /** keepaliveCheck as a shared task (memory: no closure per armed socket). */
  private readonly keepaliveTask = (s: Socket): void => this.keepaliveCheck(s);

  private keepaliveCheck(s: Socket): void {
    s.keepaliveTimer = null;
    if (!s.keepalive || s.state !== 'established' || s.error) return;
    const idleUs = this.now - s.lastHeardUs;
    if (idleUs < s.keepIdle * 1_000_000) return this.armKeepalive(s);
    if (this.peerReachable(s)) {
      s.lastHeardUs = this.now; // the probe was answered
      return this.armKeepalive(s);
    }
    const heard = s.lastHeardUs;
    s.keepaliveTimer = this.sched.after(s.keepIntvl * s.keepCnt * 1_000_000, () => {
      s.keepaliveTimer = null;
      if (s.state !== 'established' || s.error || !s.keepalive) return;
      if (s.lastHeardUs !== heard || this.peerReachable(s)) {
        s.lastHeardUs = Math.max(s.lastHeardUs, this.now);
        return this.armKeepalive(s);
      }
      s.error = ETIMEDOUT;
      s.rcv.clear();
      s.snd.clear();
      s.inFlight = 0;
      this.markReady(s);
    });
  }

  private peerReachable(s: Socket): boolean {
    const p = s.peer;
    if (!p || p.state === 'dead') return false;
    const route = s.out?.route;
    return !!route && !route.blocked('to-server') && !route.blocked('to-client') && !this.network.blocksEitherWay(s);
  }

  // ---- firewall --------------------------------------------------------------------------------

  /**
   * Sets up the scenario's firewall: rules with `at` 0 are in place from the start (no event);
   * later ones are installed, and rules with `until` removed, at their times, each recorded as a
   * `fault` event. With no rules the network keeps no firewall at all.
   */
  setFirewall(rules: readonly FirewallRuleSpec[]): void {
    if (rules.length === 0) return;
    const fw = (this.network.firewall = new Firewall());
    rules.forEach((r, i) => {
      if (r.atUs === 0) fw.install(i, r);
      else this.sched.at(r.atUs, () => this.changeRule(i, r, true));
      if (r.untilUs !== undefined) this.sched.at(r.untilUs, () => this.changeRule(i, r, false));
    });
  }

  private changeRule(index: number, r: FirewallRuleSpec, on: boolean): void {
    const fw = this.network.firewall!;
    if (on) fw.install(index, r);
    else if (!fw.remove(index)) return;
    this.trace({ kind: 'fault', fault: on ? 'firewall-rule' : 'firewall-rule-removed', detail: `firewall[${index}] ${describeRule(r)}` });
    // Held bytes flow again after a removal; keepalive timers re-judge reachability either way.
    for (const h of this.clientHosts.values()) if (h.route) this.network.resume(h.route.liveConns());
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Schedules a scenario fault on the named client's route. */
  scheduleFault(f: FaultSpec): void {
    this.sched.at(f.atUs, () => this.applyFault(f));
  }

  applyFault(f: FaultSpec): void {
    const h = this.clientHosts.get(f.client);
    if (!h || !h.route) return;
    const route = h.route;
    const conns = [...h.sockets()].filter((s) => s.peer);
    switch (f.kind) {
      case 'partition':
        setPartition(route, f.direction, true);
        this.trace({ kind: 'fault', fault: 'partition', detail: `${f.direction} for ${f.durationUs} us` }, f.client);
        // Every connection of the route, not only those with an open fd: a socket closed during
        // the partition still holds its bytes and FIN, and its peer's keepalive must notice.
        this.network.resume(route.liveConns());
        this.sched.after(f.durationUs, () => {
          setPartition(route, f.direction, false);
          this.trace({ kind: 'fault', fault: 'partition-healed', detail: f.direction }, f.client);
          this.network.resume(route.liveConns());
        });
        break;
      case 'vanish':
        this.vanish(h);
        break;
      case 'rst': {
        this.trace({ kind: 'fault', fault: 'rst', detail: `toward ${f.toward}` }, f.client);
        for (const s of conns) {
          const target = f.toward === 'server' ? s.peer! : s;
          const other = target === s ? s.peer! : s;
          this.network.resetNow(target);
          this.network.resetNow(other);
        }
        break;
      }
      case 'slice': {
        const rng = this.opts.streams.get(`slice:${f.client}`);
        let k = 0;
        const sizes = 'sizes' in f ? f.sizes : null;
        const lo = 'random' in f ? f.random[0] : 1, hi = 'random' in f ? f.random[1] : 1;
        const slicer = sizes ? () => sizes[k++ % sizes.length]! : () => rng.int(lo, hi);
        if (f.direction !== 'to-client') route.slicers['to-server'] = slicer;
        if (f.direction !== 'to-server') route.slicers['to-client'] = slicer;
        this.trace({ kind: 'fault', fault: 'slice', detail: `${f.direction} ${sizes ? `sizes ${sizes.join(',')}` : `random ${lo}..${hi}`}` }, f.client);
        break;
      }
    }
  }

  /** The client machine disappears: no FIN, no RST; nothing it had queued is ever sent. */
  vanish(h: Host): void {
    if (!h.route || h.route.vanished) return;
    h.route.vanished = true;
    this.trace({ kind: 'fault', fault: 'vanish' }, h.name);
    for (const s of h.sockets()) s.watcher = null;
    // Re-arm: the timers become foreground work now that the peers are unreachable (including
    // peers of sockets already closed here whose FIN never left).
    for (const s of h.route.liveConns()) if (s.peer) this.armKeepalive(s.peer);
  }
}
