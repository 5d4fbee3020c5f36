import { describe, expect, it } from 'vitest';
import { Filler, isFiller, toBuffer } from '../../src/base/bytes.ts';
import {
  EADDRINUSE, EAGAIN, EBADF, ECONNREFUSED, ECONNRESET, EINPROGRESS, EINVAL, ENOTCONN, EPIPE,
} from '../../src/base/errno.ts';
import { SHUT_WR } from '../../src/kernel/host.ts';
import { IP, PORT, connectPair, drain, link, listenOn, makeKernel, readNow, runUntilTrue, startConnect } from './helpers.ts';

const text = (s: string) => [Buffer.from(s)];

/** A server listening on 6379 and one connected, accepted client `c1` (50 µs each way). */
function pair(over: Parameters<typeof link>[0] = {}, serverLink: Parameters<typeof link>[0] = {}) {
  const k = makeKernel({ serverLink });
  const lfd = listenOn(k.server);
  const client = k.kernel.createClientHost('c1', IP, link(over));
  const p = connectPair(k.kernel, k.server, lfd, client);
  return { ...k, lfd, client, ...p };
}

/** Writes `total` filler bytes as fast as the kernel accepts them, draining the network between writes. */
function writeUntilBlocked(k: ReturnType<typeof pair>['kernel'], write: (n: number) => number, total = 1 << 30) {
  const accepted: number[] = [];
  for (;;) {
    const n = write(total);
    if (n === -EAGAIN) {
      if (k.sched.peekTime() === undefined) return accepted;
    } else if (n < 0) throw new Error(`write failed: ${n}`);
    else accepted.push(n);
    drain(k);
  }
}

describe('connect', () => {
  it('a connect completes after one round trip and the server side waits in the accept queue', () => {
    const { kernel, server } = makeKernel();
    const lfd = listenOn(server);
    const client = kernel.createClientHost('c1', IP, link({ latencyUs: 300 }));
    const cfd = startConnect(client);
    const csock = client.socketAt(cfd)!;
    expect(csock.state).toBe('connecting');
    const listener = server.socketAt(lfd)!;
    expect(runUntilTrue(kernel, () => listener.acceptQueue.length === 1)).toBe(300);
    expect(csock.state).toBe('connecting');
    expect(runUntilTrue(kernel, () => csock.state === 'established')).toBe(600);
    const a = server.accept(lfd);
    if (typeof a === 'number') throw new Error(String(a));
    expect(a.sock.addr).toBe(csock.laddr);
    expect(a.sock.laddr).toBe(`${IP}:${PORT}`);
  });

  it('connect to a port with no listener is refused with ECONNREFUSED after a round trip', () => {
    const { kernel, recorder } = makeKernel();
    const client = kernel.createClientHost('c1', IP, link({ latencyUs: 50 }));
    const fd = client.socket();
    expect(client.connect(fd, IP, 7000)).toBe(-EINPROGRESS);
    expect(client.read(fd, 100)).toBe(-EAGAIN);
    client.pollAdd(fd, 1 | 2);
    const ready = kernel.pollBlocking(client, null);
    expect(kernel.now).toBe(100);
    expect(ready).toEqual([{ fd, mask: 3 }]);
    expect(client.read(fd, 100)).toBe(-ECONNREFUSED);
    expect(recorder.events.find((e) => e.kind === 'connect')).toMatchObject({ t: 100, client: 'c1', result: 'refused', addr: '127.0.0.1:7000' });
  });

  it('a listener bound to 0.0.0.0 accepts connections to any address', () => {
    const { kernel, server } = makeKernel();
    const lfd = server.socket();
    server.bind(lfd, '0.0.0.0', PORT);
    server.listen(lfd, 10);
    const client = kernel.createClientHost('c1', IP, link());
    const p = connectPair(kernel, server, lfd, client);
    expect(p.csock.state).toBe('established');
  });

  it('binding a second listener to the same address fails with EADDRINUSE', () => {
    const { server } = makeKernel();
    listenOn(server);
    const fd = server.socket();
    expect(server.bind(fd, IP, PORT)).toBe(-EADDRINUSE);
    expect(server.bind(99, IP, PORT)).toBe(-EBADF);
  });

  it('closing a listener resets the connections still in its accept queue', () => {
    const { kernel, server } = makeKernel();
    const lfd = listenOn(server);
    const client = kernel.createClientHost('c1', IP, link());
    const cfd = startConnect(client);
    const csock = client.socketAt(cfd)!;
    runUntilTrue(kernel, () => csock.state === 'established');
    const t = kernel.now;
    server.close(lfd);
    expect(runUntilTrue(kernel, () => csock.error !== 0)).toBe(t + 50);
    expect(client.read(cfd, 10)).toBe(-ECONNRESET);
  });

  it('accept on a socket that is not listening is EINVAL and on an empty queue EAGAIN', () => {
    const { server } = makeKernel();
    const lfd = listenOn(server);
    const other = server.socket();
    expect(server.accept(other)).toBe(-EINVAL);
    expect(server.accept(lfd)).toBe(-EAGAIN);
  });
});

