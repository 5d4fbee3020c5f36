// A simulated client program: connects at its time, plays its script step by step on a client
// machine's socket, reads and decodes replies, and records what it observes. It drives the kernel's
// syscalls directly (it is the world outside the server), never the core.
import { ByteQueue, Filler, isFiller, segmentsLength, sliceSegment, type Segment } from '../base/bytes.ts';
import { EAGAIN, EINPROGRESS, EPROTO, errnoName } from '../base/errno.ts';
import { DONE, TlsSession } from '../tls/session.ts';
import type { Host } from '../kernel/host.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { TimerHandle } from '../kernel/scheduler.ts';
import type { Watcher } from '../kernel/socket.ts';
import { ReplyReader, renderReply } from '../protocol/reply-reader.ts';
import { fmtDuration } from './build.ts';
import type { ArgSpec, ClientSpec, Step } from './types.ts';

const CRLF = Buffer.from('\r\n');
const READ_CHUNK = 16384;

/** Encodes one command as a RESP multibulk; `{fill}` arguments stay virtual. */
export function encodeCommand(args: readonly ArgSpec[], out: Segment[] = []): Segment[] {
  out.push(Buffer.from(`*${args.length}\r\n`));
  for (const a of args) {
    if (typeof a === 'string') {
      const b = Buffer.from(a, 'utf8');
      out.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
    } else {
      out.push(Buffer.from(`$${a.fill}\r\n`), new Filler(a.fill), CRLF);
    }
  }
  return out;
}

/**
 * Performance: a script step's bytes are encoded once and reused (steps are immutable; so are the
 * encoded runs, which lets the kernel keep them by reference), with adjacent real runs merged into
 * one Buffer — a request is one run instead of seven. The bytes sent are the same.
 */
const encodedCache = new WeakMap<object, readonly Segment[]>();

function mergeRuns(segs: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  let pending: Buffer[] = [];
  const flushReal = () => {
    if (pending.length === 1) out.push(pending[0]!);
    else if (pending.length > 1) out.push(Buffer.concat(pending));
    pending = [];
  };
  for (const seg of segs) {
    if (seg.length === 0) continue;
    if (isFiller(seg)) {
      flushReal();
      out.push(seg);
    } else pending.push(seg);
  }
  flushReal();
  return out;
}

/** The encoded bytes of a command (cached per argument list). */
function encodedCommand(args: readonly ArgSpec[]): readonly Segment[] {
  let segs = encodedCache.get(args);
  if (!segs) encodedCache.set(args, (segs = mergeRuns(encodeCommand(args))));
  return segs;
}

/** Encoded pipelines of one command, per argument list and repeat count. */
const repeatedCache = new WeakMap<object, Map<number, readonly Segment[]>>();

/** The encoded bytes of a pipeline step (cached per step, and per command and count). */
function encodedPipeline(s: Extract<Step, { op: 'pipeline' }>): readonly Segment[] {
  if (s.commands.length === 1) {
    const args = s.commands[0]!;
    let byCount = repeatedCache.get(args);
    if (!byCount) repeatedCache.set(args, (byCount = new Map()));
    let segs = byCount.get(s.repeat);
    if (!segs) byCount.set(s.repeat, (segs = encodedSteps(s)));
    return segs;
  }
  let segs = encodedCache.get(s);
  if (!segs) encodedCache.set(s, (segs = encodedSteps(s)));
  return segs;
}

function encodedSteps(s: Extract<Step, { op: 'pipeline' }>): readonly Segment[] {
  // From each command's cached encoding (scripts often repeat the same argument lists).
  const all: Segment[] = [];
  for (let i = 0; i < s.repeat; i++) for (const cmd of s.commands) for (const seg of encodedCommand(cmd)) all.push(seg);
  return mergeRuns(all);
}

/** The scheduled connect (a shared task: no closure per client while thousands wait to connect). */
function connectTask(a: ClientActor): void {
  a.connect();
}

/** The program's own connect timeout (`connect-timeout`) expired. */
function connectTimeoutTask(a: ClientActor): void {
  a.giveUpConnecting();
}

type Wait =
  | { kind: 'replies'; count: number }
  | { kind: 'closed' }
  | { kind: 'time' }
  | { kind: 'connect' };

