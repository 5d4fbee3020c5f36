import { describe, expect, it } from 'vitest';
import { Filler, toBuffer } from '../../src/base/bytes.ts';
import { EAGAIN, ECONNRESET, EPIPE } from '../../src/base/errno.ts';
import { MAX_CHUNK } from '../../src/kernel/network.ts';
import type { LinkSpec } from '../../src/kernel/types.ts';
import {
  IP, SEC, connectPair, drain, link, listenOn, makeKernel, readNow, recordArrivals, runUntilTrue,
} from './helpers.ts';

function pair(over: Partial<LinkSpec> = {}, seed = 1, serverLink: Partial<LinkSpec> = {}) {
  const k = makeKernel({ seed, serverLink });
  const lfd = listenOn(k.server);
  const client = k.kernel.createClientHost('c1', IP, link(over));
  const p = connectPair(k.kernel, k.server, lfd, client);
  return { ...k, client, ...p };
}

/** Distinct bytes 0..n-1 (mod 251), so reordering would show. */
function pattern(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
}

describe('latency', () => {
  it.each([0, 1, 50, 1234, 250_000])('a latency of %i µs adds exactly that to every delivery', (latencyUs) => {
    const k = pair({ latencyUs });
    const t0 = k.kernel.now;
    expect(t0).toBe(2 * latencyUs); // the handshake took one round trip
    k.client.write(k.cfd, [Buffer.from('abc')]);
    expect(recordArrivals(k.kernel, k.ssock)).toEqual([[t0 + latencyUs, 3]]);
    k.server.write(k.sfd, [Buffer.from('de')]);
    expect(recordArrivals(k.kernel, k.csock)).toEqual([[t0 + 2 * latencyUs, 2]]);
  });
});

describe('bandwidth', () => {
  it('100 000 bytes over 100 000 B/s take one second to arrive, in MAX_CHUNK bursts', () => {
    const k = pair({ latencyUs: 50, bandwidth: 100_000, sndbuf: 200_000 });
    const t0 = k.kernel.now;
    expect(k.client.write(k.cfd, [new Filler(100_000)])).toBe(100_000);
    const arrivals = recordArrivals(k.kernel, k.ssock);
    expect(arrivals).toEqual([
      [t0 + Math.ceil((MAX_CHUNK * SEC) / 100_000) + 50, MAX_CHUNK],
      [t0 + SEC + 50, 100_000 - MAX_CHUNK],
    ]);
  });

  it('throughput stays at the link rate while the reader keeps up', () => {
    const bw = 1_000_000; // 1 MB/s
    const k = pair({ latencyUs: 0, bandwidth: bw, sndbuf: 64 * 1024 }, 1, { rcvbuf: 64 * 1024 });
    const t0 = k.kernel.now;
    const total = 4_000_000;
    let sent = 0, got = 0;
    while (got < total) {
      if (sent < total) {
        const n = k.client.write(k.cfd, [new Filler(total - sent)]);
        if (n > 0) sent += n;
      }
      const r = k.server.read(k.sfd, 1 << 20);
      if (Array.isArray(r)) got += r.reduce((a, s) => a + s.length, 0);
      else if (!k.kernel.sched.runNext()) throw new Error('stalled');
    }
    const elapsed = k.kernel.now - t0;
    // 4 MB at 1 MB/s: 4 s of wire time, plus a little for window turn-arounds.
    expect(elapsed).toBeGreaterThanOrEqual(4 * SEC);
    expect(elapsed).toBeLessThan(4.2 * SEC);
  });

  it('unlimited bandwidth delivers a full window at once', () => {
    const k = pair({ latencyUs: 10, bandwidth: 0, sndbuf: 100_000 });
    const t0 = k.kernel.now;
    k.client.write(k.cfd, [new Filler(100_000)]);
    const arrivals = recordArrivals(k.kernel, k.ssock);
    expect(arrivals.every(([t]) => t === t0 + 10)).toBe(true);
    expect(arrivals.reduce((a, [, n]) => a + n, 0)).toBe(100_000);
  });
});