describe('reading and writing', () => {
  it('a non-blocking read of an empty socket returns EAGAIN', () => {
    const { server, client, sfd, cfd } = pair();
    expect(server.read(sfd, 1024)).toBe(-EAGAIN);
    expect(client.read(cfd, 1024)).toBe(-EAGAIN);
  });

  it('bytes written arrive after the one-way latency, in order', () => {
    const { kernel, server, client, sfd, cfd, ssock } = pair({ latencyUs: 120 });
    const t0 = kernel.now;
    expect(client.write(cfd, text('hello '))).toBe(6);
    expect(client.write(cfd, text('world'))).toBe(5);
    expect(runUntilTrue(kernel, () => ssock.rcv.length === 11)).toBe(t0 + 120);
    expect(readNow(server, sfd)).toEqual({ data: Buffer.from('hello world'), end: -EAGAIN });
  });

  it('read returns at most max bytes and leaves the rest buffered', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    client.write(cfd, text('abcdefgh'));
    drain(kernel);
    const r = server.read(sfd, 3);
    expect(typeof r).not.toBe('number');
    expect(toBuffer(r as Buffer[]).toString()).toBe('abc');
    expect(readNow(server, sfd).data.toString()).toBe('defgh');
  });

  it('the kernel copies real bytes at write time, so the caller may reuse its buffer', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    const buf = Buffer.from('first');
    client.write(cfd, [buf]);
    buf.write('XXXXX');
    drain(kernel);
    expect(readNow(server, sfd).data.toString()).toBe('first');
  });

  it('write honours max and takes a prefix of the offered runs', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    expect(client.write(cfd, [Buffer.from('ab'), new Filler(4), Buffer.from('cd')], 5)).toBe(5);
    drain(kernel);
    expect(readNow(server, sfd).data.toString()).toBe('abxxx');
  });

  it('write to a peer that does not read is short, then EAGAIN once its rcvbuf and our sndbuf are full', () => {
    const S = 16384, R = 131072;
    const { kernel, client, cfd, csock, ssock } = pair({ sndbuf: S }, { rcvbuf: R });
    const accepted = writeUntilBlocked(kernel, (n) => client.write(cfd, [new Filler(n)]));
    expect(accepted[0]).toBe(S); // short: only the send buffer's worth
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(S + R);
    expect(ssock.rcv.length).toBe(R);
    expect(csock.snd.length).toBe(S);
    expect(csock.writable).toBe(false);
    expect(client.write(cfd, text('x'))).toBe(-EAGAIN);
  });

  it('the server-to-client direction is bounded by the server sndbuf plus the client rcvbuf', () => {
    const { kernel, server, sfd, csock, ssock } = pair({ rcvbuf: 10000 }, { sndbuf: 4096 });
    const accepted = writeUntilBlocked(kernel, (n) => server.write(sfd, [new Filler(n)]));
    expect(accepted[0]).toBe(4096);
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(14096);
    expect(csock.rcv.length).toBe(10000);
    expect(ssock.snd.length).toBe(4096);
  });

  it('reading reopens the window one latency later and the writer can continue by exactly what was read', () => {
    const S = 16384, R = 131072;
    const { kernel, server, client, sfd, cfd, csock, ssock } = pair({ sndbuf: S, latencyUs: 50 }, { rcvbuf: R });
    writeUntilBlocked(kernel, (n) => client.write(cfd, [new Filler(n)]));
    const t = kernel.now;
    const r = server.read(sfd, 1000);
    expect(Array.isArray(r) && r.reduce((a, s) => a + s.length, 0)).toBe(1000);
    expect(ssock.rcv.length).toBe(R - 1000);
    expect(runUntilTrue(kernel, () => ssock.rcv.length === R)).toBe(t + 50);
    expect(csock.snd.length).toBe(S - 1000);
    expect(csock.writable).toBe(true);
    expect(client.write(cfd, [new Filler(5000)])).toBe(1000);
    expect(client.write(cfd, [new Filler(5000)])).toBe(-EAGAIN);
  });

  it('a writer blocked on a full window gets writability back when the reader drains everything', () => {
    const { kernel, server, client, sfd, cfd, csock } = pair({ sndbuf: 1000 }, { rcvbuf: 2000 });
    writeUntilBlocked(kernel, (n) => client.write(cfd, [new Filler(n)]));
    client.pollAdd(cfd, 2);
    expect(kernel.pollBlocking(client, 0)).toEqual([]);
    expect(readNow(server, sfd).data.length).toBe(2000);
    drain(kernel);
    expect(readNow(server, sfd).data.length).toBe(1000);
    drain(kernel);
    expect(csock.snd.length).toBe(0);
    expect(kernel.pollBlocking(client, 0)).toEqual([{ fd: cfd, mask: 2 }]);
  });

  it('writing on a socket that is still connecting is EAGAIN and on a fresh socket ENOTCONN', () => {
    const { kernel, server } = makeKernel();
    listenOn(server);
    const client = kernel.createClientHost('c1', IP, link());
    const cfd = startConnect(client);
    expect(client.write(cfd, text('x'))).toBe(-EAGAIN);
    const fresh = client.socket();
    expect(client.write(fresh, text('x'))).toBe(-ENOTCONN);
    expect(client.read(fresh, 1)).toBe(-ENOTCONN);
    expect(client.write(99, text('x'))).toBe(-EBADF);
    expect(client.read(99, 1)).toBe(-EBADF);
  });
});

