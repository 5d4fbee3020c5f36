// Request parsing as in Redis 7.0.15 §4: error texts, OBS examples, inline quoting, split
// independence, argv accounting, big-argument read sizing and the protocol-error log dump.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteQueue, Filler, isFiller } from '../../src/base/bytes.ts';
import { RequestParser, protocolErrorDump, string2ll } from '../../src/protocol/request-parser.ts';
import { AUTHED, UNAUTHED, feed, splitAt } from './helpers.ts';

const err = (text: string, reason: string) => `error ERR Protocol error: ${text} (${reason})`;

describe('protocol error replies carry the exact Redis texts', () => {
  it('65536 inline bytes without a newline wait, 65537 are a too big inline request', () => {
    expect(feed(['a'.repeat(65536)]).events).toEqual([]);
    expect(feed(['a'.repeat(65536)]).last.kind).toBe('incomplete');
    expect(feed(['a'.repeat(65537)]).events).toEqual([err('too big inline request', 'too big inline request')]);
    expect(feed(['a'.repeat(65536), 'a']).events).toEqual([err('too big inline request', 'too big inline request')]);
  });

  it('a long inline line is accepted when its newline arrives in the same read', () => {
    const out = feed([`ECHO ${'a'.repeat(100000)}\r\n`]);
    expect(out.last).toMatchObject({ kind: 'command' });
    if (out.last.kind === 'command') expect(out.last.argv.map((a) => a.length)).toEqual([4, 100000]);
  });

  it('an unterminated or badly closed quote is an unbalanced quotes error', () => {
    const e = err('unbalanced quotes in request', 'unbalanced quotes in inline request');
    expect(feed(['ECHO "abc"def\r\n']).events).toEqual([e]);
    expect(feed(['ECHO "abc\r\n']).events).toEqual([e]);
    expect(feed(["ECHO 'abc\r\n"]).events).toEqual([e]);
    expect(feed(["ECHO 'abc'def\r\n"]).events).toEqual([e]);
    expect(feed(['ECHO "abc\\"\r\n']).events).toEqual([e]);
    expect(feed(['ECHO "abc\\\r\n']).events).toEqual([e]);
  });

  it('a multibulk count line with no CR beyond 65536 bytes is a too big mbulk count string', () => {
    expect(feed(['*' + '1'.repeat(65535)]).events).toEqual([]);
    expect(feed(['*' + '1'.repeat(65536)]).events).toEqual([err('too big mbulk count string', 'too big mbulk count string')]);
  });

  it('a count that is not a strict integer or exceeds INT_MAX is an invalid multibulk length', () => {
    const e = err('invalid multibulk length', 'invalid mbulk count');
    for (const count of ['abc', '3000000000', '2147483648', '+1', '01', ' 1', '1 ', '', '-0', '-', '1.0', '99999999999999999999', '123456789012345678901']) {
      expect(feed([`*${count}\r\n`]).events, `*${count}`).toEqual([e]);
    }
    // LF-only line end: the search for CR runs into the next line, so the count text is "1\n$4".
    expect(feed(['*1\n$4\r\nPING\r\n']).events).toEqual([e]);
  });

  it('a count of INT_MAX is accepted and waits for its arguments', () => {
    const out = feed(['*2147483647\r\n']);
    expect(out.events).toEqual([]);
    expect(out.rest).toBe(0);
  });

  it('an unauthenticated client may send 10 arguments but not 11', () => {
    const ten = '*10\r\n' + '$1\r\na\r\n'.repeat(10);
    expect(feed([ten], UNAUTHED).events).toEqual([`cmd ${JSON.stringify(Array(10).fill('a'))}`]);
    expect(feed(['*11\r\n'], UNAUTHED).events).toEqual([err('unauthenticated multibulk length', 'unauth mbulk count')]);
    expect(feed(['*11\r\n'], AUTHED).events).toEqual([]);
  });

  it("a bulk header not starting with '$' is an expected '$' error naming the byte", () => {
    expect(feed(['*1\r\nx4\r\nPING\r\n']).events).toEqual([
      "error ERR Protocol error: expected '$', got 'x' (expected $ but got something else)",
    ]);
    // A CR as the first byte is shown as a space (addReplyErrorFormat maps CR/LF to spaces).
    expect(feed(['*1\r\n\r\n']).events).toEqual([
      "error ERR Protocol error: expected '$', got ' ' (expected $ but got something else)",
    ]);
  });

  it("the '$' check only happens once the header line has its CR and one more byte", () => {
    expect(feed(['*1\r\nx4']).events).toEqual([]);
    expect(feed(['*1\r\nx4\r']).events).toEqual([]);
  });

  it('a bulk header with no CR beyond 65536 bytes is a too big bulk count string', () => {
    expect(feed(['*1\r\n$' + '1'.repeat(65535)]).events).toEqual([]);
    expect(feed(['*1\r\n$' + '1'.repeat(65536)]).events).toEqual([err('too big bulk count string', 'too big bulk count string')]);
  });

  it('a bulk length that is not a strict integer, negative or above proto-max-bulk-len is invalid', () => {
    const e = err('invalid bulk length', 'invalid bulk length');
    for (const len of ['-5', 'abc', '600000000', '536870913', '+5', '05', '', '-1', ' 5']) {
      expect(feed([`*1\r\n$${len}\r\n`]).events, `$${len}`).toEqual([e]);
    }
    expect(feed(['*1\r\n$536870912\r\n']).events).toEqual([]);
    expect(feed(['*1\r\n$2000000\r\n'], { protoMaxBulkLen: 1048576, authenticated: true }).events).toEqual([e]);
  });

  it('an unauthenticated client may send a 16384-byte bulk but not a 16385-byte one', () => {
    const ok = feed([`*1\r\n$16384\r\n${'a'.repeat(16384)}\r\n`], UNAUTHED);
    expect(ok.last.kind).toBe('command');
    expect(feed(['*1\r\n$16385\r\n'], UNAUTHED).events).toEqual([err('unauthenticated bulk length', 'unauth bulk length')]);
    expect(feed(['*1\r\n$16385\r\n'], AUTHED).events).toEqual([]);
  });

  it('the queue still starts at the failing header after a protocol error, and the parser stays failed', () => {
    const out = feed(['*2\r\n$4\r\nECHO\r\n$-5\r\nmore']);
    expect(out.queue.peek(0, out.rest).toString('latin1')).toBe('$-5\r\nmore');
    expect(out.parser.parse(out.queue, AUTHED)).toEqual(out.last);
  });
});

