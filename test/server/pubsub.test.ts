// Pub/Sub through the whole stack: confirmation shapes and counts, the RESP2 subscribed context,
// PUBLISH counts and delivery order, glob matching, virtual payloads, the pubsub output-buffer
// class, cleanup when a subscriber goes away, and (once HELLO exists) the RESP3 push forms.
import { describe, expect, it } from 'vitest';
import { Filler } from '../../src/base/bytes.ts';
import '../../src/server/commands/index.ts';
import { stringmatchlen } from '../../src/server/stringmatch.ts';
import { commandNames } from '../../src/server/commands/table.ts';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

const has = (name: string) => commandNames().includes(name);

describe('subscription replies', () => {
  it('SUBSCRIBE confirms each channel in argument order with the running count of channels and patterns', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, ch1, ch2]
      - wait-replies: 2
      - call: [PSUBSCRIBE, "p*"]
      - call: [SUBSCRIBE, ch1]
      - call: [PSUBSCRIBE, "p*"]
`);
    expect(repliesOf(r, 'c1')).toEqual([
      '[$subscribe, $ch1, :1]',
      '[$subscribe, $ch2, :2]',
      '[$psubscribe, $p*, :3]',
      '[$subscribe, $ch1, :3]',
      '[$psubscribe, $p*, :3]',
    ]);
  });

  it('UNSUBSCRIBE and PUNSUBSCRIBE answer once per name with the remaining count, even for names never subscribed', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, a, b]
      - wait-replies: 2
      - call: [PSUBSCRIBE, "x*"]
      - call: [UNSUBSCRIBE, b, nope]
      - wait-replies: 5
      - call: [PUNSUBSCRIBE, "y*"]
      - call: [PUNSUBSCRIBE, "x*"]
`);
    expect(repliesOf(r, 'c1').slice(3)).toEqual([
      '[$unsubscribe, $b, :2]',
      '[$unsubscribe, $nope, :2]',
      '[$punsubscribe, $y*, :2]',
      '[$punsubscribe, $x*, :1]',
    ]);
  });

  it('UNSUBSCRIBE without arguments leaves every channel in subscription order, then answers a null channel when none is left', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, zz, aa, mm]
      - wait-replies: 3
      - call: [PSUBSCRIBE, "q*", "r*"]
      - wait-replies: 5
      - call: [UNSUBSCRIBE]
      - wait-replies: 8
      - call: [UNSUBSCRIBE]
      - call: [PUNSUBSCRIBE]
      - wait-replies: 11
      - call: [PUNSUBSCRIBE]
`);
    expect(repliesOf(r, 'c1').slice(5)).toEqual([
      '[$unsubscribe, $zz, :4]',
      '[$unsubscribe, $aa, :3]',
      '[$unsubscribe, $mm, :2]',
      '[$unsubscribe, $-1, :2]',
      '[$punsubscribe, $q*, :1]',
      '[$punsubscribe, $r*, :0]',
      '[$punsubscribe, $-1, :0]',
    ]);
  });

  it('a client that never subscribed gets the null-channel reply and stays a normal client', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [UNSUBSCRIBE]
      - call: [PUNSUBSCRIBE]
      - call: [GET, k]
`);
    expect(repliesOf(r, 'c1')).toEqual(['[$unsubscribe, $-1, :0]', '[$punsubscribe, $-1, :0]', '$-1']);
  });

  it('leaving the last subscription clears the Pub/Sub flag, so other commands work again', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, ch]
      - call: [PSUBSCRIBE, "c*"]
      - call: [UNSUBSCRIBE, ch]
      - call: [GET, k]
      - call: [PUNSUBSCRIBE, "c*"]
      - call: [GET, k]
