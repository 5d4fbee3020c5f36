// The node:net backend on its own: readiness from Node's callbacks, reads from buffered 'data',
// backpressure both ways, close as FIN or RST, socket options and limits. Loopback only; every
// socket and listener is closed at the end of its test.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EAGAIN, EBADF, ECONNRESET, EINVAL, EPERM } from '../../src/base/errno.ts';
import { AE_READABLE, AE_WRITABLE } from '../../src/loop/backend.ts';
import { FIRST_FD, NetBackend, readNofileLimit } from '../../src/real/net-backend.ts';
import { Recorder } from '../../src/timeline/recorder.ts';
import { Filler } from '../../src/base/bytes.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function backend(opts: { rcvbufCap?: number; sndbufCap?: number } = {}): NetBackend {
  const b = new NetBackend({ tracer: new Recorder(() => 0), ...opts });
  cleanups.push(() => b.shutdown());
  return b;
}

/** Waits (bounded) until `cond` holds, polling on Node's event loop. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => {
      s.destroy();
    });
  });
}

async function listening(b: NetBackend): Promise<{ lfd: number; port: number }> {
  const port = await b.bindListener('127.0.0.1', 0, 511);
  expect(port).toBeGreaterThan(0);
  const lfd = b.listen('127.0.0.1', port, 511);
  b.pollAdd(lfd, AE_READABLE);
  return { lfd, port };
}

async function acceptOne(b: NetBackend, lfd: number) {
  await until(() => b.poll(0).some((e) => e.fd === lfd), 'the listener to become readable');
  const a = b.accept(lfd);
  if (typeof a === 'number') throw new Error(`accept failed: ${a}`);
  return a;
}

describe('NetBackend', () => {
  it('numbers fds as redis-server does: listener 6, first client 7, lowest free reused', async () => {
    const b = backend();
    const { lfd, port } = await listening(b);
    expect(lfd).toBe(FIRST_FD);
    await connect(port);
    await connect(port);
    const a1 = await acceptOne(b, lfd);
    const a2 = await acceptOne(b, lfd);
    expect([a1.fd, a2.fd]).toEqual([7, 8]);
    expect(a1.laddr).toBe(`127.0.0.1:${port}`);
    expect(a1.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    b.close(a1.fd);
    await connect(port);
    expect((await acceptOne(b, lfd)).fd).toBe(7);
  });

  it('accept() is -EAGAIN with nothing queued, and listen() without bindListener() is -EINVAL', async () => {
    const b = backend();
    expect(b.listen('127.0.0.1', 1234, 511)).toBe(-EINVAL);
    const { lfd } = await listening(b);
    expect(b.accept(lfd)).toBe(-EAGAIN);
    expect(b.read(99, 10)).toBe(-EBADF);
  });

  it('poll() never blocks: it reports what Node has delivered so far, level-triggered', async () => {
    const b = backend();
    const { lfd, port } = await listening(b);
    const c = await connect(port);
    const a = await acceptOne(b, lfd);
    b.pollAdd(a.fd, AE_READABLE);
    const t0 = performance.now();
    expect(b.poll(5_000_000)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(b.lastTimeoutUs).toBe(5_000_000);
    c.write('PING\r\n');
    await until(() => b.anyReady(), 'readability');
    expect(b.poll(0)).toEqual([{ fd: a.fd, mask: AE_READABLE }]);
    expect(b.poll(0)).toEqual([{ fd: a.fd, mask: AE_READABLE }]); // still unread: still ready
    const r = b.read(a.fd, 3);
    expect(Buffer.concat(r as Buffer[]).toString()).toBe('PIN');
    expect(Buffer.concat(b.read(a.fd, 100) as Buffer[]).toString()).toBe('G\r\n');
    expect(b.read(a.fd, 100)).toBe(-EAGAIN);
    expect(b.poll(0)).toEqual([]);
  });

  it('reports EOF as a read of 0 after the buffered bytes, and a reset as -ECONNRESET', async () => {
    const b = backend();
    const { lfd, port } = await listening(b);
    const c1 = await connect(port);
    const a1 = await acceptOne(b, lfd);
    c1.end('bye');
    let got = '';
    await until(() => {
      const r = b.read(a1.fd, 100);
      if (Array.isArray(r)) got += Buffer.concat(r as Buffer[]).toString();
      return r === 0;
    }, 'EOF');
    expect(got).toBe('bye');
    const c2 = await connect(port);
    const a2 = await acceptOne(b, lfd);
    c2.resetAndDestroy();
    await until(() => b.read(a2.fd, 100) === -ECONNRESET, 'ECONNRESET');
  });

  it('pauses a connection whose unread bytes pass the receive cap, so the sender feels backpressure', async () => {
    const b = backend({ rcvbufCap: 64 * 1024 });
    const { lfd, port } = await listening(b);
    const c = await connect(port);
    const a = await acceptOne(b, lfd);
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let accepted = 0;
    for (let i = 0; i < 64 && c.write(chunk); i++) accepted++;
    // Nobody reads on the server side: the client's writes stall well before 64 MB.
    await until(() => c.writableLength > 0, 'the client to be pushed back');
    expect(accepted).toBeLessThan(64);
    let got = 0;
    await until(() => {
      const r = b.read(a.fd, 1 << 20);
      if (Array.isArray(r)) for (const s of r) got += s.length;
      return got >= 4 << 20;
    }, 'the server side to drain 4 MB once it reads', 10_000);
  });

  it('write() takes bytes while Node holds less than the send cap, then is short, then -EAGAIN; writable again once drained', async () => {
    const b = backend({ sndbufCap: 16384 });
    const { lfd, port } = await listening(b);
    const c = await connect(port);
    c.pause(); // the peer does not read: kernel buffers fill, then Node's queue
    const a = await acceptOne(b, lfd);
    b.pollAdd(a.fd, AE_WRITABLE);
    let total = 0;
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      last = b.write(a.fd, [new Filler(65536)], 65536);
      if (last < 0) break;
      total += last;
    }
    expect(last).toBe(-EAGAIN);
    expect(total).toBeGreaterThan(16384);
    expect(b.poll(0).find((e) => e.fd === a.fd)).toBeUndefined();
    c.resume();
    await until(() => b.poll(0).some((e) => e.fd === a.fd && e.mask & AE_WRITABLE), 'writability after drain', 10_000);
  });

  it('close() sends queued bytes then FIN; with unread input it resets the connection', async () => {
    const b = backend();
    const { lfd, port } = await listening(b);
    const c1 = await connect(port);
    const a1 = await acceptOne(b, lfd);
    let text = '';
    let ended = false;
    c1.on('data', (d) => (text += d.toString()));
    c1.on('end', () => (ended = true));
    expect(b.write(a1.fd, [Buffer.from('+OK\r\n')], 5)).toBe(5);
    b.close(a1.fd);
    await until(() => ended, 'FIN');
    expect(text).toBe('+OK\r\n');

    const c2 = await connect(port);
    let err = '';
    c2.on('error', (e: NodeJS.ErrnoException) => (err = e.code ?? ''));
    const a2 = await acceptOne(b, lfd);
    b.pollAdd(a2.fd, AE_READABLE);
    c2.write('unread');
    await until(() => b.anyReady(), 'data');
    b.close(a2.fd);
    await until(() => err === 'ECONNRESET', 'RST at the peer');
  });

  it('sets TCP_NODELAY and keepalive through Node, and says that TCP_KEEPINTVL/CNT cannot be set', async () => {
    const b = backend();
    const { lfd, port } = await listening(b);
    await connect(port);
    const a = await acceptOne(b, lfd);
    expect(b.setsockopt(a.fd, 'TCP_NODELAY', 1)).toBe(0);
    expect(b.setsockopt(a.fd, 'SO_KEEPALIVE', 1)).toBe(0);
    expect(b.setsockopt(a.fd, 'TCP_KEEPIDLE', 300)).toBe(0);
    expect(b.setsockopt(a.fd, 'TCP_KEEPINTVL', 100)).toBe(0);
    expect([...b.notes].join('\n')).toMatch(/TCP_KEEPINTVL cannot be set from Node/);
  });

  it('reports RLIMIT_NOFILE from /proc and grants setrlimit as an unprivileged process would', () => {
    const real = readNofileLimit();
    expect(real.soft).toBeGreaterThan(0);
    const b = new NetBackend({ tracer: new Recorder(() => 0), nofile: { soft: 64, hard: 128 } });
    expect(b.getrlimit()).toEqual({ soft: 64, hard: 128 });
    expect(b.setrlimit(256, 256)).toBe(-EPERM);
    expect(b.setrlimit(200, 100)).toBe(-EINVAL);
    expect(b.setrlimit(128, 128)).toBe(0);
    expect(b.getrlimit()).toEqual({ soft: 128, hard: 128 });
  });

  it('counts time in microseconds from its start, and wall-clock time in microseconds since the epoch', async () => {
    const b = backend();
    const t0 = b.nowUs();
    await new Promise((r) => setTimeout(r, 20));
    expect(b.nowUs() - t0).toBeGreaterThanOrEqual(15_000);
    expect(Math.abs(b.unixTimeUs() / 1000 - Date.now())).toBeLessThan(50);
  });
});
