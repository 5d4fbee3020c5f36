// The small keyspace through the whole stack: strings, lists and their errors, lazy expiry,
// blocking pops (served in blocking order, timeouts at the right virtual time, the buffer that
// waits behind a blocked command), and the client classes that the idle timeout spares.
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/timeline/events.ts';
import '../../src/server/commands/index.ts';
import { commandNames } from '../../src/server/commands/table.ts';
import { closeOf, repliesOf, runYaml, runOne, calls } from '../helpers/run-yaml.ts';

const has = (name: string) => commandNames().includes(name);

const one = runOne;


/** Virtual times (µs) at which `client` received each reply. */
const replyTimes = (events: readonly TimelineEvent[], client: string) =>
  events.filter((e) => e.kind === 'client' && e.client === client && e.what === 'reply').map((e) => e.t);

/** Virtual time (µs) at which the server ran `client`'s command `name` (the n-th such). */
const commandTime = (events: readonly TimelineEvent[], client: string, name: string, n = 0) =>
  events.filter((e) => e.kind === 'command' && e.client === client && e.name === name)[n]!.t;

describe('strings', () => {
  it('SET stores a value GET returns; a missing key is a null bulk; DEL and EXISTS count keys', () => {
    const r = one(calls('[SET, k, "hello world"]', '[GET, k]', '[GET, nokey]', '[EXISTS, k, k, nokey]', '[DEL, k, nokey]', '[GET, k]', '[DEL, k]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '$hello world', '$-1', ':2', ':1', '$-1', ':0']);
  });

  it('INCR and DECR count from zero and refuse non-integers, overflow and other types', () => {
    const r = one(calls(
      '[INCR, n]', '[INCR, n]', '[DECR, n]', '[INCRBY, n, "-10"]', '[DECRBY, n, "5"]',
      '[SET, s, abc]', '[INCR, s]', '[SET, z, "007"]', '[INCR, z]',
      '[SET, max, "9223372036854775807"]', '[INCR, max]', '[INCRBY, n, x]',
      '[RPUSH, l, a]', '[INCR, l]', '[GET, l]',
    ));
    expect(repliesOf(r, 'c1')).toEqual([
      ':1', ':2', ':1', ':-9', ':-14',
      '+OK', '-ERR value is not an integer or out of range', '+OK', '-ERR value is not an integer or out of range',
      '+OK', '-ERR increment or decrement would overflow', '-ERR value is not an integer or out of range',
      ':1',
      '-WRONGTYPE Operation against a key holding the wrong kind of value',
      '-WRONGTYPE Operation against a key holding the wrong kind of value',
    ]);
  });

  it('SET NX, XX and GET behave as in Redis 7.0, and bad options are syntax errors', () => {
    const r = one(calls(
      '[SET, k, v1, NX]', '[SET, k, v2, NX]', '[SET, nokey, v, XX]', '[SET, k, v3, XX, GET]', '[GET, k]',
      '[SET, k, v, NX, XX]', '[SET, k, v, EX]', '[SET, k, v, EX, 10, PX, 100]', '[SET, k, v, BOGUS]',
      '[SET, k, v, EX, 0]', '[SET, k, v, PX, abc]', '[RPUSH, l, a]', '[SET, l, v, GET]',
    ));
    expect(repliesOf(r, 'c1')).toEqual([
      '+OK', '$-1', '$-1', '$v1', '$v3',
      '-ERR syntax error', '-ERR syntax error', '-ERR syntax error', '-ERR syntax error',
      "-ERR invalid expire time in 'set' command", '-ERR value is not an integer or out of range',
      ':1', '-WRONGTYPE Operation against a key holding the wrong kind of value',
    ]);
  });

  it('a key set with PX is gone once its time has passed', () => {
    const r = one(`${calls('[SET, k, v, PX, 200]', '[GET, k]')}\n      - wait: 300ms\n${calls('[GET, k]', '[EXISTS, k]')}`);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '$v', '$-1', ':0']);
  });

  it('values may be virtual and come back as they were stored', () => {
    const r = one(calls('[SET, big, {fill: 1mb}]', '[GET, big]', '[RPUSH, l, {fill: 100kb}]', '[LPOP, l]'));
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '$<1048576×"x">', ':1', '$<102400×"x">']);
  });

  it('SELECT 0 is fine, other databases are a named not-modelled error, bad indexes are Redis errors', () => {
    const r = one(calls('[SELECT, "0"]', '[SELECT, "1"]', '[SELECT, "16"]', '[SELECT, x]'));
    expect(repliesOf(r, 'c1')).toEqual([
      '+OK', '-ERR redsim models only database 0', '-ERR DB index is out of range', '-ERR value is not an integer or out of range',
    ]);
  });
});