/** What the client saw of its connection, for expectations and reports. */
export interface ClientObservation {
  name: string;
  replies: string[];
  /**
   * 'eof' when the server closed, 'reset' on ECONNRESET, 'refused'/'timeout' when connect failed,
   * 'tls-error' when the TLS handshake failed or a TLS alert ended the connection.
   */
  ended: 'eof' | 'reset' | 'refused' | 'timeout' | 'closed-by-client' | 'vanished' | 'tls-error' | null;
  endedAtUs: number | null;
  /** Script steps not run (the connection ended first, or the horizon came). */
  stepsLeft: number;
}

export class ClientActor implements Watcher {
  private fd = -1;
  private step = 0;
  private wait: Wait | null = { kind: 'connect' };
  private reading = true;
  private readonly out = new ByteQueue();
  private readonly reader = new ReplyReader();
  readonly replies: string[] = [];
  ended: ClientObservation['ended'] = null;
  endedAtUs: number | null = null;
  /** Every step has run (or can no longer run). */
  private scriptDone = false;
  /** The client side of TLS (for a `tls` client, once connected). */
  private tls: TlsSession | null = null;
  private tlsHelloSent = false;
  /** The pending `connect-timeout`, cancelled once connect() completes or fails. */
  private connectTimer: TimerHandle | null = null;

  constructor(
    private readonly kernel: Kernel,
    private readonly host: Host,
    readonly spec: ClientSpec,
    private readonly server: { ip: string; port: number },
  ) {}

  /** Schedules the connect at the client's start time. */
  start(): void {
    this.kernel.sched.at(this.spec.connectAtUs, connectTask, false, this);
  }

  /**
   * Finished: the script has run and everything it wrote has left the program (or cannot). Once
   * true it stays true (no step runs after the script is done, so nothing more is queued, and a
   * closed fd is never reopened): run.ts relies on this.
   */
  get done(): boolean {
    return this.scriptDone && (this.out.length === 0 || this.fd === -1);
  }

  observation(): ClientObservation {
    return { name: this.spec.name, replies: this.replies, ended: this.ended, endedAtUs: this.endedAtUs, stepsLeft: this.spec.script.length - this.step };
  }

  /** Whether `client` events are recorded (performance: nothing is built for them otherwise). */
  private get noting(): boolean {
    return this.kernel.opts.tracer.wants('client');
  }

  private note(what: string, detail?: string): void {
    if (!this.noting) return;
    this.kernel.trace({ kind: 'client', what, ...(detail !== undefined ? { detail } : {}) }, this.spec.name);
  }

  /** @internal Called by the scheduled connect (connectTask). */
  connect(): void {
    const fd = this.host.socket();
    if (fd < 0) {
      this.finish('refused', `socket: ${errnoName(fd)}`);
      return;
    }
    this.fd = fd;
    const sock = this.host.socketAt(fd)!;
    sock.watcher = this;
    const r = this.host.connect(fd, this.server.ip, this.server.port);
    if (r !== -EINPROGRESS) this.finish('refused', errnoName(r));
    else if (this.spec.connectTimeoutUs !== undefined) this.connectTimer = this.kernel.sched.after(this.spec.connectTimeoutUs, connectTimeoutTask, false, this);
  }

  /**
   * @internal Called when `connect-timeout` expires: a program still waiting for connect() gives
   * up as a client library does (close the socket; the kernel stops retrying the SYN).
   */
  giveUpConnecting(): void {
    this.connectTimer = null;
    if (this.wait?.kind !== 'connect' || this.fd === -1) return;
    this.host.close(this.fd);
    this.fd = -1;
    this.ended = 'timeout';
    this.endedAtUs = this.kernel.now;
    this.note('connect-timeout', `gave up after ${fmtDuration(this.spec.connectTimeoutUs!)}`);
    this.scriptDone = true;
    this.wait = null;
  }

  private cancelConnectTimer(): void {
    if (this.connectTimer) this.kernel.sched.cancel(this.connectTimer);
    this.connectTimer = null;
  }

  /** The kernel says something changed on our socket (Watcher). */
  wake(): void {
    this.onReady();
  }

