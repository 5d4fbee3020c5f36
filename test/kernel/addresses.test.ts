// The server machine's addresses: which bind() may use (loopback, its host address, its
// interfaces, the wildcards), which listener a SYN reaches (exact address, else the wildcard of
// its family), and what a SYN to an address gets: RST when the machine has it, nothing otherwise.
import { describe, expect, it } from 'vitest';
import { EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED, EINPROGRESS, ETIMEDOUT } from '../../src/base/errno.ts';
import { canonicalIp, ipFamily, isLoopback } from '../../src/base/ip.ts';
import { RandomStreams } from '../../src/base/rng.ts';
import type { Host } from '../../src/kernel/host.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { Recorder } from '../../src/timeline/recorder.ts';
import { link, runUntilTrue, SEC } from './helpers.ts';

function world(interfaces: string[] = ['10.0.0.1', '2001:db8::1']) {
  let kernel!: Kernel;
  const recorder = new Recorder(() => kernel.now, (a) => kernel.clientNameOf(a));
  kernel = new Kernel({ streams: new RandomStreams(1), tracer: recorder, pollOrder: 'fd', horizonUs: 3600 * SEC });
  const server = kernel.createServerHost('server', '127.0.0.1', { soft: 1024, hard: 1048576 }, interfaces);
  return { kernel, server, recorder };
}

function listen(server: Host, ip: string, port = 6379): number {
  const fd = server.socket();
  const b = server.bind(fd, ip, port);
  if (b < 0) {
    server.close(fd);
    return b;
  }
  server.listen(fd, 16);
  return fd;
}

/** Connects from a new client machine at `from` to `to:port`; the client's socket. */
function dial(kernel: Kernel, from: string, to: string, port = 6379, name = `c-${from}-${to}`) {
  const c = kernel.createClientHost(name, from, link({ latencyUs: 50 }));
  const fd = c.socket();
  expect(c.connect(fd, to, port)).toBe(-EINPROGRESS);
  return c.socketAt(fd)!;
}

describe('IP literals', () => {
  it('canonical text is what inet_ntop prints: lower case, longest zero run as ::, IPv4 tails', () => {
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('1:0:3:4:5:6:7:8')).toBe('1:0:3:4:5:6:7:8');
    expect(canonicalIp('::FFFF:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
  });

  it('families: dotted quads are IPv4, names and out-of-range octets are neither', () => {
    expect([ipFamily('255.255.255.255'), ipFamily('256.0.0.1'), ipFamily('::'), ipFamily('1:2:3:4:5:6:7:8:9'), ipFamily('localhost')]).toEqual([4, 0, 6, 0, 0]);
  });

  it('loopback is all of 127.0.0.0/8 and ::1 only', () => {
    expect([isLoopback('127.255.0.9'), isLoopback('128.0.0.1'), isLoopback('0::1'), isLoopback('::2')]).toEqual([true, false, true, false]);
  });
});

describe('bind() on the server machine', () => {
  it('takes loopback, the host address, the interfaces and the wildcards; anything else is EADDRNOTAVAIL', () => {
    const { server } = world();
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '10.0.0.1', '2001:DB8::1', '0.0.0.0', '::']) {
      expect(listen(server, ip, 7000 + server.openFds), ip).toBeGreaterThan(0);
    }
    expect(listen(server, '10.0.0.2')).toBe(-EADDRNOTAVAIL);
    expect(listen(server, '2001:db8::2')).toBe(-EADDRNOTAVAIL);
  });

  it('a port held by the wildcard of a family clashes with every address of that family, not of the other', () => {
    const { server } = world();
    expect(listen(server, '0.0.0.0')).toBeGreaterThan(0);
    expect(listen(server, '127.0.0.1')).toBe(-EADDRINUSE);
    expect(listen(server, '10.0.0.1')).toBe(-EADDRINUSE);
    expect(listen(server, '::1')).toBeGreaterThan(0);
    expect(listen(server, '::')).toBe(-EADDRINUSE);
  });

  it('an exact address first, then the wildcard clashes with it', () => {
    const { server } = world();
    expect(listen(server, '10.0.0.1')).toBeGreaterThan(0);
    expect(listen(server, '0.0.0.0')).toBe(-EADDRINUSE);
    expect(listen(server, '0.0.0.0', 6380)).toBeGreaterThan(0);
  });
});

