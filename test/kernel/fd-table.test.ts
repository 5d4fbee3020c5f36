import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EBADF, EINVAL, EMFILE, EPERM } from '../../src/base/errno.ts';
import { connectPair, link, listenOn, makeKernel, runUntilTrue } from './helpers.ts';

describe('fd allocation', () => {
  it('fds 0-2 are taken at start, so the first socket gets fd 3', () => {
    const { server } = makeKernel();
    expect(server.openFds).toBe(3);
    expect(server.socket()).toBe(3);
    expect(server.openFds).toBe(4);
    expect(server.socketAt(3)).toBeDefined();
  });

  it('closing fd 5 of 3..10 makes the next socket get 5', () => {
    const { server } = makeKernel();
    for (let fd = 3; fd <= 10; fd++) expect(server.socket()).toBe(fd);
    expect(server.close(5)).toBe(0);
    expect(server.socketAt(5)).toBeUndefined();
    expect(server.socket()).toBe(5);
    expect(server.socket()).toBe(11);
  });

  it('several closed fds come back lowest first, then the table grows', () => {
    const { server } = makeKernel();
    for (let fd = 3; fd <= 12; fd++) server.socket();
    for (const fd of [9, 4, 11, 6]) server.close(fd);
    expect(server.openFds).toBe(13 - 4);
    expect([server.socket(), server.socket(), server.socket(), server.socket(), server.socket()]).toEqual([4, 6, 9, 11, 13]);
  });

  it('closing the highest fds and then a lower one still gives the lowest free fd', () => {
    const { server } = makeKernel();
    for (let fd = 3; fd <= 10; fd++) server.socket();
    for (const fd of [10, 9, 5, 8, 7]) server.close(fd);
    expect([server.socket(), server.socket(), server.socket(), server.socket()]).toEqual([5, 7, 8, 9]);
  });

  it('always allocates the lowest free fd, whatever the order of sockets and closes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(40)), { maxLength: 200 }), (ops) => {
        const { server } = makeKernel();
        const open = new Set<number>([0, 1, 2]);
        for (const [isOpen, pick] of ops) {
          if (isOpen) {
            let want = 0;
            while (open.has(want)) want++;
            const fd = server.socket();
            expect(fd).toBe(want);
            open.add(fd);
          } else {
            const candidates = [...open].filter((f) => f > 2);
            if (!candidates.length) continue;
            const fd = candidates[pick % candidates.length]!;
            expect(server.close(fd)).toBe(0);
            open.delete(fd);
          }
          expect(server.openFds).toBe(open.size);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('closing an fd that is not open fails with EBADF', () => {
    const { server } = makeKernel();
    expect(server.close(0)).toBe(-EBADF);
    expect(server.close(3)).toBe(-EBADF);
    const fd = server.socket();
    expect(server.close(fd)).toBe(0);
    expect(server.close(fd)).toBe(-EBADF);
    expect(server.openFds).toBe(3);
  });

  it('socket fails with EMFILE when the next fd would reach the soft RLIMIT_NOFILE', () => {
    const { server } = makeKernel({ nofile: { soft: 8, hard: 16 } });
    for (let fd = 3; fd <= 7; fd++) expect(server.socket()).toBe(fd);
    expect(server.socket()).toBe(-EMFILE);
    expect(server.openFds).toBe(8);
    server.close(4);
    expect(server.socket()).toBe(4);
    expect(server.socket()).toBe(-EMFILE);
  });

  it('accept beyond the soft fd limit fails with EMFILE and leaves the connection queued', () => {
    const { kernel, server } = makeKernel({ nofile: { soft: 5, hard: 16 } });
    const lfd = listenOn(server);
    expect(lfd).toBe(3);
    const c1 = kernel.createClientHost('c1', '127.0.0.1', link());
    const c2 = kernel.createClientHost('c2', '127.0.0.1', link());
    const p1 = connectPair(kernel, server, lfd, c1);
    expect(p1.sfd).toBe(4);
    const fd2 = c2.socket();
    c2.connect(fd2, '127.0.0.1', 6379);
    const listener = server.socketAt(lfd)!;
    runUntilTrue(kernel, () => listener.acceptQueue.length === 1);
    expect(server.accept(lfd)).toBe(-EMFILE);
    expect(listener.acceptQueue.length).toBe(1);
    expect(listener.readable).toBe(true);
    // Freeing an fd lets the same connection be accepted.
    server.close(p1.sfd);
    const r = server.accept(lfd);
    if (typeof r === 'number') throw new Error(`accept failed: ${r}`);
    expect(r.fd).toBe(4);
    expect(r.sock.remotePort).toBe(c2.socketAt(fd2)!.localPort);
    expect(listener.acceptQueue.length).toBe(0);
  });
});

describe('setrlimit(RLIMIT_NOFILE)', () => {
  it('getrlimit returns the limits the host was created with, as a copy', () => {
    const { server } = makeKernel({ nofile: { soft: 100, hard: 200 } });
    const l = server.getrlimit();
    expect(l).toEqual({ soft: 100, hard: 200 });
    l.soft = 1;
    expect(server.getrlimit().soft).toBe(100);
  });

  it('a soft limit above the hard limit is EINVAL and changes nothing', () => {
    const { server } = makeKernel({ nofile: { soft: 100, hard: 200 } });
    expect(server.setrlimit(201, 200)).toBe(-EINVAL);
    expect(server.getrlimit()).toEqual({ soft: 100, hard: 200 });
  });

  it('raising the hard limit is EPERM for an unprivileged process', () => {
    const { server } = makeKernel({ nofile: { soft: 100, hard: 200 } });
    expect(server.setrlimit(100, 201)).toBe(-EPERM);
    expect(server.setrlimit(250, 300)).toBe(-EPERM);
    expect(server.getrlimit()).toEqual({ soft: 100, hard: 200 });
  });

  it('raising the soft limit up to the hard limit works and takes effect', () => {
    const { server } = makeKernel({ nofile: { soft: 4, hard: 6 } });
    expect(server.socket()).toBe(3);
    expect(server.socket()).toBe(-EMFILE);
    expect(server.setrlimit(6, 6)).toBe(0);
    expect(server.socket()).toBe(4);
    expect(server.socket()).toBe(5);
    expect(server.socket()).toBe(-EMFILE);
  });

  it('lowering both limits works, and a lowered hard limit cannot be raised again', () => {
    const { server } = makeKernel({ nofile: { soft: 100, hard: 200 } });
    expect(server.setrlimit(50, 150)).toBe(0);
    expect(server.getrlimit()).toEqual({ soft: 50, hard: 150 });
    expect(server.setrlimit(50, 200)).toBe(-EPERM);
    expect(server.setrlimit(150, 150)).toBe(0);
  });

  it('lowering the soft limit below the open fds is allowed; later allocations fail with EMFILE', () => {
    const { server } = makeKernel({ nofile: { soft: 100, hard: 200 } });
    for (let i = 0; i < 5; i++) server.socket(); // 3..7
    expect(server.setrlimit(5, 200)).toBe(0);
    expect(server.socketAt(7)).toBeDefined();
    expect(server.socket()).toBe(-EMFILE);
    server.close(3);
    expect(server.socket()).toBe(3);
    server.close(7);
    expect(server.socket()).toBe(-EMFILE); // lowest free fd is 7 >= 5
  });
});
