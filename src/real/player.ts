// Plays a scenario's clients over real node:net sockets with the scenario's timing (connect-at,
// wait) against any server on 127.0.0.1 — the core on real sockets or a real redis-server — and
// records what each client observes in the simulator's terms (ClientObservation). The twin of
// scenario/actor.ts. Faults and `vanish` cannot be played on real sockets (the harness refuses
// such scenarios before getting here).
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Filler, isFiller, type Segment } from '../base/bytes.ts';
import { ReplyReader, renderReply, type Reply } from '../protocol/reply-reader.ts';
import type { ClientObservation } from '../scenario/actor.ts';
import { ScriptRunner, type ScriptIo } from '../scenario/script.ts';
import { clientTarget } from '../scenario/addresses.ts';
import type { ClientSpec, ClientTls, Scenario, Step } from '../scenario/types.ts';
import type { ThrowawayCerts } from './certs.ts';
import { captureClientHello, clientTlsOptions, isTlsError, tlsOverVisibleSocket } from './tls-client.ts';

/** Bytes of one write and of one generated run of filler: `{fill: N}` is never allocated whole. */
const CHUNK = 65536;
const X_CHUNK = Buffer.alloc(CHUNK, 0x78);
/** Bulk replies made only of this many or more `x` bytes are kept as a count, not as bytes. */
export const VIRTUAL_X_MIN = 32;

export interface PlayOptions {
  host: string;
  port: number;
  /** Give up at this wall time after the start (ms); the scenario's horizon, capped by the harness. */
  horizonMs: number;
  /** Once every script has finished, end after this long without any byte arriving (ms). */
  settleMs: number;
  /** Told each client's local address once connected (`127.0.0.1:port`), so a server can name it. */
  onConnected?: (client: string, localAddr: string) => void;
  /**
   * The server's TLS listener and the certificates behind it: clients aiming at the scenario's
   * tls-port connect here (`tls` clients shake hands with the named certificate).
   */
  tls?: { port: number; certs: ThrowawayCerts };
}

export interface PlayResult {
  clients: ClientObservation[];
  ended: 'settled' | 'horizon';
  /** Wall time from the start to the end, µs. */
  endUs: number;
  unfinished: string[];
}

/** Steps a real socket cannot play. */
export function unplayableStep(s: Step): string | null {
  return s.op === 'vanish' ? 'vanish (a machine that disappears without FIN or RST cannot be staged with real sockets)' : null;
}

/** A bulk of only `x` bytes (from `{fill}` or a server echoing one) as a Filler, so it renders as the simulator renders it. */
export function virtualiseReply(r: Reply): Reply {
  switch (r.type) {
    case 'bulk':
      return isAllX(r.value) ? { type: 'bulk', value: new Filler(r.value.length) } : r;
    case 'array':
    case 'set':
    case 'push':
      return { type: r.type, items: r.items.map(virtualiseReply) };
    case 'map':
      return { type: 'map', entries: r.entries.map(([k, v]) => [virtualiseReply(k), virtualiseReply(v)] as [Reply, Reply]) };
    default:
      return r;
  }
}

function isAllX(s: Segment): boolean {
  if (s.length < VIRTUAL_X_MIN) return false;
  if (isFiller(s)) return s.byte === 0x78;
  for (let i = 0; i < s.length; i++) if (s[i] !== 0x78) return false;
  return true;
}

/** Segments as Buffers of at most CHUNK bytes, generating filler lazily. */
function* chunks(segs: Iterable<Segment>): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  const flush = function* () {
    if (size === 0) return;
    yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
    pending = [];
    size = 0;
  };
  for (const s of segs) {
    let off = 0;
    while (off < s.length) {
      const take = Math.min(s.length - off, CHUNK - size);
      const part = isFiller(s) ? (s.byte === 0x78 ? X_CHUNK.subarray(0, take) : Buffer.alloc(take, s.byte)) : s.subarray(off, off + take);
      pending.push(part);
      size += take;
      off += take;
      if (size >= CHUNK) yield* flush();
    }
  }
  yield* flush();
}


class RealClient implements ScriptIo {
  private sock: net.Socket | null = null;
  private readonly reader = new ReplyReader();
  /** The script's interpreter (shared with the simulated client). */
  private readonly script: ScriptRunner;
  ended: ClientObservation['ended'] = null;
  endedAtUs: number | null = null;
  /** Byte sources waiting to be written, in order. */
  private readonly outq: Array<Iterator<Buffer>> = [];
  /** Writes handed to Node whose callback has not come yet. */
  private inflight = 0;
  private timer: NodeJS.Timeout | null = null;
  lastByteAtMs = 0;
  /** stop-reading is in effect; an end seen meanwhile waits in pendingEnd. */
  private paused = false;
  private pendingEnd: 'eof' | 'reset' | 'tls-error' | null = null;
  malformed: string | null = null;