`);
    expect(repliesOf(r, 'c1')).toEqual([
      '[$subscribe, $ch, :1]',
      '[$psubscribe, $c*, :2]',
      '[$unsubscribe, $ch, :1]',
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      '[$punsubscribe, $c*, :0]',
      '$-1',
    ]);
  });

  it('sharded Pub/Sub answers a named not-modelled error', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SSUBSCRIBE, s]
      - call: [SPUBLISH, s, m]
`);
    expect(repliesOf(r, 'c1')).toEqual(['-ERR redsim does not model sharded pub/sub', '-ERR redsim does not model sharded pub/sub']);
  });
});

describe('the RESP2 subscribed context', () => {
  it('refuses other commands by full name, answers PING as [pong, msg], and reports unknown and arity errors first', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, ch]
      - call: [GET, k]
      - call: [INCR, k]
      - call: [WATCH, k]
      - call: [MULTI]
      - call: [PING]
      - call: [PING, hello]
      - call: [GET]
      - call: [FOO, bar]
      - call: [PUBSUB, NUMPAT]
      - call: [QUIT]
      - wait-closed: true
`);
    const ctx = (name: string) => `-ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    expect(repliesOf(r, 'c1')).toEqual([
      '[$subscribe, $ch, :1]',
      ctx('get'),
      ctx('incr'),
      ctx('watch'),
      ctx('multi'),
      '[$pong, $]',
      '[$pong, $hello]',
      "-ERR wrong number of arguments for 'get' command",
      "-ERR unknown command 'FOO', with args beginning with: 'bar' ",
      ctx('pubsub|numpat'),
      '+OK',
    ]);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'quit' });
  });

  it('EXEC is refused with EXECABORT', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, ch]
      - call: [EXEC]
`);
    expect(repliesOf(r, 'c1')[1]).toBe(
      "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
  });
});

describe('PUBLISH', () => {
  it('counts exact and pattern receivers; a client matching by channel and pattern gets both messages, channel first', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: s1
    script:
      - call: [SUBSCRIBE, news]
      - call: [PSUBSCRIBE, "n*"]
      - wait-replies: 4
  - name: s2
    script:
      - call: [PSUBSCRIBE, "ne?s"]
      - wait-replies: 2
  - name: pub
    connect-at: 50ms
    script:
      - call: [PUBLISH, news, hi]
      - call: [PUBLISH, nothing, x]
      - call: [PUBLISH, other, y]
`);
    expect(repliesOf(r, 'pub')).toEqual([':3', ':1', ':0']);
    expect(repliesOf(r, 's1').slice(2, 4)).toEqual(['[$message, $news, $hi]', '[$pmessage, $n*, $news, $hi]']);
    expect(repliesOf(r, 's1')).toHaveLength(5);
    expect(repliesOf(r, 's1')[4]).toBe('[$pmessage, $n*, $nothing, $x]');
    expect(repliesOf(r, 's2').slice(1)).toEqual(['[$pmessage, $ne?s, $news, $hi]']);
  });

  it('delivers to channel subscribers in subscription order, then to patterns in the order they were first subscribed', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: a
    script:
      - call: [PSUBSCRIBE, "t*"]
  - name: b
    connect-at: 5ms
    script:
      - call: [SUBSCRIBE, topic]
      - call: [PSUBSCRIBE, "*c"]
  - name: c
    connect-at: 10ms
    script:
      - call: [SUBSCRIBE, topic]
      - call: [PSUBSCRIBE, "t*"]
  - name: pub
    connect-at: 50ms
    script:
      - call: [PUBLISH, topic, m]
`);
    expect(repliesOf(r, 'pub')).toEqual([':5']);
    // The server records one reply event per receiver as it delivers: that order is Redis's order.
    const order = r.events
      .filter((e) => e.kind === 'reply' && e.t >= 50_000 && e.client !== 'pub')
      .map((e) => `${e.client}:${(e as { text: string }).text.startsWith('*3') ? 'message' : 'pmessage'}`);
    expect(order).toEqual(['b:message', 'c:message', 'a:pmessage', 'c:pmessage', 'b:pmessage']);
  });

  it('keeps a virtual payload virtual from publisher to subscriber', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: sub
    script:
      - call: [SUBSCRIBE, big]
      - wait-replies: 2
  - name: pub
    connect-at: 10ms
    script:
      - call: [PUBLISH, big, {fill: 1mb}]
`);
    expect(repliesOf(r, 'pub')).toEqual([':1']);
    expect(repliesOf(r, 'sub')[1]).toBe('[$message, $big, $<1048576×"x">]');
  });

  it('a subscriber that disconnects is unsubscribed, so later PUBLISHes no longer count it', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: sub
    script:
      - call: [SUBSCRIBE, ch]
      - call: [PSUBSCRIBE, "c*"]
      - close: true
  - name: pub
    connect-at: 100ms
    script:
      - call: [PUBLISH, ch, x]
      - call: [PUBSUB, NUMSUB, ch]
      - call: [PUBSUB, NUMPAT]
`);
    expect(repliesOf(r, 'pub')).toEqual([':0', '[$ch, :0]', ':0']);
  });

  it('PUBSUB CHANNELS, NUMSUB and NUMPAT describe the active subscriptions', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: s1
    script:
      - call: [SUBSCRIBE, news.a, sport]
      - wait-replies: 2
      - call: [PSUBSCRIBE, "news.*"]
  - name: s2
    script:
      - call: [SUBSCRIBE, news.a]
      - call: [PSUBSCRIBE, "news.*"]
  - name: q
    connect-at: 50ms
    script:
      - call: [PUBSUB, CHANNELS]
      - call: [PUBSUB, CHANNELS, "news.*"]
      - call: [PUBSUB, NUMSUB, news.a, sport, none]
      - call: [PUBSUB, NUMPAT]
      - call: [PUBSUB, CHANNELS, a, b]
      - call: [PUBSUB]
`);
    expect(repliesOf(r, 'q')).toEqual([
      '[$news.a, $sport]',
      '[$news.a]',
      '[$news.a, :2, $sport, :1, $none, :0]',
      ':1',
      "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
      "-ERR wrong number of arguments for 'pubsub' command",
    ]);
  });
});

