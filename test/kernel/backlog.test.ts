import { describe, expect, it } from 'vitest';
import { EAGAIN, ETIMEDOUT } from '../../src/base/errno.ts';
import { SOMAXCONN } from '../../src/kernel/host.ts';
import type { Socket } from '../../src/kernel/socket.ts';
import { IP, SEC, drain, link, listenOn, makeKernel, runUntilTrue, startConnect } from './helpers.ts';

/** `n` client machines, each starting a connect at time 0; returns their client-side sockets. */
function connectMany(k: ReturnType<typeof makeKernel>, n: number, latencyUs = 50): Socket[] {
  return Array.from({ length: n }, (_, i) => {
    const h = k.kernel.createClientHost(`c${i + 1}`, IP, link({ latencyUs }));
    return h.socketAt(startConnect(h))!;
  });
}

/** Times (µs) at which `s` sends SYNs from now on, and the time it leaves 'connecting', running until then. */
function synTimes(k: ReturnType<typeof makeKernel>, s: Socket): { sends: number[]; endUs: number } {
  const sends: number[] = [];
  let seen = s.synAttempts;
  runUntilTrue(k.kernel, () => {
    if (s.synAttempts !== seen) {
      seen = s.synAttempts;
      sends.push(k.kernel.now);
    }
    return s.state !== 'connecting';
  });
  return { sends, endUs: k.kernel.now };
}

describe('the listen backlog', () => {
  it('with backlog N at most N+1 connections wait in the accept queue', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 2);
    const socks = connectMany(k, 6);
    drain(k.kernel, 200);
    const listener = k.server.socketAt(lfd)!;
    expect(listener.acceptQueue.length).toBe(3);
    expect(socks.map((s) => s.state)).toEqual(['established', 'established', 'established', 'connecting', 'connecting', 'connecting']);
  });

  it('backlog 0 still lets one connection wait', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 0);
    const socks = connectMany(k, 2);
    drain(k.kernel, 200);
    expect(k.server.socketAt(lfd)!.acceptQueue.length).toBe(1);
    expect(socks.map((s) => s.state)).toEqual(['established', 'connecting']);
  });

  it('a backlog above SOMAXCONN is capped to it', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 1_000_000);
    expect(k.server.socketAt(lfd)!.backlog).toBe(SOMAXCONN);
  });

  it('dropped SYNs are retried at 1, 3, 7, 15, 31 and 63 s, then connect fails with ETIMEDOUT at 127 s', () => {
    const k = makeKernel();
    listenOn(k.server, 0);
    const [, late] = connectMany(k, 2);
    const { sends, endUs } = synTimes(k, late!);
    expect(sends).toEqual([1, 3, 7, 15, 31, 63].map((s) => s * SEC));
    expect(endUs).toBe(127 * SEC);
    expect(late!.error).toBe(ETIMEDOUT);
    const c2 = k.kernel.clientHost('c2')!;
    expect(c2.read(late!.fd, 10)).toBe(-ETIMEDOUT);
    expect(k.recorder.events.filter((e) => e.kind === 'connect' && e.client === 'c2')).toMatchObject([{ t: 127 * SEC, result: 'timeout' }]);
  });

  it('a connect that timed out is reported to poll as readable and writable', () => {
    const k = makeKernel();
    listenOn(k.server, 0);
    const [, late] = connectMany(k, 2);
    const c2 = k.kernel.clientHost('c2')!;
    c2.pollAdd(late!.fd, 3);
    expect(k.kernel.pollBlocking(c2, null)).toEqual([{ fd: late!.fd, mask: 3 }]);
    expect(k.kernel.now).toBe(127 * SEC);
  });

  it('a dropped SYN succeeds at the next retry once accept() makes room', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 0);
    const [first, late] = connectMany(k, 2);
    drain(k.kernel, SEC / 2);
    expect(first!.state).toBe('established');
    expect(late!.state).toBe('connecting');
    const a = k.server.accept(lfd);
    expect(typeof a).toBe('object');
    expect(k.server.accept(lfd)).toBe(-EAGAIN);
    const { sends, endUs } = synTimes(k, late!);
    expect(sends).toEqual([SEC]);
    expect(endUs).toBe(SEC + 100); // the retry's SYN and SYN-ACK, 50 µs each
    expect(late!.state).toBe('established');
    expect(k.server.socketAt(lfd)!.acceptQueue.length).toBe(1);
  });

  it('room made between retries is used by the next retry, not earlier', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 0);
    const [, late] = connectMany(k, 2);
    drain(k.kernel, 2 * SEC);
    expect(late!.state).toBe('connecting');
    expect(late!.synAttempts).toBe(2); // the first SYN and its retry at 1 s were both dropped
    k.server.accept(lfd);
    const { sends, endUs } = synTimes(k, late!);
    expect(sends).toEqual([3 * SEC]);
    expect(endUs).toBe(3 * SEC + 100);
  });

  it('while the queue stays full, waiting clients get in one per accept at their own retry times', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server, 1);
    const socks = connectMany(k, 4);
    drain(k.kernel, 0.5 * SEC);
    expect(socks.map((s) => s.state)).toEqual(['established', 'established', 'connecting', 'connecting']);
    k.server.accept(lfd); // one slot: the first retry (both at 1 s) takes it
    drain(k.kernel, 1.5 * SEC);
    expect(socks.map((s) => s.state)).toEqual(['established', 'established', 'established', 'connecting']);
    k.server.accept(lfd);
    drain(k.kernel, 3 * SEC + 100);
    expect(socks[3]!.state).toBe('established');
  });

  it('SYNs lost to a partition toward the server are retried on the same schedule', () => {
    const k = makeKernel();
    listenOn(k.server);
    const h = k.kernel.createClientHost('c1', IP, link());
    k.kernel.applyFault({ atUs: 0, client: 'c1', kind: 'partition', direction: 'to-server', durationUs: 2.5 * SEC });
    const s = h.socketAt(startConnect(h))!;
    const { sends, endUs } = synTimes(k, s);
    expect(sends).toEqual([SEC, 3 * SEC]);
    expect(endUs).toBe(3 * SEC + 100);
    expect(s.state).toBe('established');
  });
});