  constructor(
    readonly spec: ClientSpec,
    private readonly sc: Scenario,
    private readonly opts: PlayOptions,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {
    this.script = new ScriptRunner(spec.script, this);
  }

  /** The replies received so far, rendered. */
  get replies(): string[] {
    return this.script.replies;
  }

  get done(): boolean {
    return this.script.done && !this.writing;
  }

  observation(): ClientObservation {
    return { name: this.spec.name, replies: this.replies, ended: this.ended, endedAtUs: this.endedAtUs, stepsLeft: this.script.stepsLeft };
  }

  start(): void {
    const delay = Math.max(0, this.spec.connectAtUs / 1000 - this.now() / 1000);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Ends the run for this client: closes whatever is still open, silently. */
  teardown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.script.done = true;
    if (this.sock) {
      this.sock.removeAllListeners();
      this.sock.on('error', () => undefined);
      this.sock.destroy();
      this.sock = null;
    }
  }

  /** The real port for this client: the TLS listener when it aims at the scenario's tls-port. */
  private port(): number {
    const tlsPort = Number(this.sc.server.config['tls-port'] ?? 0);
    if (this.opts.tls && tlsPort > 0 && clientTarget(this.spec, this.sc.server).port === tlsPort) return this.opts.tls.port;
    return this.opts.port;
  }

  private connect(): void {
    this.timer = null;
    const spec = this.spec.tls;
    if (spec && spec.cut) return this.connectCut(spec);
    const host = this.opts.host;
    const port = this.port();
    const s: net.Socket = spec
      ? tls.connect({ host, port, ...clientTlsOptions(spec, this.needTls()) }).setNoDelay(true)
      : net.connect({ host, port, noDelay: true });
    this.sock = s;
    s.on('connect', () => {
      if (this.sock !== s) return;
      this.opts.onConnected?.(this.spec.name, `${s.localAddress}:${s.localPort}`);
      if (spec) return; // the script starts once the handshake is done
      this.script.wait = null;
      this.script.advance();
    });
    if (spec) {
      s.on('secureConnect', () => {
        if (this.sock !== s) return;
        this.script.wait = null;
        this.script.advance();
      });
    }
    s.on('data', (b: Buffer) => this.onData(b));
    s.on('end', () => this.connectionEnded('eof'));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (spec && isTlsError(e)) {
        this.connectionEnded('tls-error');
        return;
      }
      if (this.script.wait?.kind === 'connect' && !(spec && e.code === 'ECONNRESET')) {
        this.sock = null;
        this.finish(e.code === 'ECONNREFUSED' ? 'refused' : 'timeout');
        return;
      }
      this.connectionEnded('reset');
    });
    s.on('close', () => {
      if (this.sock === s) this.connectionEnded('eof');
    });
    s.on('drain', () => this.pump());
  }

  private needTls(): ThrowawayCerts {
    if (!this.opts.tls) throw new Error(`client ${this.spec.name} uses TLS but the server has no TLS listener here`);
    return this.opts.tls.certs;
  }

  /**
   * `cut-handshake`: half a ClientHello then close (FIN), or a TLS client that closes the TCP
   * connection as soon as the server's first flight arrives. Either way the script never runs.
   */
  private connectCut(spec: ClientTls): void {
    const opts = clientTlsOptions(spec, this.needTls());
    const raw = net.connect({ host: this.opts.host, port: this.port(), noDelay: true });
    const cutDone = () => {
      if (this.ended) return;
      this.ended = 'closed-by-client';
      this.endedAtUs = this.now();
      this.finish(null);
    };
    raw.on('error', (e: NodeJS.ErrnoException) => {
      if (this.script.wait?.kind === 'connect') this.finish(e.code === 'ECONNREFUSED' ? 'refused' : 'timeout');
    });
    raw.on('connect', () => {
      this.opts.onConnected?.(this.spec.name, `${raw.localAddress}:${raw.localPort}`);
      this.script.wait = null;
      if (spec.cut === 'half-hello') {
        void captureClientHello(opts).then((hello) => {
          raw.end(hello.subarray(0, Math.floor(hello.length / 2)));
          cutDone();
        });
      } else {
        tlsOverVisibleSocket(raw, opts, cutDone);
      }
    });
  }

  private onData(b: Buffer): void {
    this.lastByteAtMs = this.now() / 1000;
    try {
      this.reader.push(b);
      for (let r = this.reader.next(); r; r = this.reader.next()) this.replies.push(renderReply(virtualiseReply(r)));
    } catch (e) {
      // A reply the reader cannot parse: keep what was read and stop reading this connection.
      this.malformed = (e as Error).message;
      this.connectionEnded('reset');
      return;
    }
    this.script.checkWait();
    this.changed();
  }

  private connectionEnded(how: 'eof' | 'reset' | 'tls-error'): void {
    if (!this.sock) return;
    if (this.paused) {
      // A client that has stopped reading learns of the end only when it reads again, as the
      // simulated client does (a failed write alone does not end its connection).
      this.pendingEnd ??= how;
      this.outq.length = 0;
      return;
    }
    const s = this.sock;
    this.sock = null;
    this.ended = how;
    this.endedAtUs = this.now();
    s.removeAllListeners();
    s.on('error', () => undefined);
    s.destroy();
    this.outq.length = 0;
    this.script.wait = null;
    this.script.advance();
    this.changed();
  }

  private finish(ended: ClientObservation['ended']): void {
    if (ended) {
      this.ended = ended;
      this.endedAtUs = this.now();
    }
    this.script.stop();
    this.changed();
  }

  /** ScriptIo: queues a step's bytes and writes what the socket takes. */
  send(segs: Iterable<Segment>): void {
    this.outq.push(chunks(segs));
    this.pump();
  }

  /** Writes queued bytes until the socket pushes back; resumes on 'drain'. */
  private pump(): void {
    const s = this.sock;
    if (!s) return;
    if (s.destroyed) {
      this.outq.length = 0;
      return;
    }
    while (this.outq.length) {
      const it = this.outq[0]!;
      const n = it.next();
      if (n.done) {
        this.outq.shift();
        continue;
      }
      this.inflight++;
      const ok = s.write(n.value, () => {
        this.inflight--;
        if (this.sock === s && !this.writing) this.changed();
      });
      if (!ok) return; // wait for 'drain'
    }
  }

  /** Bytes the program has not yet handed to the kernel. */
  private get writing(): boolean {
    return this.sock !== null && (this.outq.length > 0 || this.inflight > 0);
  }

  // ---- ScriptIo: what the script's steps do on a real socket --------------------------------

  connected(): boolean {
    return this.sock !== null;
  }

  after(us: number, then: () => void): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      then();
    }, us / 1000);
  }

  proceed(): void {
    this.script.advance();
  }

  stopReading(): void {
    this.paused = true;
    this.sock?.pause();
  }

  resumeReading(): void {
    this.paused = false;
    if (this.pendingEnd) this.connectionEnded(this.pendingEnd);
    else this.sock?.resume();
  }

  /**
   * close(2): queued bytes still go out, then FIN (RST if unread input is pending), as the
   * simulated client does; bytes the program had not yet handed to the socket are dropped.
   */
  close(): void {
    const sock = this.sock!;
    this.sock = null;
    this.outq.length = 0;
    sock.removeAllListeners();
    sock.on('error', () => undefined);
    if (sock instanceof tls.TLSSocket) {
      // close_notify first, as a TLS client library does (and the simulated client).
      sock.end();
      setTimeout(() => sock.destroy(), 1000).unref();
    } else sock.destroy();
    this.ended = 'closed-by-client';
    this.endedAtUs = this.now();
  }

  vanish(): void {
    throw new Error('vanish cannot be played on real sockets (the harness should have refused this scenario)');
  }

  scriptEnded(): void {
    this.changed();
  }
}