describe('glob matching (stringmatchlen)', () => {
  const m = (p: string, s: string) => stringmatchlen(Buffer.from(p, 'latin1'), Buffer.from(s, 'latin1'));

  it.each([
    ['*', 'anything', true],
    ['*', '', false], // the loop never runs on an empty string, and the pattern is not consumed
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'heeeello', true],
    ['h*llo', 'hllo', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-c]llo', 'hbllo', true],
    ['h[c-a]llo', 'hbllo', true], // reversed ranges are swapped
    ['h[a-c]llo', 'hdllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['[\\]]', ']', true],
    ['[\\-]', '-', true],
    ['[abc', 'b', true], // an unterminated class runs to the end of the pattern
    ['[abc', 'd', false],
    ['[', '[', false], // a lone '[' is an empty class: nothing matches
    ['a**', 'a', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['news.*', 'news.', true],
    ['news.*', 'news', false],
  ] as const)('%j against %j is %s', (p, s, want) => {
    expect(m(p, s)).toBe(want);
  });

  it('compares range bounds as signed chars, as C does', () => {
    // [a-\xff] becomes [\xff-a] after the signed swap: 0xff and everything up to 'a' match, 'b' does not.
    expect(m('[a-\xff]', '\xff')).toBe(true);
    expect(m('[a-\xff]', '0')).toBe(true);
    expect(m('[a-\xff]', 'b')).toBe(false);
  });

  it('matches virtual strings without materialising them', () => {
    expect(stringmatchlen(Buffer.from('x*x'), new Filler(1 << 20))).toBe(true);
    expect(stringmatchlen(Buffer.from('*y'), new Filler(1 << 16))).toBe(false);
  });
});