describe('where a SYN goes', () => {
  it('a wildcard listener takes connections to each address of the machine and keeps the address dialled as the local one', () => {
    const { kernel, server } = world();
    const any = listen(server, '0.0.0.0');
    const lan = dial(kernel, '10.0.0.5', '10.0.0.1');
    const lo = dial(kernel, '127.0.0.1', '127.0.0.2');
    runUntilTrue(kernel, () => lan.state === 'established' && lo.state === 'established');
    const laddrs = [server.accept(any), server.accept(any)].map((a) => (typeof a === 'number' ? a : a.sock.laddr));
    expect(laddrs).toEqual(['10.0.0.1:6379', '127.0.0.2:6379']);
  });

  it('listeners on two addresses of one port each take their own connections', () => {
    const { kernel, server } = world();
    const lo = listen(server, '127.0.0.1');
    const lan = listen(server, '10.0.0.1');
    const s = dial(kernel, '10.0.0.5', '10.0.0.1');
    runUntilTrue(kernel, () => s.state === 'established');
    expect([server.socketAt(lo)!.acceptQueue.length, server.socketAt(lan)!.acceptQueue.length]).toEqual([0, 1]);
  });

  it('0.0.0.0 takes no IPv6 connection and :: no IPv4 one (IPv6-only listeners)', () => {
    const { kernel, server } = world();
    listen(server, '0.0.0.0');
    const v6 = dial(kernel, '::1', '::1');
    runUntilTrue(kernel, () => v6.state === 'dead');
    expect(v6.error).toBe(ECONNREFUSED);

    const w2 = world();
    const l6 = listen(w2.server, '::');
    const v4 = dial(w2.kernel, '127.0.0.1', '127.0.0.1');
    runUntilTrue(w2.kernel, () => v4.state === 'dead');
    expect(v4.error).toBe(ECONNREFUSED);
    const ok = dial(w2.kernel, '2001:db8::7', '2001:db8::1');
    runUntilTrue(w2.kernel, () => ok.state === 'established');
    const a = w2.server.accept(l6);
    if (typeof a === 'number') throw new Error(String(a));
    expect([a.sock.addr, a.sock.laddr]).toEqual(['[2001:db8::7]:40000', '[2001:db8::1]:6379']);
  });

  it('an address the machine has but does not listen on answers RST: ECONNREFUSED after one round trip', () => {
    const { kernel, server, recorder } = world();
    listen(server, '127.0.0.1');
    const s = dial(kernel, '10.0.0.5', '10.0.0.1');
    expect(runUntilTrue(kernel, () => s.state === 'dead')).toBe(100);
    expect(s.error).toBe(ECONNREFUSED);
    expect(recorder.events.find((e) => e.kind === 'connect')).toMatchObject({ result: 'refused', addr: '10.0.0.1:6379' });
  });

  it('an address nobody has answers nothing: SYNs at 0, 1, 3, 7, 15, 31, 63 s, then ETIMEDOUT at 127 s, even with a wildcard listener', () => {
    const { kernel, server, recorder } = world();
    listen(server, '0.0.0.0');
    const s = dial(kernel, '10.0.0.5', '10.0.0.9');
    runUntilTrue(kernel, () => s.state === 'dead');
    expect(kernel.now).toBe(127 * SEC);
    expect(s.error).toBe(ETIMEDOUT);
    expect(s.synAttempts).toBe(7);
    expect(recorder.events.find((e) => e.kind === 'connect')).toMatchObject({ t: 127 * SEC, result: 'timeout', addr: '10.0.0.9:6379' });
  });
});