describe('FIN and RST', () => {
  it('after shutdown(SHUT_WR) the peer reads the buffered data and then 0, repeatedly', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    client.write(cfd, text('last words'));
    expect(client.shutdown(cfd, SHUT_WR)).toBe(0);
    expect(client.write(cfd, text('more'))).toBe(-EPIPE);
    drain(kernel);
    const r = server.read(sfd, 4);
    expect(toBuffer(r as Buffer[]).toString()).toBe('last');
    expect(toBuffer(server.read(sfd, 100) as Buffer[]).toString()).toBe(' words');
    expect(server.read(sfd, 100)).toBe(0);
    expect(server.read(sfd, 100)).toBe(0);
  });

  it('the FIN never overtakes data still waiting for the window', () => {
    const { kernel, server, client, sfd, cfd, ssock } = pair({ sndbuf: 5000 }, { rcvbuf: 1000 });
    expect(client.write(cfd, [new Filler(5000)])).toBe(5000);
    client.shutdown(cfd, SHUT_WR);
    drain(kernel);
    expect(ssock.peerFin).toBe(false);
    let got = 0;
    for (;;) {
      const r = server.read(sfd, 300);
      if (r === 0) break;
      if (r === -EAGAIN) {
        drain(kernel);
        continue;
      }
      if (typeof r === 'number') throw new Error(`read failed: ${r}`);
      got += r.reduce((a, s) => a + s.length, 0);
    }
    expect(got).toBe(5000);
  });

  it('a half-closed connection still carries data the other way', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    client.shutdown(cfd, SHUT_WR);
    drain(kernel);
    expect(server.read(sfd, 10)).toBe(0);
    expect(server.write(sfd, text('reply'))).toBe(5);
    drain(kernel);
    expect(readNow(client, cfd).data.toString()).toBe('reply');
  });

  it('close with nothing unread drains queued output, then the peer reads 0', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    client.write(cfd, text('bye'));
    expect(client.close(cfd)).toBe(0);
    expect(client.socketAt(cfd)).toBeUndefined();
    drain(kernel);
    expect(readNow(server, sfd)).toEqual({ data: Buffer.from('bye'), end: 0 });
  });

  it('close with unread input sends RST: the peer read gets ECONNRESET and write gets EPIPE', () => {
    const { kernel, server, client, sfd, cfd, csock, ssock } = pair({ latencyUs: 70 });
    server.write(sfd, text('unread'));
    runUntilTrue(kernel, () => csock.rcv.length === 6);
    const t = kernel.now;
    client.close(cfd);
    expect(csock.state).toBe('dead');
    expect(runUntilTrue(kernel, () => ssock.error !== 0)).toBe(t + 70);
    expect(server.read(sfd, 10)).toBe(-ECONNRESET);
    expect(server.write(sfd, text('x'))).toBe(-EPIPE);
    expect(ssock.readable && ssock.writable).toBe(true);
  });

  it('a reset discards what was buffered on the receiving side', () => {
    const { kernel, server, client, sfd, cfd, csock, ssock } = pair();
    client.write(cfd, text('pending request'));
    server.write(sfd, text('unread'));
    runUntilTrue(kernel, () => csock.rcv.length === 6 && ssock.rcv.length === 15);
    client.close(cfd);
    drain(kernel);
    expect(ssock.rcv.length).toBe(0);
    expect(server.read(sfd, 100)).toBe(-ECONNRESET);
  });

  it('data arriving at a closed socket is answered by RST', () => {
    const { kernel, server, client, sfd, cfd, ssock } = pair({ latencyUs: 50 });
    client.close(cfd);
    drain(kernel);
    expect(server.read(sfd, 10)).toBe(0);
    const t = kernel.now;
    expect(server.write(sfd, text('too late'))).toBe(8); // accepted: the kernel cannot know yet
    runUntilTrue(kernel, () => ssock.error !== 0);
    expect(kernel.now).toBe(t + 100); // data 50 µs there, RST 50 µs back
    expect(server.read(sfd, 10)).toBe(-ECONNRESET);
    expect(server.write(sfd, text('x'))).toBe(-EPIPE);
  });

  it('a writer reset while more of its bytes are still on the wire fails cleanly with ECONNRESET', () => {
    // 200 kB toward a closed socket over a 1 MB/s link: the RST for the first chunk comes back
    // while later chunks are still in flight.
    const { kernel, server, client, sfd, cfd, ssock } = pair({ bandwidth: 1_000_000 }, { sndbuf: 200_000 });
    client.close(cfd);
    drain(kernel);
    expect(server.write(sfd, [new Filler(200_000)])).toBe(200_000);
    expect(() => drain(kernel)).not.toThrow();
    expect(server.read(sfd, 10)).toBe(-ECONNRESET);
    expect(ssock.snd.length).toBe(0);
    expect(ssock.inFlight).toBe(0);
  });

  it('a client that keeps writing after the server aborted gets ECONNRESET without the kernel failing', () => {
    const { kernel, server, client, sfd, cfd, csock } = pair({ bandwidth: 1_000_000, sndbuf: 200_000 });
    client.write(cfd, text('request'));
    drain(kernel);
    expect(client.write(cfd, [new Filler(200_000)])).toBe(200_000);
    server.close(sfd); // unread input: RST
    expect(() => drain(kernel)).not.toThrow();
    expect(client.read(cfd, 10)).toBe(-ECONNRESET);
    expect(csock.snd.length).toBe(0);
  });

  it('closed fds are reported as EBADF and reads of a socket after its fd is closed are impossible', () => {
    const { client, cfd } = pair();
    client.close(cfd);
    expect(client.read(cfd, 1)).toBe(-EBADF);
    expect(client.write(cfd, text('x'))).toBe(-EBADF);
    expect(client.shutdown(cfd, SHUT_WR)).toBe(-EBADF);
  });

  it('virtual filler bytes cross the connection as filler', () => {
    const { kernel, server, client, sfd, cfd } = pair();
    client.write(cfd, [Buffer.from('$5\r\n'), new Filler(5), Buffer.from('\r\n')]);
    drain(kernel);
    const r = server.read(sfd, 100);
    if (typeof r === 'number') throw new Error(String(r));
    expect(r.some(isFiller)).toBe(true);
    expect(toBuffer(r).toString()).toBe('$5\r\nxxxxx\r\n');
  });
});
