// A run with instruments, for property checks: the same world as `runScenario` (run.ts) builds —
// same kernel, core, client programs and faults, so the same timeline and hash — plus
//  - a probe called after every recorded event, with a read-only view of the server's clients
//    (output-buffer memory as the limits count it, flags that exempt from timeouts, class);
//  - the bytes each client program read from its sockets, and the bytes still buffered at the end
//    (the server socket's send queue, including bytes in flight, and the client's receive queue);
//  - the server's effective configuration and fd limit after start-up.
// It runs through runScenario's hooks, so it is the same run; test/properties/observe.test.ts
// still checks that the hash always equals a plain run's.
import type { Host } from '../kernel/host.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { Socket } from '../kernel/socket.ts';
import { CLIENT_BLOCKED, CLIENT_CLOSE_ASAP, CLIENT_PUBSUB, type Client } from '../server/client.ts';
import type { ObufLimit, ServerConfig } from '../server/config.ts';
import { timeoutApplies } from '../server/cron.ts';
import { getClientOutputBufferMemoryUsage, getClientType, type ClientType } from '../server/limits.ts';
import type { Server } from '../server/server.ts';
import type { EventBody, TimelineEvent } from '../timeline/events.ts';
import { Recorder } from '../timeline/recorder.ts';
import { runScenario, type RunHooks, type RunResult } from './run.ts';
import type { Scenario } from './types.ts';

/** What a probe sees of one connected client at an event. */
export interface ClientView {
  id: number;
  /** The scenario's client name. */
  name: string;
  /** Output-buffer memory as the limits count it (omem: reply blocks plus 40 bytes each). */
  omem: number;
  /** Bytes still queued for the client (static buffer and blocks). */
  pendingBytes: number;
  /** Class whose output limits apply (masters count as normal). */
  cls: Exclude<ClientType, 'master'>;
  limit: ObufLimit;
  /** Marked to be closed (CLOSE_ASAP): no more replies are queued for it. */
  closing: boolean;
  pubsub: boolean;
  blocked: boolean;
  /** Whether `timeout` applies to it now (not pub/sub, blocked, replica, master). */
  timeoutApplies: boolean;
  authenticated: boolean;
}

/** Read-only view of the server, valid during a probe call. */
export interface ServerView {
  /** Connected clients, in the server's list order (computed on demand). */
  clients(): ClientView[];
  /** The client with this id, if still connected. */
  client(id: number): ClientView | undefined;
  /** The client object of a close event, as it was when freed (its buffers are left as they were). */
  closed(id: number): ClientView | undefined;
  config: ServerConfig;
  /** Current hz (dynamic-hz may raise it). */
  hz: number;
}

/** Called after each recorded event. */
export type Probe = (e: TimelineEvent, view: ServerView) => void;

export interface ObservedRun {
  result: RunResult;
  /** The server's configuration after start-up (maxclients as adjusted to the fd limit). */
  config: ServerConfig;
  /** RLIMIT_NOFILE of the server after start-up. */
  fdLimit: { soft: number; hard: number };
  /** Per client name: bytes its program read from its socket(s). */
  bytesRead: Map<string, number>;
  /** Per client name: bytes buffered at the end (server send queue incl. in flight, client receive queue). */
  bytesBuffered: Map<string, number>;
  /** Per client name: of bytesBuffered, those still in the server sockets' send queues. */
  bytesInServerSendQueues: Map<string, number>;
  /** Ids of the clients still connected at the end. */
  openAtEnd: Set<number>;
  /** Event-loop iterations the server ran (each costs it 1 µs of virtual CPU). */
  loopIterations: number;
}

export interface ObserveOptions {
  seed?: number;
  probe?: Probe;
}

class ProbeRecorder extends Recorder {
  hook: ((e: TimelineEvent) => void) | null = null;
  override emitFor(body: EventBody, client?: string): void {
    const n = this.events.length;
    super.emitFor(body, client);
    if (this.hook && this.events.length > n) this.hook(this.events[n]!);
  }
}

