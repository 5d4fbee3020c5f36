// A 1 GiB Filler crosses a simulated connection without being allocated (own file so RSS is
// measured alone).
import { describe, expect, it } from 'vitest';
import { Filler, isFiller } from '../../src/base/bytes.ts';
import { EAGAIN } from '../../src/base/errno.ts';
import { IP, connectPair, drain, link, listenOn, makeKernel } from './helpers.ts';

const GIB = 1 << 30;
const MB = 1024 * 1024;

describe('virtual bytes through a socket', () => {
  it('a 1 GiB Filler written through a socket and read back in pieces is never allocated', () => {
    const before = process.memoryUsage().rss;
    const k = makeKernel({ serverLink: { rcvbuf: 4 * MB } });
    const lfd = listenOn(k.server);
    const client = k.kernel.createClientHost('c1', IP, link({ sndbuf: 4 * MB, bandwidth: 10_000_000_000 }));
    const p = connectPair(k.kernel, k.server, lfd, client);

    let written = 0, read = 0, reads = 0, realBytes = 0;
    const fillerBytes = new Set<number>();
    while (read < GIB) {
      if (written < GIB) {
        const n = client.write(p.cfd, [new Filler(GIB - written, 0x61)]);
        if (n > 0) written += n;
        else expect(n).toBe(-EAGAIN);
      }
      drain(k.kernel);
      for (;;) {
        const r = k.server.read(p.sfd, 3 * MB + 17); // odd piece size: splits runs mid-way
        if (r === -EAGAIN) break;
        if (typeof r === 'number') throw new Error(`read failed: ${r}`);
        reads++;
        for (const s of r) {
          if (isFiller(s)) fillerBytes.add(s.byte);
          else realBytes += s.length;
          read += s.length;
        }
      }
    }
    expect(written).toBe(GIB);
    expect(read).toBe(GIB);
    expect(realBytes).toBe(0);
    expect([...fillerBytes]).toEqual([0x61]);
    expect(reads).toBeGreaterThan(300);
    expect(p.ssock.rcv.length).toBe(0);
    expect(p.csock.snd.length).toBe(0);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MB);
  });

  it('real bytes around a huge filler keep their exact positions', () => {
    const k = makeKernel();
    const lfd = listenOn(k.server);
    const client = k.kernel.createClientHost('c1', IP, link({ sndbuf: 2 * GIB }));
    const p = connectPair(k.kernel, k.server, lfd, client);
    k.server.setsockopt(p.sfd, 'SO_RCVBUF', 2 * GIB);
    const n = client.write(p.cfd, [Buffer.from('$1073741824\r\n'), new Filler(GIB), Buffer.from('\r\nPING\r\n')]);
    expect(n).toBe(13 + GIB + 8);
    drain(k.kernel);
    const q = p.ssock.rcv;
    expect(q.length).toBe(n);
    expect(q.peek(0, 13).toString()).toBe('$1073741824\r\n');
    expect(q.indexOf(0x0d, 13)).toBe(13 + GIB);
    expect(q.peek(13 + GIB - 2, 6).toString()).toBe('xx\r\nPI');
    const r = k.server.read(p.sfd, 13 + GIB + 2);
    if (typeof r === 'number') throw new Error(String(r));
    expect(r.reduce((a, s) => a + s.length, 0)).toBe(13 + GIB + 2);
    const rest = k.server.read(p.sfd, 100);
    if (typeof rest === 'number') throw new Error(String(rest));
    expect(Buffer.concat(rest as Buffer[]).toString()).toBe('PING\r\n');
  });
});
