// MULTI / EXEC / DISCARD / WATCH through the whole stack: the reply shapes and errors of §13,
// queueing errors and EXECABORT, optimistic locking with WATCH (touched by anyone, by expiry),
// blocking commands that never block inside EXEC, and Pub/Sub inside a transaction.
import { describe, expect, it } from 'vitest';
import { repliesOf, runYaml, runOne, calls } from '../helpers/run-yaml.ts';

const one = runOne;


describe('transactions', () => {
  it('MULTI queues commands with +QUEUED and EXEC replies all their results as one array', () => {
    const r = one(calls('[MULTI]', '[SET, k, "1"]', '[INCR, k]', '[GET, k]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+QUEUED', '+QUEUED', '+QUEUED', '[+OK, :2, $2]']);
  });

  it('an empty transaction returns an empty array', () => {
    const r = one(calls('[MULTI]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '[]']);
  });

  it('nested MULTI is an error that does not abort the transaction', () => {
    const r = one(calls('[MULTI]', '[MULTI]', '[SET, k, v]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '-ERR MULTI calls can not be nested', '+QUEUED', '[+OK]']);
  });

  it('EXEC and DISCARD without MULTI are errors', () => {
    const r = one(calls('[EXEC]', '[DISCARD]'));
    expect(repliesOf(r, 'c1')).toEqual(['-ERR EXEC without MULTI', '-ERR DISCARD without MULTI']);
  });

  it('DISCARD drops the queued commands', () => {
    const r = one(calls('[MULTI]', '[SET, k, v]', '[DISCARD]', '[GET, k]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+QUEUED', '+OK', '$-1', '-ERR EXEC without MULTI']);
  });

  it('errors while queueing are answered at once, later commands still say QUEUED, and EXEC aborts', () => {
    const r = one(calls('[MULTI]', '[SET, k, v]', '[FOO]', '[GET]', '[INCR, k]', '[EXEC]', '[GET, k]'));
    expect(repliesOf(r, 'c1')).toEqual([
      '+OK',
      '+QUEUED',
      "-ERR unknown command 'FOO', with args beginning with: ",
      "-ERR wrong number of arguments for 'get' command",
      '+QUEUED',
      '-EXECABORT Transaction discarded because of previous errors.',
      '$-1',
    ]);
  });

  it('a runtime error inside EXEC is one element of the result; the rest still run', () => {
    const r = one(calls('[SET, s, abc]', '[MULTI]', '[INCR, s]', '[SET, k, v]', '[EXEC]'));
    expect(repliesOf(r, 'c1').at(-1)).toBe('[-ERR value is not an integer or out of range, +OK]');
  });

  it('EXEC with the wrong number of arguments discards the transaction with EXECABORT', () => {
    const r = one(calls('[MULTI]', '[SET, k, v]', '[EXEC, extra]', '[EXEC]', '[GET, k]'));
    expect(repliesOf(r, 'c1')).toEqual([
      '+OK',
      '+QUEUED',
      "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
      '-ERR EXEC without MULTI',
      '$-1',
    ]);
  });

  it('QUIT inside MULTI is not queued: it answers +OK and closes', () => {
    const r = one(`${calls('[MULTI]', '[SET, k, v]', '[QUIT]')}\n      - wait-closed: true`);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+QUEUED', '+OK']);
    expect(r.clients[0]!.ended).toBe('eof');
  });
});

describe('WATCH', () => {
  it('WATCH inside MULTI is refused without aborting the transaction', () => {
    const r = one(calls('[MULTI]', '[WATCH, k]', '[SET, k, v]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '-ERR WATCH inside MULTI is not allowed', '+QUEUED', '[+OK]']);
  });

  it('another client writing a watched key makes EXEC return the null array', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: w
    script:
      - call: [WATCH, k, other]
      - wait: 100ms
      - call: [MULTI]
      - call: [SET, k, mine]
      - call: [EXEC]
      - call: [GET, k]
  - name: x
    connect-at: 50ms
    script:
      - call: [SET, k, theirs]
`);
    expect(repliesOf(r, 'w')).toEqual(['+OK', '+OK', '+QUEUED', '*-1', '$theirs']);
  });

  it('a write to a watched key while the transaction is being queued also fails it', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: w
    script:
      - call: [WATCH, l]
      - call: [MULTI]
      - call: [LLEN, l]
      - wait: 100ms
      - call: [EXEC]
  - name: x
    connect-at: 50ms
    script:
      - call: [RPUSH, l, a]
`);
    expect(repliesOf(r, 'w')).toEqual(['+OK', '+OK', '+QUEUED', '*-1']);
  });

  it('untouched watched keys let EXEC run, and EXEC forgets the watches', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: w
    script:
      - call: [WATCH, k]
      - call: [MULTI]
      - call: [SET, k, v]
      - call: [EXEC]
      - wait: 100ms
      - call: [MULTI]
      - call: [GET, k]
      - call: [EXEC]
  - name: x
    connect-at: 50ms
    script:
      - call: [SET, k, theirs]
`);
    expect(repliesOf(r, 'w')).toEqual(['+OK', '+OK', '+QUEUED', '[+OK]', '+OK', '+QUEUED', '[$theirs]']);
  });

  it('UNWATCH forgets the watches and clears a failed state', () => {
    const r = one(calls('[WATCH, k]', '[SET, k, v]', '[UNWATCH]', '[MULTI]', '[GET, k]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+OK', '+OK', '+OK', '+QUEUED', '[$v]']);
  });

  it("the watcher's own write, a DEL of the key, or FLUSHALL fail the transaction; a DEL of a missing key does not", () => {
    const own = one(calls('[WATCH, k]', '[SET, k, v]', '[MULTI]', '[EXEC]'));
    expect(repliesOf(own, 'c1').at(-1)).toBe('*-1');
    const del = one(calls('[SET, k, v]', '[WATCH, k]', '[DEL, k]', '[MULTI]', '[EXEC]'));
    expect(repliesOf(del, 'c1').at(-1)).toBe('*-1');
    const flush = one(calls('[SET, k, v]', '[WATCH, k]', '[FLUSHALL]', '[MULTI]', '[EXEC]'));
    expect(repliesOf(flush, 'c1').at(-1)).toBe('*-1');
    const noop = one(calls('[WATCH, k]', '[DEL, k]', '[MULTI]', '[EXEC]'));
    expect(repliesOf(noop, 'c1').at(-1)).toBe('[]');
  });

  it('a watched key that expires before EXEC fails the transaction', () => {
    const r = one(`${calls('[SET, k, v, PX, 100]', '[WATCH, k]')}\n      - wait: 300ms\n${calls('[MULTI]', '[EXEC]')}`);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+OK', '+OK', '*-1']);
  });
});

describe('blocking commands and Pub/Sub inside transactions', () => {
  it('BLPOP inside MULTI never blocks: EXEC holds a null array for it', () => {
    const r = one(calls('[MULTI]', '[BLPOP, nolist, "5"]', '[BRPOP, nolist, "0"]', '[EXEC]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+QUEUED', '+QUEUED', '[*-1, *-1]']);
    expect(r.endUs).toBeLessThan(1_000_000);
  });

  it('BLPOP inside MULTI pops at once when the list has data', () => {
    const r = one(calls('[RPUSH, l, a]', '[MULTI]', '[BLPOP, l, "5"]', '[EXEC]'));
    expect(repliesOf(r, 'c1').at(-1)).toBe('[[$l, $a]]');
  });

  it('a push inside EXEC serves a client blocked on that key once the transaction is over', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: b
    script:
      - call: [BLPOP, q, "0"]
  - name: t
    connect-at: 50ms
    script:
      - call: [MULTI]
      - call: [RPUSH, q, a, b]
      - call: [LLEN, q]
      - call: [EXEC]
      - call: [LLEN, q]
`);
    // Inside the transaction the list still holds both elements; the blocked client is served after.
    expect(repliesOf(r, 't')).toEqual(['+OK', '+QUEUED', '+QUEUED', '[:2, :2]', ':1']);
    expect(repliesOf(r, 'b')).toEqual(['[$q, $a]']);
  });

  it('SUBSCRIBE inside MULTI is queued and takes effect when EXEC runs', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: s
    script:
      - call: [MULTI]
      - call: [SUBSCRIBE, ch]
      - call: [EXEC]
      - call: [GET, k]
      - wait-replies: 5
  - name: p
    connect-at: 50ms
    script:
      - call: [PUBLISH, ch, hi]
`);
    expect(repliesOf(r, 's')).toEqual([
      '+OK',
      '+QUEUED',
      '[[$subscribe, $ch, :1]]',
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      '[$message, $ch, $hi]',
    ]);
    expect(repliesOf(r, 'p')).toEqual([':1']);
  });
});