describe('lists', () => {
  it('LPUSH/RPUSH return the new length; LRANGE, LLEN, LPOP and RPOP (with COUNT) read and consume it', () => {
    const r = one(calls(
      '[RPUSH, l, b, c]', '[LPUSH, l, a]', '[LRANGE, l, "0", "-1"]', '[LRANGE, l, "-2", "100"]', '[LLEN, l]',
      '[LPOP, l]', '[RPOP, l]', '[RPUSH, l, d, e]', '[RPOP, l, "2"]', '[LPOP, l, "5"]', '[LLEN, l]',
      '[LPOP, l]', '[LPOP, l, "2"]', '[LRANGE, l, "0", "-1"]', '[LPOP, l, "-1"]', '[LPUSHX, l, z]', '[LRANGE, l, x, "1"]',
    ));
    expect(repliesOf(r, 'c1')).toEqual([
      ':2', ':3', '[$a, $b, $c]', '[$b, $c]', ':3',
      '$a', '$c', ':3', '[$e, $d]', '[$b]', ':0',
      '$-1', '*-1', '[]', '-ERR value is out of range, must be positive', ':0', '-ERR value is not an integer or out of range',
    ]);
  });

  it('list commands on a string key answer WRONGTYPE', () => {
    const r = one(calls('[SET, s, v]', '[LPUSH, s, a]', '[LLEN, s]', '[LRANGE, s, "0", "1"]', '[BLPOP, s, "1"]'));
    expect(repliesOf(r, 'c1').slice(1)).toEqual(Array(4).fill('-WRONGTYPE Operation against a key holding the wrong kind of value'));
  });
});