describe('jitter', () => {
  /** Writes 40 ten-byte chunks 3 µs apart (from 203 µs) and returns each chunk's arrival time and the bytes read. */
  function jittered(seed: number) {
    const k = pair({ latencyUs: 100, jitterUs: 500 }, seed);
    expect(k.kernel.now).toBeLessThanOrEqual(1200);
    const start = 2000;
    const data = pattern(400);
    for (let i = 0; i < 40; i++) {
      k.kernel.sched.at(start + 3 * i, () => {
        expect(k.client.write(k.cfd, [data.subarray(i * 10, i * 10 + 10)])).toBe(10);
      });
    }
    const times: number[] = [];
    for (const [t, n] of recordArrivals(k.kernel, k.ssock)) for (let j = 0; j < n / 10; j++) times.push(t);
    return { times, sentAt: (i: number) => start + 3 * i, got: readNow(k.server, k.sfd).data, data };
  }

  it('seeded jitter never reorders bytes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { times, got, data } = jittered(seed);
      expect(got.equals(data)).toBe(true);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('jitter delays each delivery by between 0 and jitter µs beyond the latency (or until the one before it)', () => {
    const { times, sentAt } = jittered(7);
    expect(times).toHaveLength(40);
    times.forEach((t, i) => {
      expect(t - sentAt(i)).toBeGreaterThanOrEqual(100);
      expect(t).toBeLessThanOrEqual(Math.max(sentAt(i) + 600, times[i - 1] ?? 0));
    });
    expect(new Set(times.map((t, i) => t - sentAt(i))).size).toBeGreaterThan(5);
  });

  it('the same seed gives the same delivery times and another seed different ones', () => {
    expect(jittered(11).times).toEqual(jittered(11).times);
    expect(jittered(11).times).not.toEqual(jittered(12).times);
  });
});

describe('slicing', () => {
  /** Reads each arrival as soon as it is delivered; returns the sizes of the reads. */
  function readSlices(k: ReturnType<typeof pair>, from: 'server' | 'client', total: number): number[] {
    const [host, fd, sock] = from === 'server' ? [k.server, k.sfd, k.ssock] : [k.client, k.cfd, k.csock];
    const sizes: number[] = [];
    let got = 0;
    while (got < total) {
      runUntilTrue(k.kernel, () => sock.rcv.length > 0);
      const r = host.read(fd, 1 << 20);
      if (!Array.isArray(r)) throw new Error(`read failed: ${r}`);
      const n = r.reduce((a, x) => a + x.length, 0);
      sizes.push(n);
      got += n;
    }
    return sizes;
  }

  it('a slice fault with sizes [3, 7, 1] delivers bytes in exactly those chunks, cyclically', () => {
    const k = pair({ latencyUs: 50 });
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'slice', direction: 'to-server', sizes: [3, 7, 1] });
    const data = pattern(30);
    k.client.write(k.cfd, [data]);
    expect(readSlices(k, 'server', 30)).toEqual([3, 7, 1, 3, 7, 1, 3, 5]);
  });

  it('the next slice is released only after the receiver has read the previous one', () => {
    const k = pair({ latencyUs: 50 });
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'slice', direction: 'to-server', sizes: [3, 7, 1] });
    const t0 = k.kernel.now;
    k.client.write(k.cfd, [Buffer.from('abcdefghijk')]);
    expect(recordArrivals(k.kernel, k.ssock)).toEqual([[t0 + 50, 3]]);
    k.kernel.sched.runUntil(t0 + 1000);
    expect(toBuffer(k.server.read(k.sfd, 100) as Buffer[]).toString()).toBe('abc');
    expect(recordArrivals(k.kernel, k.ssock)).toEqual([[t0 + 1050, 7]]);
    expect(readNow(k.server, k.sfd).data.toString()).toBe('defghij');
    drain(k.kernel);
    expect(readNow(k.server, k.sfd).data.toString()).toBe('k');
  });

  it('each slice can be read on its own between deliveries', () => {
    const k = pair({ latencyUs: 50, bandwidth: 1_000_000 });
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'slice', direction: 'to-server', sizes: [3, 7, 1] });
    k.client.write(k.cfd, [Buffer.from('abcdefghijk')]);
    const reads: string[] = [];
    while (reads.join('').length < 11) {
      runUntilTrue(k.kernel, () => k.ssock.rcv.length > 0);
      reads.push(toBuffer(k.server.read(k.sfd, 100) as Buffer[]).toString());
    }
    expect(reads).toEqual(['abc', 'defghij', 'k']);
  });

  it('slicing one direction leaves the other in whole bursts', () => {
    const k = pair();
    k.kernel.applyFault({ atUs: 0, client: 'c1', kind: 'slice', direction: 'to-server', sizes: [2] });
    k.server.write(k.sfd, [pattern(100)]);
    expect(recordArrivals(k.kernel, k.csock).map(([, n]) => n)).toEqual([100]);
  });

  it('random slicing uses seeded sizes within the bounds', () => {
    const sizes = (seed: number) => {
      const k = pair({}, seed);
      k.kernel.applyFault({ atUs: 0, client: 'c1', kind: 'slice', direction: 'to-client', random: [2, 5] });
      k.server.write(k.sfd, [pattern(200)]);
      return readSlices(k, 'client', 200);
    };
    const a = sizes(3);
    expect(a.reduce((x, y) => x + y, 0)).toBe(200);
    expect(a.slice(0, -1).every((n) => n >= 2 && n <= 5)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(sizes(3)).toEqual(a);
    expect(sizes(4)).not.toEqual(a);
  });
});

