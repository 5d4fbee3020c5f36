// A client script, step by step: the encoding of its commands and the interpreter that runs it
// (what to send, when to wait, when it is over). The programs that run scripts — the simulated
// client (actor.ts, over the virtual kernel) and the real-socket player (real/player.ts, over
// node:net) — supply the connection through ScriptIo; the steps mean the same on both.
import { Filler, isFiller, type Segment } from '../base/bytes.ts';
import type { ArgSpec, Step } from './types.ts';

const CRLF = Buffer.from('\r\n');

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
export function encodedCommand(args: readonly ArgSpec[]): readonly Segment[] {
  let segs = encodedCache.get(args);
  if (!segs) encodedCache.set(args, (segs = mergeRuns(encodeCommand(args))));
  return segs;
}

/** Encoded pipelines of one command, per argument list and repeat count. */
const repeatedCache = new WeakMap<object, Map<number, readonly Segment[]>>();

/** The encoded bytes of a pipeline step (cached per step, and per command and count). */
export function encodedPipeline(s: Extract<Step, { op: 'pipeline' }>): readonly Segment[] {
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

/** What a script is waiting for before its next step. */
export type Wait =
  | { kind: 'replies'; count: number }
  | { kind: 'closed' }
  | { kind: 'time' }
  | { kind: 'connect' };

/** What a script needs from the program running it. */
export interface ScriptIo {
  /** Whether the connection is still open (steps other than `wait` need it). */
  connected(): boolean;
  /** Hands the bytes of a step to the connection. The runs are never modified afterwards. */
  send(segs: readonly Segment[]): void;
  /** Calls `then` after `us` microseconds (virtual or real). */
  after(us: number, then: () => void): void;
  /** A `wait` step is over: the program carries on (reads, writes, then ScriptRunner.advance). */
  proceed(): void;
  stopReading(): void;
  resumeReading(): void;
  /** close(): the program closes its socket. */
  close(): void;
  /** The client machine vanishes. */
  vanish(): void;
  /** The script is over: every step ran, or (`abandoned`) the connection was gone with `left` steps to go. */
  scriptEnded(abandoned: boolean, left: number): void;
}

/**
 * Runs a script: each step in order until one has to wait (for replies, the close, time, or the
 * connection), and on again when the program says the wait may be over (checkWait, advance).
 */
export class ScriptRunner {
  private step = 0;
  /** What the next step waits for; the connect first. */
  wait: Wait | null = { kind: 'connect' };
  /** Every step has run (or can no longer run). */
  done = false;
  readonly replies: string[] = [];

  constructor(private readonly script: readonly Step[], private readonly io: ScriptIo) {}

  /** Steps not run (the connection ended first, or time ran out). */
  get stepsLeft(): number {
    return this.script.length - this.step;
  }

  /** Whether any step has run. */
  get started(): boolean {
    return this.step > 0;
  }

  /** Ends the script where it stands (the connection failed before it could start, or it gave up). */
  stop(): void {
    this.done = true;
    this.wait = null;
  }

  /** Runs steps until one has to wait. */
  advance(): void {
    while (!this.done && this.wait === null) {
      if (this.step >= this.script.length) {
        this.done = true;
        this.io.scriptEnded(false, 0);
        return;
      }
      if (!this.io.connected() && this.script[this.step]!.op !== 'wait') {
        // The connection is gone: the rest of the script cannot run.
        this.done = true;
        this.io.scriptEnded(true, this.script.length - this.step);
        return;
      }
      this.run(this.script[this.step++]!);
    }
    if (this.wait) this.checkWait();
  }

  /** Ends a wait for replies or for the close once it is satisfied, and carries on. */
  checkWait(): void {
    const w = this.wait;
    if (!w) return;
    if ((w.kind === 'replies' && this.replies.length >= w.count) || (w.kind === 'closed' && !this.io.connected())) {
      this.wait = null;
      this.advance();
    }
  }

  private run(s: Step): void {
    const io = this.io;
    switch (s.op) {
      case 'call':
        io.send(encodedCommand(s.args));
        this.wait = { kind: 'replies', count: this.replies.length + 1 };
        break;
      case 'send':
        io.send(encodedCommand(s.args));
        break;
      case 'inline':
        io.send([Buffer.from(s.text + '\r\n', 'utf8')]);
        break;
      case 'raw':
        io.send(s.bytes);
        break;
      case 'pipeline':
        io.send(encodedPipeline(s));
        break;
      case 'wait':
        this.wait = { kind: 'time' };
        io.after(s.us, () => {
          this.wait = null;
          io.proceed();
        });
        break;
      case 'wait-replies':
        this.wait = { kind: 'replies', count: s.count };
        break;
      case 'wait-closed':
        this.wait = { kind: 'closed' };
        break;
      case 'stop-reading':
        io.stopReading();
        break;
      case 'resume-reading':
        io.resumeReading();
        break;
      case 'close':
        io.close();
        break;
      case 'vanish':
        io.vanish();
        this.done = true;
        break;
    }
  }
}