describe('output buffers and timeouts', () => {
  it('a subscriber that stops reading is closed by the pubsub hard limit; the publisher then counts nobody', () => {
    const r = runYaml(`
horizon: 5s
server:
  config:
    client-output-buffer-limit: "pubsub 1mb 0 0"
    loglevel: verbose
clients:
  - name: slow
    script:
      - call: [SUBSCRIBE, feed]
      - stop-reading: true
      - wait: 3s
  - name: pub
    connect-at: 20ms
    script:
      - pipeline:
          commands: [[PUBLISH, feed, {fill: 64kb}]]
          repeat: 40
      - wait-replies: 40
`);
    expect(repliesOf(r, 'slow')).toEqual(['[$subscribe, $feed, :1]']);
    const counts = repliesOf(r, 'pub');
    expect(counts).toHaveLength(40);
    const firstZero = counts.indexOf(':0');
    expect(firstZero).toBeGreaterThan(10); // ~1 MiB of 64 KiB messages, plus what the kernel holds
    expect(counts.slice(0, firstZero).every((x) => x === ':1')).toBe(true);
    expect(counts.slice(firstZero).every((x) => x === ':0')).toBe(true);
    expect(closeOf(r, 'slow')).toMatchObject({ kind: 'close', reason: 'obuf-hard-limit' });
    const line = logLines(r).find((l) => l.includes('overcoming of output buffer limits'));
    expect(line).toMatch(/^Client id=\d+ addr=\S+ .* flags=P .* sub=1 psub=0 .* cmd=subscribe .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
  });

  it('the normal class (unlimited by default) does not apply to subscribers', () => {
    const r = runYaml(`
horizon: 3s
server:
  config:
    client-output-buffer-limit: "normal 64kb 0 0"
clients:
  - name: slow
    script:
      - call: [SUBSCRIBE, feed]
      - stop-reading: true
      - wait: 2s
  - name: pub
    connect-at: 20ms
    script:
      - pipeline:
          commands: [[PUBLISH, feed, {fill: 64kb}]]
          repeat: 10
      - wait-replies: 10
`);
    expect(repliesOf(r, 'pub').every((x) => x === ':1')).toBe(true);
    expect(closeOf(r, 'slow')).toBeUndefined();
  });
});

describe.skipIf(!has('hello'))('RESP3 clients', () => {
  it('get confirmations and messages as pushes, a null channel as _, and keep every command', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [HELLO, '3']
      - call: [SUBSCRIBE, ch]
      - call: [GET, k]
      - wait: 100ms
      - wait-replies: 4
      - call: [UNSUBSCRIBE, ch]
      - call: [UNSUBSCRIBE]
  - name: pub
    connect-at: 50ms
    script:
      - call: [PUBLISH, ch, hi]
`);
    expect(repliesOf(r, 'c1').slice(1)).toEqual([
      '>[$subscribe, $ch, :1]',
      '_',
      '>[$message, $ch, $hi]',
      '>[$unsubscribe, $ch, :0]',
      '>[$unsubscribe, _, :0]',
    ]);
  });
});

describe.skipIf(!has('reset'))('RESET', () => {
  it('leaves every channel and pattern without notifications, so the client is normal again', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - call: [SUBSCRIBE, ch]
      - call: [PSUBSCRIBE, "c*"]
      - call: [RESET]
      - call: [GET, k]
  - name: pub
    connect-at: 50ms
    script:
      - call: [PUBLISH, ch, x]
`);
    expect(repliesOf(r, 'c1')).toEqual(['[$subscribe, $ch, :1]', '[$psubscribe, $c*, :2]', '+RESET', '$-1']);
    expect(repliesOf(r, 'pub')).toEqual([':0']);
  });
});

describe.skipIf(!has('client'))('CLIENT REPLY OFF', () => {
  it('does not silence Pub/Sub confirmations and messages', () => {
    const r = runYaml(`
horizon: 1s
clients:
  - name: c1
    script:
      - send: [CLIENT, REPLY, 'OFF']
      - send: [PING]
      - call: [SUBSCRIBE, ch]
      - wait-replies: 2
  - name: pub
    connect-at: 50ms
    script:
      - call: [PUBLISH, ch, hi]
`);
    expect(repliesOf(r, 'c1')).toEqual(['[$subscribe, $ch, :1]', '[$message, $ch, $hi]']);
  });
});
