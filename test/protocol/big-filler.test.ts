// A 1 GB virtual bulk argument parses without allocating it (own file so RSS is measured alone).

import { describe, expect, it } from 'vitest';
import { ByteQueue, Filler, isFiller } from '../../src/base/bytes.ts';
import { RequestParser } from '../../src/protocol/request-parser.ts';

const GB = 1 << 30;
const LIMITS = { protoMaxBulkLen: 2 * GB, authenticated: true };

describe('virtual bulk arguments', () => {
  it('a 1 GB Filler bulk argument parses to a Filler of the right length without allocating it', () => {
    const before = process.memoryUsage().rss;
    const q = new ByteQueue();
    const p = new RequestParser();
    q.push(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${GB}\r\n`));
    expect(p.parse(q, LIMITS).kind).toBe('incomplete');
    expect(p.bigArgMissing(q)).toBe(GB + 2);
    q.push(new Filler(GB));
    expect(p.parse(q, LIMITS).kind).toBe('incomplete');
    expect(p.bigArgMissing(q)).toBe(2);
    q.push(Buffer.from('\r\nPING\r\n'));
    const r = p.parse(q, LIMITS);
    if (r.kind !== 'command') throw new Error(`expected a command, got ${r.kind}`);
    const v = r.argv[2]!;
    expect(isFiller(v)).toBe(true);
    expect(v.length).toBe(GB);
    expect(p.argvBytes).toBe(3 + 1 + GB);
    expect(p.parse(q, LIMITS)).toEqual({ kind: 'command', argv: [Buffer.from('PING')] });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('a 1 GB bulk arriving as 1024 virtual chunks is still one Filler', () => {
    const before = process.memoryUsage().rss;
    const q = new ByteQueue();
    const p = new RequestParser();
    q.push(Buffer.from(`*1\r\n$${GB}\r\n`));
    const chunk = GB / 1024;
    for (let i = 0; i < 1024; i++) {
      q.push(new Filler(chunk));
      expect(p.parse(q, LIMITS).kind).toBe('incomplete');
    }
    q.push(Buffer.from('\r\n'));
    const r = p.parse(q, LIMITS);
    if (r.kind !== 'command') throw new Error(`expected a command, got ${r.kind}`);
    expect(isFiller(r.argv[0]!) && r.argv[0]!.length).toBe(GB);
    expect(q.length).toBe(0);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });
});
