// A simulated client program: connects at its time, plays its script step by step on a client
// machine's socket, reads and decodes replies, and records what it observes. It drives the kernel's
// syscalls directly (it is the world outside the server), never the core.
import { ByteQueue, segmentsLength, sliceSegment, type Segment } from '../base/bytes.ts';
import { EAGAIN, EINPROGRESS, EPROTO, errnoName } from '../base/errno.ts';
import { DONE, TlsSession } from '../tls/session.ts';
import type { Host } from '../kernel/host.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { TimerHandle } from '../kernel/scheduler.ts';
import type { Watcher } from '../kernel/socket.ts';
import { ReplyReader, renderReply } from '../protocol/reply-reader.ts';
import { fmtDuration } from './build.ts';
import { ScriptRunner, type ScriptIo } from './script.ts';
import type { ClientSpec } from './types.ts';

const READ_CHUNK = 16384;

/** The scheduled connect (a shared task: no closure per client while thousands wait to connect). */
function connectTask(a: ClientActor): void {
  a.connect();
}

/** The program's own connect timeout (`connect-timeout`) expired. */
function connectTimeoutTask(a: ClientActor): void {
  a.giveUpConnecting();
}

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

export class ClientActor implements Watcher, ScriptIo {
  private fd = -1;
  private reading = true;
  private readonly out = new ByteQueue();
  private readonly reader = new ReplyReader();
  /** The script's interpreter (shared with the real-socket player). */
  private readonly script: ScriptRunner;
  ended: ClientObservation['ended'] = null;
  endedAtUs: number | null = null;
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
  ) {
    this.script = new ScriptRunner(spec.script, this);
  }

  /** The replies received so far, rendered. */
  get replies(): string[] {
    return this.script.replies;
  }

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
    return this.script.done && (this.out.length === 0 || this.fd === -1);
  }

  observation(): ClientObservation {
    return { name: this.spec.name, replies: this.replies, ended: this.ended, endedAtUs: this.endedAtUs, stepsLeft: this.script.stepsLeft };
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
    if (this.script.wait?.kind !== 'connect' || this.fd === -1) return;
    this.host.close(this.fd);
    this.fd = -1;
    this.ended = 'timeout';
    this.endedAtUs = this.kernel.now;
    this.note('connect-timeout', `gave up after ${fmtDuration(this.spec.connectTimeoutUs!)}`);
    this.script.stop();
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
    if (this.script.wait?.kind === 'connect') {
      if (sock.state === 'established') {
        this.cancelConnectTimer();
        if (this.spec.tls) {
          if (!this.tlsHandshake()) return;
        } else this.note('connected', sock.laddr);
        this.script.wait = null;
      } else if (sock.error) {
        this.cancelConnectTimer();
        this.finish(sock.error === 111 ? 'refused' : 'timeout', errnoName(sock.error));
        return;
      } else return;
    }
    if (this.reading) this.drainReads();
    this.flush();
    if (!this.script.done) this.script.advance();
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
      this.tls = new TlsSession(this.host.rawIo(this.fd), { role: 'client', cert: spec.cert, trustServer: spec.trustServer }, null, null);
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
    this.script.wait = null;
    if (!this.script.started && !this.tls?.handshakeDone) this.finish(null);
    else this.script.advance();
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
    this.script.wait = null;
    this.script.advance();
  }

  private finish(ended: ClientObservation['ended'], detail?: string): void {
    if (ended) {
      this.ended = ended;
      this.endedAtUs = this.kernel.now;
      this.note(ended, detail);
    }
    this.script.stop();
  }

  /** ScriptIo: a step's bytes go straight to write() when nothing is queued, else after what is. */
  send(segs: readonly Segment[]): void {
    if (this.out.length === 0 && this.fd !== -1 && !this.tls) {
      // Performance: nothing is queued, so the runs go straight to write(); only what the socket
      // did not take is queued (the same bytes, in the same order, as queueing everything first).
      const n = this.host.write(this.fd, segs, Infinity, true);
      this.out.pushAllAfter(segs, n > 0 ? n : 0);
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

  // ---- ScriptIo: what the script's steps do on the virtual kernel ---------------------------

  connected(): boolean {
    return this.fd !== -1;
  }

  after(us: number, then: () => void): void {
    this.kernel.sched.after(us, then);
  }

  proceed(): void {
    if (this.fd !== -1) this.onReady();
    else this.script.advance();
  }

  stopReading(): void {
    this.reading = false;
    this.note('stop-reading');
  }

  resumeReading(): void {
    this.reading = true;
    this.note('resume-reading');
    this.drainReads();
  }

  close(): void {
    this.tls?.shutdown(); // close_notify first, as a TLS client library does
    this.host.close(this.fd);
    this.fd = -1;
    this.ended = 'closed-by-client';
    this.endedAtUs = this.kernel.now;
    this.note('close');
  }

  vanish(): void {
    this.kernel.vanish(this.host);
    this.ended = 'vanished';
    this.endedAtUs = this.kernel.now;
    this.fd = -1;
  }

  scriptEnded(abandoned: boolean, left: number): void {
    if (abandoned) this.note('script-abandoned', `${left} steps left`);
    else this.note('script-done');
  }
}