describe('observed Redis behaviour (OBS examples of §4)', () => {
  it('*1\\rX$4\\rYPING\\r\\n parses as PING: the byte after CR is not checked', () => {
    expect(feed(['*1\rX$4\rYPING\r\n']).events).toEqual(['cmd ["PING"]']);
  });

  it('*1\\r\\n$4\\r\\nPINGxx parses as PING: the two bytes after bulk data are not checked', () => {
    const out = feed(['*1\r\n$4\r\nPINGxx']);
    expect(out.events).toEqual(['cmd ["PING"]']);
    expect(out.rest).toBe(0);
  });

  it('PING PING *abc PING gives two commands then invalid multibulk length, the last PING unparsed', () => {
    const out = feed(['PING\r\nPING\r\n*abc\r\nPING\r\n']);
    expect(out.events).toEqual(['cmd ["PING"]', 'cmd ["PING"]', err('invalid multibulk length', 'invalid mbulk count')]);
    expect(out.queue.peek(0, out.rest).toString('latin1')).toBe('*abc\r\nPING\r\n');
    expect(protocolErrorDump(out.queue)).toBe('*abc..PING..');
  });

  it('*0 then a PING gives an empty reset then PING', () => {
    expect(feed(['*0\r\n*1\r\n$4\r\nPING\r\n']).events).toEqual(['empty', 'cmd ["PING"]']);
  });

  it('an empty line, *0, *-1 and any *<n<=0> are silent resets that consume their bytes', () => {
    const out = feed(['\r\n', '*0\r\n', '*-1\r\n', '*-5\r\n', '\n', '   \t \r\n']);
    expect(out.events).toEqual(['empty', 'empty', 'empty', 'empty', 'empty', 'empty']);
    expect(out.rest).toBe(0);
  });

  it('an inline line may end with a bare LF', () => {
    expect(feed(['PING\n']).events).toEqual(['cmd ["PING"]']);
  });

  it('a negative count is accepted even for an unauthenticated client', () => {
    expect(feed(['*-100\r\n'], UNAUTHED).events).toEqual(['empty']);
  });
});

