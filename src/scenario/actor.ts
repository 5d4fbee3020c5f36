// A simulated client program: connects at its time, plays its script step by step on a client
// machine's socket, reads and decodes replies, and records what it observes. It drives the kernel's
// syscalls directly (it is the world outside the server), never the core.
import { ByteQueue, Filler, type Segment } from '../base/bytes.ts';
import { EAGAIN, EINPROGRESS, errnoName } from '../base/errno.ts';
import type { Host } from '../kernel/host.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { ReplyReader, renderReply } from '../protocol/reply-reader.ts';
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

type Wait =
  | { kind: 'replies'; count: number }
  | { kind: 'closed' }
  | { kind: 'time' }
  | { kind: 'connect' };

/** What the client saw of its connection, for expectations and reports. */
export interface ClientObservation {
  name: string;
  replies: string[];
  /** 'eof' when the server closed, 'reset' on ECONNRESET, 'refused'/'timeout' when connect failed. */
  ended: 'eof' | 'reset' | 'refused' | 'timeout' | 'closed-by-client' | 'vanished' | null;
  endedAtUs: number | null;
  /** Script steps not run (the connection ended first, or the horizon came). */
  stepsLeft: number;
}

export class ClientActor {
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

  constructor(
    private readonly kernel: Kernel,
    private readonly host: Host,
    readonly spec: ClientSpec,
    private readonly server: { ip: string; port: number },
  ) {}

  /** Schedules the connect at the client's start time. */
  start(): void {
    this.kernel.sched.at(this.spec.connectAtUs, () => this.connect());
  }

  /** Finished: the script has run and everything it wrote has left the program (or cannot). */
  get done(): boolean {
    return this.scriptDone && (this.out.length === 0 || this.fd === -1);
  }

  observation(): ClientObservation {
    return { name: this.spec.name, replies: this.replies, ended: this.ended, endedAtUs: this.endedAtUs, stepsLeft: this.spec.script.length - this.step };
  }

  private note(what: string, detail?: string): void {
    this.kernel.trace({ kind: 'client', what, ...(detail !== undefined ? { detail } : {}) }, this.spec.name);
  }

  private connect(): void {
    const fd = this.host.socket();
    if (fd < 0) {
      this.finish('refused', `socket: ${errnoName(fd)}`);
      return;
    }
    this.fd = fd;
    const sock = this.host.socketAt(fd)!;
    sock.watcher = () => this.onReady();
    const r = this.host.connect(fd, this.server.ip, this.server.port);
    if (r !== -EINPROGRESS) this.finish('refused', errnoName(r));
  }

  /** The kernel says something changed on our socket. */
  private onReady(): void {
    if (this.fd === -1) return;
    const sock = this.host.socketAt(this.fd);
    if (!sock) return;
    if (this.wait?.kind === 'connect') {
      if (sock.state === 'established') {
        this.wait = null;
        this.note('connected', sock.laddr);
      } else if (sock.error) {
        this.finish(sock.error === 111 ? 'refused' : 'timeout', errnoName(sock.error));
        return;
      } else return;
    }
    if (this.reading) this.drainReads();
    this.flush();
    if (!this.scriptDone) this.advance();
  }

  private drainReads(): void {
    for (;;) {
      const r = this.host.read(this.fd, READ_CHUNK);
      if (typeof r === 'number') {
        if (r === -EAGAIN) return;
        if (r === 0) this.connectionEnded('eof');
        else this.connectionEnded('reset', errnoName(r));
        return;
      }
      for (const seg of r) this.reader.push(seg);
      for (let rep = this.reader.next(); rep; rep = this.reader.next()) {
        const text = renderReply(rep);
        this.replies.push(text);
        this.note('reply', text.length > 200 ? `${text.slice(0, 200)}…` : text);
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

  private send(segs: Segment[]): void {
    this.out.pushAll(segs);
    this.flush();
  }

  private flush(): void {
    if (this.out.length === 0 || this.fd === -1) return;
    const n = this.host.write(this.fd, this.out.segments());
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
        this.send(encodeCommand(s.args));
        this.wait = { kind: 'replies', count: this.replies.length + 1 };
        break;
      case 'send':
        this.send(encodeCommand(s.args));
        break;
      case 'inline':
        this.send([Buffer.from(s.text + '\r\n', 'utf8')]);
        break;
      case 'raw':
        this.send(s.bytes.slice());
        break;
      case 'pipeline': {
        const segs: Segment[] = [];
        for (let i = 0; i < s.repeat; i++) for (const cmd of s.commands) encodeCommand(cmd, segs);
        this.send(segs);
        break;
      }
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