describe('partition', () => {
  it('a partition holds bytes in the sender and releases them one latency after it heals', () => {
    const k = pair({ latencyUs: 50 });
    const t0 = k.kernel.now;
    k.kernel.applyFault({ atUs: t0, client: 'c1', kind: 'partition', direction: 'to-server', durationUs: 5 * SEC });
    expect(k.client.write(k.cfd, [Buffer.from('held')])).toBe(4);
    expect(recordArrivals(k.kernel, k.ssock, t0 + 5 * SEC - 1)).toEqual([]);
    expect(k.csock.snd.length).toBe(4);
    expect(recordArrivals(k.kernel, k.ssock)).toEqual([[t0 + 5 * SEC + 50, 4]]);
    expect(readNow(k.server, k.sfd).data.toString()).toBe('held');
  });

  it('a route remembers a connection until both ends are over, then forgets it', () => {
    const k = pair();
    const route = k.client.route!;
    expect(route.liveConns()).toEqual([k.csock]);
    k.client.close(k.cfd);
    drain(k.kernel);
    expect(route.liveConns()).toEqual([k.csock]); // the server end is still open
    expect(k.server.read(k.sfd, 10)).toBe(0);
    k.server.close(k.sfd);
    drain(k.kernel);
    expect(route.liveConns()).toEqual([]);
  });

  it('a one-way partition blocks only its direction', () => {
    const k = pair({ latencyUs: 50 });
    const t0 = k.kernel.now;
    k.kernel.applyFault({ atUs: t0, client: 'c1', kind: 'partition', direction: 'to-client', durationUs: SEC });
    k.client.write(k.cfd, [Buffer.from('up')]);
    k.server.write(k.sfd, [Buffer.from('down')]);
    drain(k.kernel, t0 + SEC - 1);
    expect(k.ssock.rcv.length).toBe(2);
    expect(k.csock.rcv.length).toBe(0);
    drain(k.kernel);
    expect(readNow(k.client, k.cfd).data.toString()).toBe('down');
  });

  it('a FIN sent during a partition arrives after it heals, behind the held data', () => {
    const k = pair({ latencyUs: 50 });
    const t0 = k.kernel.now;
    k.kernel.applyFault({ atUs: t0, client: 'c1', kind: 'partition', direction: 'both', durationUs: 2 * SEC });
    k.client.write(k.cfd, [Buffer.from('last')]);
    k.client.close(k.cfd);
    drain(k.kernel, t0 + 2 * SEC - 1);
    expect(k.server.read(k.sfd, 10)).toBe(-EAGAIN);
    drain(k.kernel);
    expect(readNow(k.server, k.sfd)).toEqual({ data: Buffer.from('last'), end: 0 });
  });
});