describe('inline arguments follow sdssplitargs', () => {
  const args = (line: string) => {
    const out = feed([line]);
    if (out.last.kind !== 'command') return out.events;
    return out.last.argv.map((a) => (isFiller(a) ? a : a.toString('latin1')));
  };

  it('ECHO "a\\x41b\\n" gives the argument aAb plus a newline', () => {
    expect(args('ECHO "a\\x41b\\n"\r\n')).toEqual(['ECHO', 'aAb\n']);
  });

  it('leading and trailing blanks are ignored, and words split at spaces and tabs', () => {
    expect(args('   SET\tk   v  \r\n')).toEqual(['SET', 'k', 'v']);
    expect(args('\x0b\x0cPING\r\n')).toEqual(['PING']);
  });

  it('double quotes know \\n \\r \\t \\b \\a \\\\ \\" and \\xHH, other escapes give the character', () => {
    expect(args('X "\\n\\r\\t\\b\\a\\\\\\"\\q\\xzz\\x4a"\r\n')).toEqual(['X', '\n\r\t\b\x07\\"qxzzJ']);
  });

  it("single quotes only know \\'", () => {
    expect(args("X 'it\\'s \\n'\r\n")).toEqual(['X', "it's \\n"]);
  });

  it('empty quotes give an empty argument', () => {
    expect(args('ECHO ""\r\n')).toEqual(['ECHO', '']);
    expect(args("ECHO ''\r\n")).toEqual(['ECHO', '']);
  });

  it('a quote inside a word opens a quoted part of the same word', () => {
    expect(args('a"b c" d\r\n')).toEqual(['ab c', 'd']);
    expect(args('a"b c"d\r\n')).toEqual([err('unbalanced quotes in request', 'unbalanced quotes in inline request')]);
  });

  it('vertical tab and form feed do not end an unquoted word, but do separate after a closing quote', () => {
    expect(args('a\x0bb\r\n')).toEqual(['a\x0bb']);
    expect(args('"a"\x0bb\r\n')).toEqual(['a', 'b']);
  });

  it('a CR inside the line ends a word', () => {
    expect(args('PING\rX\n')).toEqual(['PING', 'X']);
    expect(args('PING\r\r\n')).toEqual(['PING']);
  });

  it('an embedded NUL hides the newline from strchr, so the command waits as Redis does', () => {
    const out = feed(['PI\0NG\r\n']);
    expect(out.events).toEqual([]);
    expect(out.rest).toBe(7);
    expect(feed(['PI\0NG\r\n' + 'a'.repeat(65530)]).events).toEqual([err('too big inline request', 'too big inline request')]);
  });

  it('a long virtual word without its newline in the same read is a too big inline request', () => {
    expect(feed(['SET k ', new Filler(100000), '\r\n']).events).toEqual([err('too big inline request', 'too big inline request')]);
  });

  it('a virtual word stays a Filler of the right length, also inside quotes', () => {
    const out = feed([['SET k ', new Filler(100000), '\r\n']]);
    expect(out.last.kind).toBe('command');
    if (out.last.kind !== 'command') return;
    const v = out.last.argv[2]!;
    expect(isFiller(v) && v.length).toBe(100000);
    const q = feed([['SET k "a', new Filler(50000), '"\r\n']]);
    if (q.last.kind !== 'command') throw new Error('expected a command');
    expect(isFiller(q.last.argv[2]!) && q.last.argv[2]!.length).toBe(50001);
  });

  it('a virtual run of spaces separates words without being counted', () => {
    expect(args('')).toEqual([]);
    const out = feed([['GET', new Filler(70000, 0x20), 'k\r\n']]);
    if (out.last.kind !== 'command') throw new Error('expected a command');
    expect(out.last.argv.map((a) => a.toString())).toEqual(['GET', 'k']);
  });
});

describe('string2ll strictness', () => {
  it('accepts what Redis accepts and rejects the rest', () => {
    const v = (s: string) => string2ll(Buffer.from(s, 'latin1'));
    expect(v('0')).toBe(0);
    expect(v('-1')).toBe(-1);
    expect(v('9223372036854775807')).toBe(9223372036854775807);
    expect(v('-9223372036854775808')).toBe(-9223372036854775808);
    for (const bad of ['', '-', '+1', '00', '01', '-0', ' 1', '1 ', '1a', '9223372036854775808', '-9223372036854775809', '18446744073709551616']) {
      expect(v(bad), bad).toBeNull();
    }
  });
});