/**
 * Plays every client of `sc` against `opts.host:opts.port`, starting now. Resolves when every
 * script has finished and nothing has arrived for `settleMs`, or at `horizonMs`.
 */
export function playClients(sc: Scenario, opts: PlayOptions): Promise<PlayResult> {
  for (const c of sc.clients) {
    for (const s of c.script) {
      const why = unplayableStep(s);
      if (why) return Promise.reject(new Error(`client ${c.name}: ${why}`));
    }
  }
  const t0 = performance.now();
  const now = () => Math.floor((performance.now() - t0) * 1000);
  return new Promise((resolve) => {
    let finished = false;
    let settleTimer: NodeJS.Timeout | null = null;
    const clients: RealClient[] = [];
    const end = (how: 'settled' | 'horizon') => {
      if (finished) return;
      finished = true;
      clearTimeout(horizon);
      if (settleTimer) clearTimeout(settleTimer);
      const unfinished = clients.filter((c) => !c.done).map((c) => c.spec.name);
      const endUs = now();
      for (const c of clients) c.teardown();
      resolve({ clients: clients.map((c) => c.observation()), ended: how, endUs, unfinished });
    };
    const check = () => {
      if (finished || settleTimer) return;
      if (!clients.every((c) => c.done)) return;
      // Every script is done: wait until the wire has been quiet for settleMs.
      const tick = () => {
        settleTimer = null;
        if (finished) return;
        if (!clients.every((c) => c.done)) return;
        const last = Math.max(0, ...clients.map((c) => c.lastByteAtMs));
        const quietFor = now() / 1000 - last;
        if (quietFor >= opts.settleMs) end('settled');
        else settleTimer = setTimeout(tick, opts.settleMs - quietFor + 1);
      };
      settleTimer = setTimeout(tick, opts.settleMs);
    };
    const horizon = setTimeout(() => end('horizon'), opts.horizonMs);
    for (const spec of sc.clients) clients.push(new RealClient(spec, sc, opts, now, check));
    for (const c of clients) c.start();
    check();
  });
}