describe('blocking pops', () => {
  it('BLPOP returns at once from the first non-empty list in argument order; BRPOP takes the tail', () => {
    const r = one(calls('[RPUSH, b, b1, b2]', '[RPUSH, c, c1]', '[BLPOP, a, c, b, "0"]', '[BRPOP, a, b, "0"]', '[LLEN, c]'));
    expect(repliesOf(r, 'c1')).toEqual([':2', ':1', '[$c, $c1]', '[$b, $b2]', ':0']);
  });

  it('a blocked client is served by a later push from another client, blocked clients first come first served', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: b1
    script:
      - call: [BLPOP, q, other, "0"]
  - name: b2
    connect-at: 10ms
    script:
      - call: [BRPOP, q, "0"]
  - name: b3
    connect-at: 20ms
    script:
      - call: [BLPOP, q, "0"]
  - name: p
    connect-at: 100ms
    script:
      - call: [RPUSH, q, x, y]
      - call: [LLEN, q]
      - wait: 50ms
      - call: [LPUSH, other, z]
`);
    expect(repliesOf(r, 'p')).toEqual([':2', ':0', ':1']);
    expect(repliesOf(r, 'b1')).toEqual(['[$q, $x]']);
    expect(repliesOf(r, 'b2')).toEqual(['[$q, $y]']);
    expect(repliesOf(r, 'b3')).toEqual([]);
    // b3 is still waiting on q; the push to `other` was for nobody but stays in the list.
    expect(r.unfinished).toContain('b3');
  });

  it('times out with a null array once the deadline has strictly passed, within one cron period (hz 10)', () => {
    const r = one(calls('[BLPOP, q, "1"]', '[BRPOP, q, "0.25"]'), '3s');
    expect(repliesOf(r, 'c1')).toEqual(['*-1', '*-1']);
    const [t1, t2] = replyTimes(r.events, 'c1');
    const blocked1 = commandTime(r.events, 'c1', 'blpop');
    const blocked2 = commandTime(r.events, 'c1', 'brpop');
    expect(t1! - blocked1).toBeGreaterThanOrEqual(1_000_000);
    expect(t1! - blocked1).toBeLessThan(1_100_000);
    expect(t2! - blocked2).toBeGreaterThanOrEqual(250_000);
    expect(t2! - blocked2).toBeLessThan(350_000);
  });

  it('rejects timeouts that are not floats or are negative', () => {
    const r = one(calls('[BLPOP, q, abc]', '[BLPOP, q, "-1"]', '[BLPOP, q, "1x"]', '[BLPOP, q, inf]', '[BLPOP, q]'));
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR timeout is not a float or out of range',
      '-ERR timeout is negative',
      '-ERR timeout is not a float or out of range',
      '-ERR timeout is negative', // C turns ceil(inf) into LLONG_MIN
      "-ERR wrong number of arguments for 'blpop' command",
    ]);
  });

  it('a blocked client stops parsing its buffer and runs the rest once served, before replies are written', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: b
    script:
      - raw: "*3\\r\\n$5\\r\\nBLPOP\\r\\n$1\\r\\nq\\r\\n$1\\r\\n0\\r\\n*1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$4\\r\\nLLEN\\r\\n$1\\r\\nq\\r\\n"
      - wait-replies: 3
  - name: p
    connect-at: 200ms
    script:
      - call: [RPUSH, q, a, b]
`);
    expect(repliesOf(r, 'b')).toEqual(['[$q, $a]', '+PONG', ':1']);
    const pushed = commandTime(r.events, 'p', 'rpush');
    expect(commandTime(r.events, 'b', 'ping')).toBeGreaterThanOrEqual(pushed);
    // All three replies left in the same write: PING and LLEN ran in the same beforeSleep.
    const times = replyTimes(r.events, 'b');
    expect(new Set(times).size).toBe(1);
  });

  it('a client blocked forever and a subscriber are never closed by `timeout`; an idle client is', () => {
    const r = runYaml(`
horizon: 5s
server:
  config: {timeout: 1}
clients:
  - name: blocked
    script:
      - send: [BLPOP, q, "0"]
      - wait: 4500ms
  - name: sub
    script:
      - call: [SUBSCRIBE, ch]
      - wait: 4500ms
  - name: idle
    script:
      - call: PING
      - wait: 4500ms
`);
    expect(closeOf(r, 'blocked')).toBeUndefined();
    expect(closeOf(r, 'sub')).toBeUndefined();
    expect(closeOf(r, 'idle')).toMatchObject({ reason: 'idle-timeout' });
    expect(closeOf(r, 'idle')!.t).toBeGreaterThan(1_000_000);
    expect(closeOf(r, 'idle')!.t).toBeLessThan(3_000_000);
  });

  it('a client that disconnects while blocked is forgotten: the next push stays in the list', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: b
    script:
      - send: [BLPOP, q, "0"]
      - wait: 50ms
      - close: true
  - name: p
    connect-at: 200ms
    script:
      - call: [RPUSH, q, a]
      - call: [LLEN, q]
`);
    expect(repliesOf(r, 'p')).toEqual([':1', ':1']);
  });
});

describe('who may touch the keyspace', () => {
  it('a MONITOR client gets `Replica can\u2019t interact with the keyspace` for reads, writes and PUBLISH, but may WATCH and SUBSCRIBE', () => {
    const r = one(calls('[MONITOR]', '[GET, k]', '[SET, k, v]', '[BLPOP, k, "1"]', '[PUBLISH, ch, m]', '[WATCH, k]'));
    // (WATCH ran, so the monitor's own feed line for it follows.)
    expect(repliesOf(r, 'c1').slice(0, 6)).toEqual([
      '+OK',
      "-ERR Replica can't interact with the keyspace",
      "-ERR Replica can't interact with the keyspace",
      "-ERR Replica can't interact with the keyspace",
      "-ERR Replica can't interact with the keyspace",
      '+OK',
    ]);
  });

  it.skipIf(!has('client'))('CLIENT PAUSE WRITE postpones writes (SET, PUBLISH) but not reads', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: admin
    script:
      - call: [CLIENT, PAUSE, "300", WRITE]
  - name: c1
    connect-at: 10ms
    script:
      - call: [GET, k]
      - call: [SET, k, v]
      - call: [GET, k]
`);
    expect(repliesOf(r, 'c1')).toEqual(['$-1', '+OK', '$v']);
    const [tGet, tSet] = replyTimes(r.events, 'c1');
    expect(tGet!).toBeLessThan(50_000);
    expect(tSet!).toBeGreaterThanOrEqual(300_000);
  });

  it.skipIf(!has('client'))('CLIENT UNBLOCK wakes a blocked client with a null array or an UNBLOCKED error', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: b
    script:
      - call: [BLPOP, q, "0"]
      - call: [BLPOP, q, "0"]
  - name: admin
    connect-at: 100ms
    script:
      - call: [CLIENT, UNBLOCK, "3", TIMEOUT]
      - wait: 100ms
      - call: [CLIENT, UNBLOCK, "3", ERROR]
      - call: [CLIENT, UNBLOCK, "3"]
`);
    expect(repliesOf(r, 'admin')).toEqual([':1', ':1', ':0']);
    expect(repliesOf(r, 'b')).toEqual(['*-1', '-UNBLOCKED client unblocked via CLIENT UNBLOCK']);
  });

  it.skipIf(!has('info'))('GET counts keyspace hits and misses', () => {
    const r = one(calls('[SET, k, v]', '[GET, k]', '[GET, k]', '[GET, nokey]', '[INFO, stats]'));
    const info = repliesOf(r, 'c1')[4]!;
    expect(info).toContain('keyspace_hits:2');
    expect(info).toContain('keyspace_misses:1');
  });
});
