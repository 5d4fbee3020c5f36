// Test helpers for the virtual kernel: build a kernel as src/scenario/run.ts does, set up
// listeners and connections, and drive the scheduler until something is true.
import { type Segment, toBuffer } from '../../src/base/bytes.ts';
import { EINPROGRESS } from '../../src/base/errno.ts';
import { RandomStreams } from '../../src/base/rng.ts';
import type { Host } from '../../src/kernel/host.ts';
import { Kernel, type PollOrder } from '../../src/kernel/kernel.ts';
import type { Socket } from '../../src/kernel/socket.ts';
import type { LinkSpec } from '../../src/kernel/types.ts';
import { Recorder } from '../../src/timeline/recorder.ts';

export const SEC = 1_000_000;
export const PORT = 6379;
export const IP = '127.0.0.1';

/** The scenario defaults: 50 µs latency, no jitter, unlimited bandwidth, 16 KiB / 128 KiB buffers. */
export const DEFAULT_LINK: LinkSpec = { latencyUs: 50, jitterUs: 0, bandwidth: 0, sndbuf: 16384, rcvbuf: 131072 };

export function link(over: Partial<LinkSpec> = {}): LinkSpec {
  return { ...DEFAULT_LINK, ...over };
}

export interface KernelBuild {
  seed?: number;
  pollOrder?: PollOrder;
  horizonUs?: number;
  /** Buffer sizes of server-side sockets (kernel.serverLink). */
  serverLink?: Partial<LinkSpec>;
  nofile?: { soft: number; hard: number };
}

export function makeKernel(b: KernelBuild = {}) {
  let kernel!: Kernel;
  const recorder = new Recorder(() => kernel.now, (addr) => kernel.clientNameOf(addr));
  kernel = new Kernel({
    streams: new RandomStreams(b.seed ?? 1),
    tracer: recorder,
    pollOrder: b.pollOrder ?? 'fd',
    horizonUs: b.horizonUs ?? 3600 * SEC,
  });
  kernel.serverLink = link(b.serverLink);
  const server = kernel.createServerHost('server', IP, b.nofile ?? { soft: 1024, hard: 1048576 });
  return { kernel, recorder, server };
}

/** socket + bind + listen on the server host; returns the listening fd. */
export function listenOn(server: Host, backlog = 511, port = PORT): number {
  const fd = server.socket();
  if (fd < 0) throw new Error(`socket failed: ${fd}`);
  const b = server.bind(fd, IP, port);
  if (b < 0) throw new Error(`bind failed: ${b}`);
  server.listen(fd, backlog);
  return fd;
}

/** Runs scheduled items until `pred` holds; throws when nothing is left or `limitUs` would pass. */
export function runUntilTrue(kernel: Kernel, pred: () => boolean, limitUs = kernel.now + 3600 * SEC): number {
  while (!pred()) {
    const next = kernel.sched.peekTime();
    if (next === undefined) throw new Error(`nothing scheduled and the condition is still false at ${kernel.now}`);
    if (next > limitUs) throw new Error(`condition still false at the limit ${limitUs} (next item at ${next})`);
    kernel.sched.runNext();
  }
  return kernel.now;
}

/** Runs every scheduled item due up to `limitUs` (default: until nothing is scheduled). */
export function drain(kernel: Kernel, limitUs = Infinity): void {
  for (;;) {
    const next = kernel.sched.peekTime();
    if (next === undefined || next > limitUs) return;
    kernel.sched.runNext();
  }
}

/** Starts a non-blocking connect from `client` to the server; returns the client's fd. */
export function startConnect(client: Host, port = PORT): number {
  const fd = client.socket();
  if (fd < 0) throw new Error(`socket failed: ${fd}`);
  const r = client.connect(fd, IP, port);
  if (r !== -EINPROGRESS) throw new Error(`connect returned ${r}`);
  return fd;
}

export interface Pair {
  cfd: number;
  sfd: number;
  csock: Socket;
  ssock: Socket;
}

/** Connects `client` to the listener `lfd`, waits for the handshake and accepts. */
export function connectPair(kernel: Kernel, server: Host, lfd: number, client: Host): Pair {
  const cfd = startConnect(client);
  const csock = client.socketAt(cfd)!;
  const listener = server.socketAt(lfd)!;
  runUntilTrue(kernel, () => csock.state === 'established' && listener.acceptQueue.length > 0);
  const a = server.accept(lfd);
  if (typeof a === 'number') throw new Error(`accept failed: ${a}`);
  return { cfd, sfd: a.fd, csock, ssock: a.sock };
}

/** Reads everything buffered now (up to `max` per call); the bytes, or the errno/0 that ended it. */
export function readNow(host: Host, fd: number, max = 1 << 20): { data: Buffer; end: number } {
  const parts: Segment[] = [];
  for (;;) {
    const r = host.read(fd, max);
    if (typeof r === 'number') return { data: toBuffer(parts), end: r };
    parts.push(...r);
  }
}

/**
 * Runs the scheduler item by item and records each growth of `sock`'s receive buffer:
 * [time, bytes added]. Stops when nothing is due up to `limitUs`.
 */
export function recordArrivals(kernel: Kernel, sock: Socket, limitUs = Infinity): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let len = sock.rcv.length;
  for (;;) {
    const next = kernel.sched.peekTime();
    if (next === undefined || next > limitUs) return out;
    kernel.sched.runNext();
    if (sock.rcv.length > len) out.push([kernel.now, sock.rcv.length - len]);
    len = sock.rcv.length;
  }
}