const MIXED =
  'PING\r\n' +
  '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n' +
  'ECHO "a b" \'c\'\n' +
  '*0\r\n' +
  '\r\n' +
  '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n' +
  '  GET   k  \r\n' +
  '*1\r\n$4\r\nPING\r\n' +
  '*2\r\n$4\r\nECHO\r\n$6\r\na\r\nb\0c\r\n';

describe('parsing does not depend on how the bytes were split', () => {
  const whole = Buffer.from(MIXED, 'latin1');
  const expected = feed([whole]).events;

  it('the reference pipeline parses to the expected commands', () => {
    expect(expected).toEqual([
      'cmd ["PING"]',
      'cmd ["SET","k","hello"]',
      'cmd ["ECHO","a b","c"]',
      'empty',
      'empty',
      'cmd ["ECHO",""]',
      'cmd ["GET","k"]',
      'cmd ["PING"]',
      `cmd ${JSON.stringify(['ECHO', 'a\r\nb\0c'])}`,
    ]);
  });

  it('a pipeline split at every byte position parses to the same commands', () => {
    for (let i = 0; i <= whole.length; i++) {
      const out = feed(splitAt(whole, [i]));
      expect(out.events, `split at ${i}`).toEqual(expected);
      expect(out.rest).toBe(0);
    }
  });

  it('a pipeline fed one byte at a time parses to the same commands', () => {
    const chunks = Array.from({ length: whole.length }, (_, i) => whole.subarray(i, i + 1));
    expect(feed(chunks).events).toEqual(expected);
  });

  it('a pipeline fed in random chunks parses to the same commands', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: whole.length }), { maxLength: 12 }), (cuts) => {
        const out = feed(splitAt(whole, [...cuts].sort((a, b) => a - b)));
        expect(out.events).toEqual(expected);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('a pipeline ending in a protocol error gives the same commands and error at every split', () => {
    const bad = Buffer.from('PING\r\n*1\r\n$4\r\nECHO\r\n*2\r\n$4\r\nECHO\r\n$x\r\nPING\r\n', 'latin1');
    const want = feed([bad]).events;
    expect(want).toEqual(['cmd ["PING"]', 'cmd ["ECHO"]', err('invalid bulk length', 'invalid bulk length')]);
    for (let i = 0; i <= bad.length; i++) expect(feed(splitAt(bad, [i])).events).toEqual(want);
    expect(feed(Array.from(bad, (b) => Buffer.from([b]))).events).toEqual(want);
  });
});

describe('argv accounting and queue consumption', () => {
  it('a partial multibulk command keeps its parsed arguments and leaves only unparsed bytes queued', () => {
    const out = feed(['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel']);
    expect(out.parser.argc).toBe(2);
    expect(out.parser.argvBytes).toBe(4);
    expect(out.parser.currentBulkLength).toBe(5);
    expect(out.rest).toBe(3);
    out.queue.push(Buffer.from('lo\r\n'));
    const r = out.parser.parse(out.queue, AUTHED);
    expect(r.kind).toBe('command');
    expect(out.parser.argc).toBe(3);
    expect(out.parser.argvBytes).toBe(9);
    expect(out.parser.consumed).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n'.length);
    expect(out.parser.parse(out.queue, AUTHED).kind).toBe('incomplete');
    expect(out.parser.argc).toBe(0);
    expect(out.parser.argvBytes).toBe(0);
  });

  it('an inline command counts the lengths of its words', () => {
    const q = new ByteQueue();
    q.push(Buffer.from('CLIENT LIST\r\n'));
    const p = new RequestParser();
    expect(p.parse(q, AUTHED).kind).toBe('command');
    expect(p.argc).toBe(2);
    expect(p.argvBytes).toBe(10);
  });

  it('reset() forgets a partial command', () => {
    const out = feed(['*2\r\n$4\r\nECHO\r\n']);
    expect(out.parser.argc).toBe(1);
    out.parser.reset();
    expect(out.parser.argc).toBe(0);
    out.queue.clear();
    out.queue.push(Buffer.from('PING\r\n'));
    expect(out.parser.parse(out.queue, AUTHED)).toEqual({ kind: 'command', argv: [Buffer.from('PING')] });
  });

  it('a bulk argument delivered partly virtual becomes a Filler of the whole length', () => {
    const out = feed(['*2\r\n$3\r\nSET\r\n$10\r\nab', new Filler(6), 'cd', '\r\n']);
    if (out.last.kind !== 'command') throw new Error('expected a command');
    const v = out.last.argv[1]!;
    expect(isFiller(v)).toBe(true);
    expect(v.length).toBe(10);
  });
});

