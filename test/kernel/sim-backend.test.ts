import { describe, expect, it } from 'vitest';
import { EADDRINUSE, EAGAIN } from '../../src/base/errno.ts';
import { SimBackend, VIRTUAL_EPOCH_US } from '../../src/kernel/sim-backend.ts';
import { IP, PORT, drain, link, makeKernel, startConnect } from './helpers.ts';

describe('SimBackend', () => {
  it('holds fds 3-5 as redis-server does before it listens, then listens on 6', () => {
    const k = makeKernel();
    const be = new SimBackend(k.kernel, k.server, k.recorder);
    const fd = be.listen(IP, PORT, 511);
    expect(fd).toBe(6);
    expect(k.server.socketAt(fd)!.state).toBe('listening');
    expect(k.server.socketAt(fd)!.backlog).toBe(511);
  });

  it('a listen that cannot bind returns EADDRINUSE and does not leak the fd', () => {
    const k = makeKernel();
    const be = new SimBackend(k.kernel, k.server, k.recorder);
    be.listen(IP, PORT, 511);
    expect(be.listen(IP, PORT, 511)).toBe(-EADDRINUSE);
    expect(k.server.openFds).toBe(7);
  });

  it('accept reports both addresses and the virtual clock runs from a fixed epoch', () => {
    const k = makeKernel();
    const be = new SimBackend(k.kernel, k.server, k.recorder);
    const lfd = be.listen(IP, PORT, 511);
    expect(be.accept(lfd)).toBe(-EAGAIN);
    const c = k.kernel.createClientHost('c1', IP, link());
    const cfd = startConnect(c);
    drain(k.kernel);
    const a = be.accept(lfd);
    if (typeof a === 'number') throw new Error(String(a));
    expect(a.addr).toBe(c.socketAt(cfd)!.laddr);
    expect(a.laddr).toBe(`${IP}:${PORT}`);
    expect(k.kernel.clientNameOf(a.addr)).toBe('c1');
    expect(be.nowUs()).toBe(100);
    expect(be.unixTimeUs()).toBe(VIRTUAL_EPOCH_US + 100);
    expect(VIRTUAL_EPOCH_US % 1_000_000).toBe(0);
  });
});
