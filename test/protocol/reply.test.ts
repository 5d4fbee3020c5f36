// Reply encoders: exact bytes of each shape and the shared hot-path constants.

import { describe, expect, it } from 'vitest';
import { Filler, describeSegments, isFiller, toBuffer } from '../../src/base/bytes.ts';
import * as reply from '../../src/protocol/reply.ts';

const text = (b: Buffer) => b.toString('latin1');

describe('reply encoders', () => {
  it('status, error and integer replies are one line each', () => {
    expect(text(reply.status('PONG'))).toBe('+PONG\r\n');
    expect(text(reply.status('Background saving started'))).toBe('+Background saving started\r\n');
    expect(text(reply.error('ERR unknown command \'FOO\', with args beginning with: '))).toBe(
      "-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    expect(text(reply.error('NOAUTH Authentication required.'))).toBe('-NOAUTH Authentication required.\r\n');
    expect(text(reply.integer(-42))).toBe(':-42\r\n');
    expect(text(reply.integer(9223372036854775807n))).toBe(':9223372036854775807\r\n');
  });

  it('CR and LF inside a status or error text become spaces, as the patched server sends them', () => {
    expect(text(reply.error("ERR Unknown client type 'a\r\nb'"))).toBe("-ERR Unknown client type 'a  b'\r\n");
    expect(text(reply.status('my\r\nstatus'))).toBe('+my  status\r\n');
  });

  it('an integer reply refuses a non-integer number', () => {
    expect(() => reply.integer(1.5)).toThrow(RangeError);
  });

  it('the hot replies are shared constants that do not allocate', () => {
    expect(reply.status('OK')).toBe(reply.OK);
    expect(reply.status('PONG')).toBe(reply.PONG);
    expect(reply.status('QUEUED')).toBe(reply.QUEUED);
    expect(reply.integer(0)).toBe(reply.CZERO);
    expect(reply.integer(1)).toBe(reply.CONE);
    expect(text(reply.OK)).toBe('+OK\r\n');
    expect(text(reply.QUEUED)).toBe('+QUEUED\r\n');
    expect(text(reply.CZERO)).toBe(':0\r\n');
    expect(text(reply.CONE)).toBe(':1\r\n');
    expect(reply.arrayHeader(3)).toBe(reply.arrayHeader(3));
    expect(reply.bulkHeader(4)).toBe(reply.bulkHeader(4));
  });

  it('a bulk reply is header, data and CRLF, with virtual data kept virtual', () => {
    expect(text(toBuffer(reply.bulk(Buffer.from('hello'))))).toBe('$5\r\nhello\r\n');
    expect(text(toBuffer(reply.bulk(Buffer.alloc(0))))).toBe('$0\r\n\r\n');
    const big = reply.bulk(new Filler(1 << 30));
    expect(isFiller(big[1]!)).toBe(true);
    expect(describeSegments(big)).toBe(`$${1 << 30}\r\n<${1 << 30}×"x">\r\n`);
    expect(text(reply.bulkString('abc'))).toBe('$3\r\nabc\r\n');
    expect(text(reply.bulkString('\xff'))).toBe('$1\r\n\xff\r\n');
  });

  it('null and aggregate headers have the RESP2 and RESP3 forms', () => {
    expect(text(reply.nullBulk())).toBe('$-1\r\n');
    expect(text(reply.nullArray())).toBe('*-1\r\n');
    expect(text(reply.nullBulk(3))).toBe('_\r\n');
    expect(text(reply.nullArray(3))).toBe('_\r\n');
    expect(text(reply.arrayHeader(0))).toBe('*0\r\n');
    expect(text(reply.arrayHeader(100))).toBe('*100\r\n');
    expect(text(reply.EMPTY_ARRAY)).toBe('*0\r\n');
    expect(text(reply.mapHeader(2))).toBe('%2\r\n');
    expect(text(reply.setHeader(1))).toBe('~1\r\n');
    expect(text(reply.pushHeader(3))).toBe('>3\r\n');
  });
});