describe('vanish', () => {
  it('a vanished machine sends nothing it had queued', () => {
    const k = pair({ sndbuf: 1000 }, 1, { rcvbuf: 100 });
    k.client.write(k.cfd, [new Filler(1000)]);
    drain(k.kernel);
    expect(k.ssock.rcv.length).toBe(100);
    k.kernel.vanish(k.client);
    readNow(k.server, k.sfd);
    drain(k.kernel);
    expect(k.ssock.rcv.length).toBe(0);
    expect(k.server.read(k.sfd, 10)).toBe(-EAGAIN);
  });

  it('a vanished machine never answers with RST, even for bytes reaching a socket it had closed', () => {
    const k = pair({ latencyUs: 50 });
    k.client.close(k.cfd);
    drain(k.kernel);
    expect(k.server.read(k.sfd, 10)).toBe(0);
    k.server.write(k.sfd, [Buffer.from('late')]);
    k.kernel.sched.runUntil(k.kernel.now + 10);
    k.kernel.vanish(k.client); // before the bytes arrive at the closed socket
    drain(k.kernel);
    expect(k.ssock.error).toBe(0);
    expect(k.server.write(k.sfd, [Buffer.from('x')])).toBe(1);
  });
});

describe('close with unread input (abort)', () => {
  it('bytes already on the wire still arrive, then the RST: the peer reads them before ECONNRESET', () => {
    const k = pair();
    k.client.write(k.cfd, [Buffer.from('unread by server')]);
    drain(k.kernel);
    expect(k.server.write(k.sfd, [Buffer.from('last words')])).toBe(10);
    k.server.close(k.sfd); // unread input: RST instead of FIN
    // The bytes arrive after one latency (50 µs); the RST strictly after them.
    k.kernel.sched.runUntil(k.kernel.now + 50);
    expect(k.csock.error).toBe(0);
    const got = k.client.read(k.cfd, 100);
    expect(Array.isArray(got) ? Buffer.concat(got as Buffer[]).toString() : got).toBe('last words');
    drain(k.kernel);
    expect(k.client.read(k.cfd, 100)).toBe(-ECONNRESET);
  });
});

describe('rst fault', () => {
  it('an rst fault resets both ends at once: reads fail with ECONNRESET, writes with EPIPE', () => {
    const k = pair();
    k.client.write(k.cfd, [Buffer.from('unread by server')]);
    drain(k.kernel);
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'rst', toward: 'server' });
    expect(k.server.read(k.sfd, 100)).toBe(-ECONNRESET);
    expect(k.client.read(k.cfd, 100)).toBe(-ECONNRESET);
    expect(k.server.write(k.sfd, [Buffer.from('x')])).toBe(-EPIPE);
    expect(k.ssock.rcv.length).toBe(0);
    expect(k.recorder.events.some((e) => e.kind === 'fault' && e.fault === 'rst' && e.client === 'c1')).toBe(true);
  });

  it('an rst fault with bytes in flight discards them without failing', () => {
    const k = pair({ bandwidth: 1_000_000, sndbuf: 300_000 });
    k.client.write(k.cfd, [new Filler(300_000)]);
    k.kernel.sched.runUntil(k.kernel.now + 100_000);
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'rst', toward: 'client' });
    expect(() => drain(k.kernel)).not.toThrow();
    expect(k.client.read(k.cfd, 10)).toBe(-ECONNRESET);
    expect(k.server.read(k.sfd, 10)).toBe(-ECONNRESET);
  });

  it('a scheduled fault applies at its time', () => {
    const k = pair();
    k.kernel.scheduleFault({ atUs: 3 * SEC, client: 'c1', kind: 'rst', toward: 'server' });
    k.kernel.sched.runUntil(3 * SEC - 1);
    expect(k.server.read(k.sfd, 10)).toBe(-EAGAIN);
    k.kernel.sched.runUntil(3 * SEC);
    expect(k.server.read(k.sfd, 10)).toBe(-ECONNRESET);
  });
});