  private onReady(): void {
    if (this.fd === -1) return;
    const sock = this.host.socketAt(this.fd);
    if (!sock) return;
    if (this.wait?.kind === 'connect') {
      if (sock.state === 'established') {
        this.cancelConnectTimer();
        if (this.spec.tls) {
          if (!this.tlsHandshake()) return;
        } else this.note('connected', sock.laddr);
        this.wait = null;
      } else if (sock.error) {
        this.cancelConnectTimer();
        this.finish(sock.error === 111 ? 'refused' : 'timeout', errnoName(sock.error));
        return;
      } else return;
    }
    if (this.reading) this.drainReads();
    this.flush();
    if (!this.scriptDone) this.advance();
  }

  /**
   * Drives the client's TLS handshake (SSL_connect) after the TCP connect; true once it is done
   * and the script may run. A `cut-handshake` client closes midway instead.
   */
  private tlsHandshake(): boolean {
    const spec = this.spec.tls!;
    const sock = this.host.socketAt(this.fd)!;
    if (!this.tls) {
      this.note('connected', sock.laddr);
      const fd = this.fd;
      const host = this.host;
      const io = {
        read: (max: number) => host.read(fd, max),
        write: (data: readonly Segment[], max: number) => host.write(fd, data, max, true),
      };
      this.tls = new TlsSession(io, { role: 'client', cert: spec.cert, trustServer: spec.trustServer }, null, null);
      if (spec.cut === 'half-hello') {
        const hello = this.tls.clientHello();
        let half = Math.floor(segmentsLength(hello) / 2);
        const part: Segment[] = [];
        for (const seg of hello) {
          if (half === 0) break;
          const take = Math.min(seg.length, half);
          part.push(take === seg.length ? seg : sliceSegment(seg, 0, take));
          half -= take;
        }
        this.host.write(this.fd, part, Infinity, true);
        this.cutHandshake('sent half a ClientHello, then closed');
        return false;
      }
    } else if (spec.cut === 'after-hello' && this.tlsHelloSent && sock.readable) {
      this.cutHandshake('closed on the server\'s first flight, before Finished');
      return false;
    }
    const r = this.tls.handshake();
    this.tlsHelloSent = true;
    if (r === DONE) {
      this.note('tls-handshake-done');
      return true;
    }
    if (r < 0) this.tlsFailed(r);
    return false;
  }

  private cutHandshake(detail: string): void {
    this.note('tls-cut', detail);
    this.host.close(this.fd);
    this.fd = -1;
    this.ended = 'closed-by-client';
    this.endedAtUs = this.kernel.now;
    this.finish(null);
  }

  /** The TLS layer failed (handshake or alert): the connection is over. */
  private tlsFailed(r: number): void {
    const why = this.tls?.lastError ?? errnoName(r);
    this.host.close(this.fd);
    this.fd = -1;
    this.ended = 'tls-error';
    this.endedAtUs = this.kernel.now;
    this.note('tls-error', why);
    this.wait = null;
    if (this.step === 0 && !this.tls?.handshakeDone) this.finish(null);
    else this.advance();
  }

  private drainReads(): void {
    for (;;) {
      const r = this.tls ? this.tls.read(READ_CHUNK) : this.host.read(this.fd, READ_CHUNK);
      if (typeof r === 'number') {
        if (r === -EAGAIN) return;
        if (r === -EPROTO && this.tls?.closedByPeer) this.connectionEnded('eof');
        else if (r === -EPROTO) this.tlsFailed(r);
        else if (r === 0) this.connectionEnded('eof');
        else this.connectionEnded('reset', errnoName(r));
        return;
      }
      for (const seg of r) this.reader.push(seg);
      const noting = this.noting;
      for (let rep = this.reader.next(); rep; rep = this.reader.next()) {
        const text = renderReply(rep);
        this.replies.push(text);
        if (noting) this.note('reply', text.length > 200 ? `${text.slice(0, 200)}…` : text);
      }
    }
  }

  private connectionEnded(how: 'eof' | 'reset', detail?: string): void {
    this.ended = how;
    this.endedAtUs = this.kernel.now;
    this.note(how, detail);
    this.host.close(this.fd);
    this.fd = -1;
    // A wait for replies or for the close is over: nothing more will come.
    this.wait = null;
    this.advance();
  }