function view(server: Server, c: Client, name: (addr: string) => string): ClientView {
  const t = getClientType(c);
  const cls = t === 'master' ? 'normal' : t;
  let pending = c.bufPos - (c.reply.length ? 0 : c.sentlen);
  for (const b of c.reply) pending += b.used;
  if (c.reply.length) pending -= c.sentlen;
  return {
    id: c.id,
    name: name(c.addr),
    omem: getClientOutputBufferMemoryUsage(c),
    pendingBytes: pending,
    cls,
    limit: server.config['client-output-buffer-limit'][cls],
    closing: c.has(CLIENT_CLOSE_ASAP),
    pubsub: c.has(CLIENT_PUBSUB),
    blocked: c.has(CLIENT_BLOCKED),
    timeoutApplies: timeoutApplies(c),
    authenticated: c.authenticated,
  };
}

/** Runs `sc` through runScenario with the instruments above. Throws ScenarioError for a bad config. */
export function observeRun(sc: Scenario, opts: ObserveOptions = {}): ObservedRun {
  let server!: Server;
  let serverHost!: Host;
  let recorder!: ProbeRecorder;
  let kernelRef!: Kernel;
  // Client objects by id, kept after they are freed so a close event can be inspected.
  const known = new Map<number, Client>();
  const bytesRead = new Map<string, number>();
  const sockets = new Map<string, Socket[]>();
  let loopIterations = 0;
  const hooks: RunHooks = {
    recorder: (now, resolve) => (recorder = new ProbeRecorder(now, resolve)),
    onServer: (w) => {
      server = w.server;
      serverHost = w.serverHost;
      kernelRef = w.kernel;
      if (!opts.probe) return;
      const probe = opts.probe;
      const nameOf = (addr: string) => kernelRef.clientNameOf(addr) ?? addr;
      const sv: ServerView = {
        clients: () => {
          const out: ClientView[] = [];
          for (let n = server.clients.head; n; n = n.next) out.push(view(server, n.value, nameOf));
          return out;
        },
        client: (id) => {
          const c = server.clientsById.get(id);
          return c ? view(server, c, nameOf) : undefined;
        },
        closed: (id) => {
          const c = known.get(id);
          return c ? view(server, c, nameOf) : undefined;
        },
        get config() {
          return server.config;
        },
        get hz() {
          return server.hz;
        },
      };
      recorder.hook = (e) => {
        if (e.kind === 'accept') {
          const c = server.clientsById.get(e.id);
          if (c) known.set(e.id, c);
        }
        probe(e, sv);
      };
    },
    onClientHost: (host, spec) => {
      bytesRead.set(spec.name, 0);
      sockets.set(spec.name, []);
      // Count what the program reads, and remember its sockets (they outlive their fds).
      const read = host.read.bind(host);
      host.read = (fd, max) => {
        const r = read(fd, max);
        if (typeof r !== 'number') {
          let n = 0;
          for (const seg of r) n += seg.length;
          bytesRead.set(spec.name, bytesRead.get(spec.name)! + n);
        }
        return r;
      };
      const socket = host.socket.bind(host);
      host.socket = () => {
        const fd = socket();
        const sk = fd >= 0 ? host.socketAt(fd) : undefined;
        if (sk) sockets.get(spec.name)!.push(sk);
        return fd;
      };
    },
    onIteration: () => {
      loopIterations++;
    },
  };
  const result = runScenario(sc, opts.seed === undefined ? {} : { seed: opts.seed }, hooks);

  const bytesBuffered = new Map<string, number>();
  const bytesInServerSendQueues = new Map<string, number>();
  for (const [name, socks] of sockets) {
    let n = 0;
    let srv = 0;
    for (const s of socks) {
      n += s.rcv.length;
      srv += s.peer ? s.peer.snd.length : 0;
    }
    bytesBuffered.set(name, n + srv);
    bytesInServerSendQueues.set(name, srv);
  }
  const openAtEnd = new Set<number>();
  for (let n = server.clients.head; n; n = n.next) openAtEnd.add(n.value.id);
  return { result, config: server.config, fdLimit: serverHost.getrlimit(), bytesRead, bytesBuffered, bytesInServerSendQueues, openAtEnd, loopIterations };
}
