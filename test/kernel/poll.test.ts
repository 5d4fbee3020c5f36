import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/kernel/host.ts';
import type { PollOrder } from '../../src/kernel/kernel.ts';
import { IP, SEC, connectPair, drain, link, listenOn, makeKernel, readNow, type Pair } from './helpers.ts';

/**
 * A server with `n` accepted connections (server fds 4, 5, …) registered for READABLE. Returns a
 * function that makes the connection on server fd `fd` readable by sending a byte, one latency later.
 */
function setup(pollOrder: PollOrder, n = 4, seed = 1) {
  const k = makeKernel({ pollOrder, seed });
  const lfd = listenOn(k.server);
  const pairs: Pair[] = [];
  const clients: Host[] = [];
  for (let i = 0; i < n; i++) {
    const c = k.kernel.createClientHost(`c${i + 1}`, IP, link({ latencyUs: 50 }));
    clients.push(c);
    pairs.push(connectPair(k.kernel, k.server, lfd, c));
  }
  for (const p of pairs) k.server.pollAdd(p.sfd, 1);
  const bySfd = new Map(pairs.map((p, i) => [p.sfd, { p, c: clients[i]! }]));
  /** Sends one byte toward server fd `sfd` and lets it arrive. */
  const poke = (sfd: number) => {
    const e = bySfd.get(sfd)!;
    e.c.write(e.p.cfd, [Buffer.from('!')]);
    drain(k.kernel);
  };
  return { ...k, pairs, poke, fds: pairs.map((p) => p.sfd) };
}

const fdsOf = (ready: Array<{ fd: number }>) => ready.map((r) => r.fd);

describe('poll ordering', () => {
  it("'fd' reports ready fds in ascending order whatever order they became ready in", () => {
    const k = setup('fd');
    expect(k.fds).toEqual([4, 5, 6, 7]);
    for (const fd of [6, 4, 7, 5]) k.poke(fd);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([4, 5, 6, 7].map((fd) => ({ fd, mask: 1 })));
  });

  it("'fifo' reports ready fds in the order they became ready", () => {
    const k = setup('fifo');
    for (const fd of [6, 4, 7, 5]) k.poke(fd);
    expect(fdsOf(k.kernel.pollBlocking(k.server, 0))).toEqual([6, 4, 7, 5]);
  });

  it("'fifo' keeps an fd that stays ready in its place and moves one that was drained to the back", () => {
    const k = setup('fifo');
    for (const fd of [6, 4, 7]) k.poke(fd);
    expect(fdsOf(k.kernel.pollBlocking(k.server, 0))).toEqual([6, 4, 7]);
    readNow(k.server, 6);
    expect(fdsOf(k.kernel.pollBlocking(k.server, 0))).toEqual([4, 7]);
    k.poke(5);
    k.poke(6);
    expect(fdsOf(k.kernel.pollBlocking(k.server, 0))).toEqual([4, 7, 5, 6]);
  });

  it("'random' is a seeded shuffle: the same seed gives the same order", () => {
    const order = (seed: number) => {
      const k = setup('random', 6, seed);
      for (const fd of k.fds) k.poke(fd);
      return [0, 1, 2].map(() => fdsOf(k.kernel.pollBlocking(k.server, 0)));
    };
    const a = order(5);
    expect(a[0]!.slice().sort((x, y) => x - y)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(order(5)).toEqual(a);
    // Each poll draws a new shuffle.
    expect(new Set(a.map((o) => o.join())).size).toBeGreaterThan(1);
  });

  it("'random' with different seeds eventually gives a different order", () => {
    const first = (seed: number) => {
      const k = setup('random', 6, seed);
      for (const fd of k.fds) k.poke(fd);
      return fdsOf(k.kernel.pollBlocking(k.server, 0)).join();
    };
    const orders = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(first));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('only the registered mask is reported, and an fd no longer watched is not reported', () => {
    const k = setup('fd', 2);
    k.poke(4);
    k.server.pollAdd(5, 2); // writable is ready at once on an idle connection
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([{ fd: 4, mask: 1 }, { fd: 5, mask: 2 }]);
    k.server.pollAdd(4, 2);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([{ fd: 4, mask: 3 }, { fd: 5, mask: 2 }]);
    k.server.pollDel(4, 1 | 2);
    k.server.pollDel(5, 2);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([]);
  });

  it('a closed fd is never reported, even when its number is reused', () => {
    const k = setup('fifo', 2);
    k.poke(4);
    k.server.close(4);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([]);
    const fd = k.server.socket();
    expect(fd).toBe(4);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([]);
  });

  it('a listening socket is readable while its accept queue is not empty', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server);
    k.server.pollAdd(lfd, 1);
    const c = k.kernel.createClientHost('c1', IP, link());
    c.connect(c.socket(), IP, 6379);
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([{ fd: lfd, mask: 1 }]);
    expect(k.kernel.now).toBe(50);
    k.server.accept(lfd);
    expect(k.kernel.pollBlocking(k.server, 0)).toEqual([]);
  });
});

describe('blocking poll', () => {
  it('returns ready fds at once without letting time pass', () => {
    const k = setup('fd', 1);
    k.poke(4);
    const t = k.kernel.now;
    expect(fdsOf(k.kernel.pollBlocking(k.server, 10 * SEC))).toEqual([4]);
    expect(k.kernel.now).toBe(t);
  });

  it('wakes exactly when data arrives', () => {
    const k = setup('fd', 1);
    const t = k.kernel.now;
    k.kernel.sched.at(t + 1000, () => k.pairs[0]!.csock.host.write(k.pairs[0]!.cfd, [Buffer.from('x')]));
    expect(fdsOf(k.kernel.pollBlocking(k.server, 10 * SEC))).toEqual([4]);
    expect(k.kernel.now).toBe(t + 1050);
  });

  it('returns nothing after exactly the timeout when no fd becomes ready', () => {
    const k = setup('fd', 1);
    k.kernel.programsDone = () => false;
    const t = k.kernel.now;
    k.kernel.sched.at(t + 300, () => {}); // unrelated work meanwhile
    expect(k.kernel.pollBlocking(k.server, 2500)).toEqual([]);
    expect(k.kernel.now).toBe(t + 2500);
    expect(k.kernel.stopped).toBeNull();
  });

  it('stops with "settled" when nothing but background work remains and every program is done', () => {
    const k = setup('fd', 1);
    k.kernel.sched.after(SEC, () => {}, true);
    const t = k.kernel.now;
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([]);
    expect(k.kernel.stopped).toBe('settled');
    expect(k.kernel.now).toBe(t);
  });

  it('stops with "horizon" at the horizon when a program is still waiting', () => {
    const k = makeKernel({ horizonUs: 5 * SEC });
    k.kernel.programsDone = () => false;
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([]);
    expect(k.kernel.stopped).toBe('horizon');
    expect(k.kernel.now).toBe(5 * SEC);
    // Once stopped, poll returns at once.
    expect(k.kernel.pollBlocking(k.server, SEC)).toEqual([]);
    expect(k.kernel.now).toBe(5 * SEC);
  });

  it('spend lets the other machines run meanwhile but never past the horizon', () => {
    const k = makeKernel({ horizonUs: 1000 });
    let ran = 0;
    k.kernel.sched.at(300, () => ran++);
    k.kernel.spend(500);
    expect(k.kernel.now).toBe(500);
    expect(ran).toBe(1);
    k.kernel.spend(5000);
    expect(k.kernel.now).toBe(1000);
  });
});
