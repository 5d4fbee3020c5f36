// Client-side reply reading: every RESP2/RESP3 type, any split of the bytes, and the text rendering.

import { describe, expect, it } from 'vitest';
import { Filler, isFiller, toBuffer } from '../../src/base/bytes.ts';
import type { Segment } from '../../src/base/bytes.ts';
import { ReplyReader, renderReply } from '../../src/protocol/reply-reader.ts';
import type { Reply } from '../../src/protocol/reply-reader.ts';
import * as reply from '../../src/protocol/reply.ts';

/** Every complete reply in the chunks, rendered. */
function readAll(chunks: Segment[]): string[] {
  const r = new ReplyReader();
  const out: string[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let x = r.next(); x !== undefined; x = r.next()) out.push(renderReply(x));
  }
  return out;
}

const one = (s: string): Reply => {
  const r = new ReplyReader();
  r.push(Buffer.from(s, 'latin1'));
  const x = r.next();
  if (!x) throw new Error(`no complete reply in ${JSON.stringify(s)}`);
  return x;
};

// Wire form -> rendering, one per reply type.
const CASES: Array<[string, string]> = [
  ['+PONG\r\n', '+PONG'],
  ['-ERR message\r\n', '-ERR message'],
  [':5\r\n', ':5'],
  [':-9223372036854775808\r\n', ':-9223372036854775808'],
  ['$5\r\nhello\r\n', '$hello'],
  ['$0\r\n\r\n', '$'],
  ['$8\r\na\r\nb\tc\\\x01\r\n', '$a\\r\\nb\\tc\\\\\\x01'],
  ['$2\r\n\xff\x7f\r\n', '$\\xff\\x7f'],
  ['$-1\r\n', '$-1'],
  ['*-1\r\n', '*-1'],
  ['_\r\n', '_'],
  ['*0\r\n', '[]'],
  ['*2\r\n$1\r\na\r\n:1\r\n', '[$a, :1]'],
  ['*2\r\n*1\r\n+x\r\n*0\r\n', '[[+x], []]'],
  ['%2\r\n+k\r\n:1\r\n$2\r\nk2\r\n*1\r\n:2\r\n', '{+k: :1, $k2: [:2]}'],
  ['%0\r\n', '{}'],
  ['>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n', '>[$message, $ch, $hi]'],
  ['~2\r\n:1\r\n:2\r\n', '~[:1, :2]'],
  [',1.5\r\n', ',1.5'],
  [',-inf\r\n', ',-inf'],
  ['#t\r\n', '#t'],
  ['#f\r\n', '#f'],
  ['=8\r\ntxt:a\r\nb\r\n', '=txt:a\\r\\nb'],
  ['(3492890328409238509324850943850943825024385\r\n', '(3492890328409238509324850943850943825024385'],
  ['!21\r\nSYNTAX invalid syntax\r\n', '-SYNTAX invalid syntax'],
  ['|1\r\n+key-popularity\r\n*1\r\n:1\r\n:7\r\n', ':7'],
];

describe('reply reader', () => {
  it.each(CASES)('reads %j and renders it', (wire, rendered) => {
    expect(readAll([Buffer.from(wire, 'latin1')])).toEqual([rendered]);
  });

  it('every reply type split at every byte position reads the same', () => {
    const wire = Buffer.from(CASES.map(([w]) => w).join(''), 'latin1');
    const want = CASES.map(([, r]) => r);
    for (let i = 0; i <= wire.length; i++) {
      expect(readAll([wire.subarray(0, i), wire.subarray(i)]), `split at ${i}`).toEqual(want);
    }
    expect(readAll(Array.from(wire, (b) => Buffer.from([b])))).toEqual(want);
  });

  it('gives decoded values, not just renderings', () => {
    expect(one(':42\r\n')).toEqual({ type: 'integer', value: 42, raw: '42' });
    expect(one(',inf\r\n')).toMatchObject({ type: 'double', value: Infinity });
    expect(one('#t\r\n')).toEqual({ type: 'boolean', value: true });
    expect(one('$-1\r\n')).toEqual({ type: 'null', of: 'bulk' });
    expect(one('=7\r\nmkd:abc\r\n')).toMatchObject({ type: 'verbatim', format: 'mkd' });
    expect(one('-NOAUTH Authentication required.\r\n')).toEqual({ type: 'error', value: 'NOAUTH Authentication required.' });
  });

  it('waits for a partial reply and returns nothing until it is complete', () => {
    const r = new ReplyReader();
    r.push(Buffer.from('*2\r\n$5\r\nhel'));
    expect(r.next()).toBeUndefined();
    r.push(Buffer.from('lo\r\n'));
    expect(r.next()).toBeUndefined();
    r.push(Buffer.from(':1\r\n+OK\r'));
    expect(renderReply(r.next()!)).toBe('[$hello, :1]');
    expect(r.next()).toBeUndefined();
    r.push(Buffer.from('\n'));
    expect(renderReply(r.next()!)).toBe('+OK');
    expect(r.buffered).toBe(0);
  });

  it('a virtual bulk stays a Filler and renders as its length and byte', () => {
    const GB = 1 << 30;
    const r = new ReplyReader();
    for (const s of reply.bulk(new Filler(GB))) r.push(s);
    const x = r.next()!;
    expect(x.type).toBe('bulk');
    if (x.type === 'bulk') expect(isFiller(x.value) && x.value.length).toBe(GB);
    expect(renderReply(x)).toBe(`$<${GB}×"x">`);
    const mixed = new ReplyReader();
    mixed.push(Buffer.from('$6\r\nab'));
    mixed.push(new Filler(4, 0x79));
    mixed.push(Buffer.from('\r\n'));
    expect(renderReply(mixed.next()!)).toBe('$<6×"y">');
  });

  it('reads back what the reply encoders produce', () => {
    const segs: Segment[] = [
      reply.OK,
      reply.PONG,
      reply.QUEUED,
      reply.CZERO,
      reply.CONE,
      reply.integer(-7),
      reply.error('ERR x'),
      ...reply.bulk(Buffer.from('v')),
      reply.bulkString(''),
      reply.nullBulk(),
      reply.nullArray(),
      reply.nullBulk(3),
      reply.arrayHeader(2),
      reply.status('a'),
      reply.mapHeader(1),
      reply.bulkString('k'),
      reply.setHeader(1),
      reply.integer(3),
      reply.pushHeader(1),
      reply.bulkString('p'),
    ];
    const wire = toBuffer(segs);
    const want = ['+OK', '+PONG', '+QUEUED', ':0', ':1', ':-7', '-ERR x', '$v', '$', '$-1', '*-1', '_', '[+a, {$k: ~[:3]}]', '>[$p]'];
    expect(readAll(segs)).toEqual(want);
    for (let i = 0; i <= wire.length; i++) expect(readAll([wire.subarray(0, i), wire.subarray(i)])).toEqual(want);
  });

  it('malformed input fails with a clear error', () => {
    expect(() => one('?x\r\n')).toThrow(/malformed RESP reply: unknown type byte 0x3f/);
    expect(() => one('+OK\rX')).toThrow(/CR not followed by LF/);
    expect(() => one('$2\r\nabXY')).toThrow(/blob not followed by CRLF/);
    expect(() => one(':abc\r\n')).toThrow(/bad integer/);
    expect(() => one('*?\r\n')).toThrow(/streamed/);
    expect(() => one('#x\r\n')).toThrow(/bad boolean/);
  });
});