describe('big-argument read sizing (bigArgMissing)', () => {
  it('reports the bytes missing for a bulk of at least 32768 bytes, including its CRLF', () => {
    const out = feed(['*2\r\n$3\r\nSET\r\n$40000\r\n', 'a'.repeat(1000)]);
    expect(out.parser.bigArgMissing(out.queue)).toBe(39002);
    out.queue.push(Buffer.alloc(39000, 0x61));
    expect(out.parser.parse(out.queue, AUTHED).kind).toBe('incomplete');
    expect(out.parser.bigArgMissing(out.queue)).toBe(2);
    out.queue.push(Buffer.from('\r\n'));
    expect(out.parser.parse(out.queue, AUTHED).kind).toBe('command');
    expect(out.parser.bigArgMissing(out.queue)).toBe(0);
  });

  it('is 32770 right after a 32768-byte bulk header and 0 for a 32767-byte one', () => {
    const big = feed(['*1\r\n$32768\r\n']);
    expect(big.parser.bigArgMissing(big.queue)).toBe(32770);
    const small = feed(['*1\r\n$32767\r\n']);
    expect(small.parser.bigArgMissing(small.queue)).toBe(0);
  });

  it('is 0 before a bulk header, for inline requests and for a fresh parser', () => {
    const noHeader = feed(['*2\r\n$3\r\nSET\r\n$400']);
    expect(noHeader.parser.bigArgMissing(noHeader.queue)).toBe(0);
    const inline = feed(['SET k ' + 'a'.repeat(40000)]);
    expect(inline.parser.bigArgMissing(inline.queue)).toBe(0);
    expect(new RequestParser().bigArgMissing(new ByteQueue())).toBe(0);
  });

  it('is 0 when the whole bulk is already buffered but not yet parsed', () => {
    const out = feed(['*1\r\n$40000\r\n']);
    out.queue.push(Buffer.alloc(40002, 0x61));
    expect(out.parser.bigArgMissing(out.queue)).toBe(0);
  });
});

describe('protocol error dump for the log line', () => {
  const dump = (s: string | Buffer) => {
    const q = new ByteQueue();
    q.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
    return protocolErrorDump(q);
  };

  it('shows a short buffer whole with non-printable bytes as dots', () => {
    expect(dump('*abc\r\n')).toBe('*abc..');
    expect(dump(Buffer.from([0x41, 0x7f, 0x80, 0xff, 0x09, 0x42]))).toBe('A....B');
    expect(dump('')).toBe('');
  });

  it('stops at a NUL byte like the C %s', () => {
    expect(dump('ab\0cd')).toBe('ab');
  });

  it('shows 128 bytes or more as first 64, the count of the rest, last 64', () => {
    const s = 'A'.repeat(64) + 'm'.repeat(72) + 'Z'.repeat(64);
    expect(dump(s)).toBe(`${'A'.repeat(64)}' (... more 72 bytes ...) '${'Z'.repeat(64)}`);
    const s128 = 'a'.repeat(64) + 'b'.repeat(64);
    expect(dump(s128)).toBe(`${'a'.repeat(64)}' (... more 0 bytes ...) '${'b'.repeat(64)}`);
    expect(dump('c'.repeat(127))).toBe('c'.repeat(127));
  });

  it('shows virtual bytes as their byte without expanding the whole run', () => {
    const q = new ByteQueue();
    q.push(Buffer.from('$5\r\n'));
    q.push(new Filler(1 << 30));
    expect(protocolErrorDump(q)).toBe(`$5..${'x'.repeat(60)}' (... more ${(1 << 30) + 4 - 128} bytes ...) '${'x'.repeat(64)}`);
  });
});