  private finish(ended: ClientObservation['ended'], detail?: string): void {
    if (ended) {
      this.ended = ended;
      this.endedAtUs = this.kernel.now;
      this.note(ended, detail);
    }
    this.scriptDone = true;
    this.wait = null;
  }

  private send(segs: readonly Segment[]): void {
    if (this.out.length === 0 && this.fd !== -1 && !this.tls) {
      // Performance: nothing is queued, so the runs go straight to write(); only what the socket
      // did not take is queued (the same bytes, in the same order, as queueing everything first).
      const n = this.host.write(this.fd, segs, Infinity, true);
      let skip = n > 0 ? n : 0;
      for (const seg of segs) {
        if (skip >= seg.length) {
          skip -= seg.length;
          continue;
        }
        this.out.push(skip > 0 ? sliceSegment(seg, skip, seg.length) : seg);
        skip = 0;
      }
      return;
    }
    this.out.pushAll(segs);
    this.flush();
  }

  private flush(): void {
    if (this.out.length === 0 || this.fd === -1) return;
    if (this.tls) {
      // SSL_write takes one record (16 KiB at most) per call.
      for (;;) {
        const n = this.tls.write(this.out.segments(), this.out.length);
        if (n <= 0) return;
        this.out.skip(n);
        if (this.out.length === 0) return;
      }
    }
    // The program's runs are never modified after they are made: the kernel may keep them.
    const n = this.host.write(this.fd, this.out.segments(), Infinity, true);
    if (n > 0) this.out.skip(n);
  }

  /** Runs steps until one has to wait. */
  private advance(): void {
    while (!this.scriptDone && this.wait === null) {
      if (this.step >= this.spec.script.length) {
        this.scriptDone = true;
        this.note('script-done');
        return;
      }
      if (this.fd === -1 && this.needsConnection(this.spec.script[this.step]!)) {
        // The connection is gone: the rest of the script cannot run.
        this.note('script-abandoned', `${this.spec.script.length - this.step} steps left`);
        this.scriptDone = true;
        return;
      }
      this.run(this.spec.script[this.step++]!);
    }
    if (this.wait) this.checkWait();
  }

  private needsConnection(s: Step): boolean {
    return s.op !== 'wait';
  }

  private checkWait(): void {
    const w = this.wait;
    if (!w) return;
    const satisfied = (w.kind === 'replies' && this.replies.length >= w.count) || (w.kind === 'closed' && this.fd === -1);
    if (satisfied) {
      this.wait = null;
      this.advance();
    }
  }

  private run(s: Step): void {
    switch (s.op) {
      case 'call':
        this.send(encodedCommand(s.args));
        this.wait = { kind: 'replies', count: this.replies.length + 1 };
        break;
      case 'send':
        this.send(encodedCommand(s.args));
        break;
      case 'inline':
        this.send([Buffer.from(s.text + '\r\n', 'utf8')]);
        break;
      case 'raw':
        this.send(s.bytes.slice());
        break;
      case 'pipeline':
        this.send(encodedPipeline(s));
        break;
      case 'wait':
        this.wait = { kind: 'time' };
        this.kernel.sched.after(s.us, () => {
          this.wait = null;
          if (this.fd !== -1) this.onReady();
          else this.advance();
        });
        break;
      case 'wait-replies':
        this.wait = { kind: 'replies', count: s.count };
        break;
      case 'wait-closed':
        this.wait = { kind: 'closed' };
        break;
      case 'stop-reading':
        this.reading = false;
        this.note('stop-reading');
        break;
      case 'resume-reading':
        this.reading = true;
        this.note('resume-reading');
        this.drainReads();
        break;
      case 'close':
        this.tls?.shutdown(); // close_notify first, as a TLS client library does
        this.host.close(this.fd);
        this.fd = -1;
        this.ended = 'closed-by-client';
        this.endedAtUs = this.kernel.now;
        this.note('close');
        break;
      case 'vanish':
        this.kernel.vanish(this.host);
        this.ended = 'vanished';
        this.endedAtUs = this.kernel.now;
        this.fd = -1;
        this.scriptDone = true;
        break;
    }
  }
}
