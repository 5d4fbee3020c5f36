// CONFIG GET / SET / RESETSTAT / REWRITE / HELP (config.c, 7.0.15) through inline scenarios: the
// error framing of CONFIG SET, all-or-nothing application, maxclients against the fd limit, and
// the parameters whose new value only affects later connections.
import { describe, expect, it } from 'vitest';
import { stringmatch } from '../../src/server/commands/config.ts';
import type { RunResult } from '../../src/scenario/run.ts';
import { closeOf, logLines, repliesOf, runYaml, runSolo } from '../helpers/run-yaml.ts';

function solo(steps: string[], server = '{}', horizon = '3s'): RunResult {
  return runSolo(steps, { server, horizon });
}

const failed = (name: string, reason: string) => `-ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;

describe('stringmatch (util.c), as CONFIG GET uses it', () => {
  it('matches *, ? and classes, case-insensitively when asked', () => {
    expect(stringmatch('max*', 'maxclients', true)).toBe(true);
    expect(stringmatch('MAX*', 'maxclients', true)).toBe(true);
    expect(stringmatch('MAX*', 'maxclients', false)).toBe(false);
    expect(stringmatch('h?', 'hz', true)).toBe(true);
    expect(stringmatch('h?', 'hzz', true)).toBe(false);
    expect(stringmatch('[a-i]z', 'hz', true)).toBe(true);
    expect(stringmatch('[^h]z', 'hz', true)).toBe(false);
    expect(stringmatch('*timeout*', 'timeout', true)).toBe(true);
  });

  it("'*' does not match the empty string, as in Redis (the loop never runs)", () => {
    expect(stringmatch('*', '', true)).toBe(false);
  });

  it('a backslash escapes the next character, in and out of classes', () => {
    expect(stringmatch('a\\*', 'a*', false)).toBe(true);
    expect(stringmatch('a\\*', 'ab', false)).toBe(false);
    expect(stringmatch('[\\]]', ']', false)).toBe(true);
  });
});

describe('CONFIG GET', () => {
  it('answers a flat array of name, value for an exact name', () => {
    expect(repliesOf(solo(['{call: [CONFIG, GET, maxclients]}']), 'c1')).toEqual(['[$maxclients, $10000]']);
  });

  it('answers a RESP3 map after HELLO 3', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [CONFIG, GET, timeout]}']);
    expect(repliesOf(r, 'c1')[1]).toBe('{$timeout: $0}');
  });

  it('an exact name is case-insensitive and answered under the name as typed', () => {
    expect(repliesOf(solo(['{call: [CONFIG, GET, MaxClients]}']), 'c1')).toEqual(['[$MaxClients, $10000]']);
  });

  it('an unknown name is simply absent: an empty array', () => {
    expect(repliesOf(solo(['{call: [CONFIG, GET, nosuch]}']), 'c1')).toEqual(['[]']);
  });

  it('a glob pattern matches case-insensitively against every name', () => {
    const out = repliesOf(solo(["{call: [CONFIG, GET, 'MAX*']}"]), 'c1')[0];
    expect(out).toBe('[$maxclients, $10000, $maxmemory, $0]');
  });

  it('several patterns report each parameter once', () => {
    const out = repliesOf(solo(["{call: [CONFIG, GET, hz, 'h?', '*hz', HZ]}"]), 'c1')[0];
    expect(out).toBe('[$hz, $10, $dynamic-hz, $yes]');
  });

  it('client-output-buffer-limit prints every class in bytes, replicas as slave', () => {
    const out = repliesOf(solo(['{call: [CONFIG, GET, client-output-buffer-limit]}']), 'c1')[0];
    expect(out).toBe('[$client-output-buffer-limit, $normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60]');
  });

  it('shows the configured values of the server and of the redsim switches', () => {
    const r = solo(["{call: [CONFIG, GET, requirepass, tcp-keepalive, read-policy, slowlog-*]}"], '{config: {requirepass: sekret, tcp-keepalive: 60}}');
    expect(repliesOf(r, 'c1')).toEqual(['-NOAUTH Authentication required.']);
    const r2 = solo(['{call: [AUTH, sekret]}', "{call: [CONFIG, GET, requirepass, tcp-keepalive, read-policy, 'slowlog-*']}"], '{config: {requirepass: sekret, tcp-keepalive: 60}}');
    expect(repliesOf(r2, 'c1')[1]).toBe('[$requirepass, $sekret, $tcp-keepalive, $60, $read-policy, $single, $slowlog-log-slower-than, $10000, $slowlog-max-len, $128]');
  });

  it('needs at least one parameter', () => {
    expect(repliesOf(solo(['{call: [CONFIG, GET]}']), 'c1')).toEqual(["-ERR wrong number of arguments for 'config|get' command"]);
  });
});

describe('CONFIG SET: framing of errors', () => {
  it('fewer than two arguments after SET is the arity error', () => {
    expect(repliesOf(solo(['{call: [CONFIG, SET, timeout]}']), 'c1')).toEqual(["-ERR wrong number of arguments for 'config|set' command"]);
  });

  it('an odd number of arguments past the arity check is a syntax error', () => {
    expect(repliesOf(solo(['{call: [CONFIG, SET, timeout, "1", hz]}']), 'c1')).toEqual(['-ERR syntax error']);
  });

  it('an unknown parameter is named as typed', () => {
    expect(repliesOf(solo(['{call: [CONFIG, SET, Nosuch, "1"]}']), 'c1')).toEqual(["-ERR Unknown option or number of arguments for CONFIG SET - 'Nosuch'"]);
  });

  it('an immutable parameter cannot be set', () => {
    const r = solo(['{call: [CONFIG, SET, tcp-backlog, "100"]}', '{call: [CONFIG, SET, enable-debug-command, "yes"]}', '{call: [CONFIG, SET, profile, upstream]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      failed('tcp-backlog', "can't set immutable config"),
      failed('enable-debug-command', "can't set immutable config"),
      failed('profile', "can't set immutable config"),
    ]);
  });

  it('port (re-binding the listener in Redis) answers not-modelled and changes nothing', () => {
    const r = solo(['{call: [CONFIG, SET, port, "7000"]}', '{call: [CONFIG, GET, port]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR redsim does not model CONFIG SET port',
      '[$port, $6379]',
    ]);
  });

  it('the same parameter twice is a duplicate, named as typed the second time', () => {
    expect(repliesOf(solo(['{call: [CONFIG, SET, timeout, "1", TIMEOUT, "2"]}']), 'c1')).toEqual([failed('TIMEOUT', 'duplicate parameter')]);
  });

  it('the first problem found wins: an unknown name after an immutable one is not reported', () => {
    const r = solo(['{call: [CONFIG, SET, tcp-backlog, "1", nosuch, "1"]}', '{call: [CONFIG, SET, nosuch, "1", tcp-backlog, "1"]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      failed('tcp-backlog', "can't set immutable config"),
      "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    ]);
  });

  it('a bad value is reported under the canonical name with the parser reason', () => {
    const r = solo([
      '{call: [CONFIG, SET, MAXCLIENTS, "0"]}',
      '{call: [CONFIG, SET, maxclients, "4294967296"]}',
      '{call: [CONFIG, SET, timeout, "-1"]}',
      '{call: [CONFIG, SET, timeout, "abc"]}',
      '{call: [CONFIG, SET, timeout, "007"]}',
      '{call: [CONFIG, SET, dynamic-hz, "maybe"]}',
      '{call: [CONFIG, SET, loglevel, "loud"]}',
      '{call: [CONFIG, SET, client-query-buffer-limit, "1000"]}',
      '{call: [CONFIG, SET, proto-max-bulk-len, "lots"]}',
    ]);
    expect(repliesOf(r, 'c1')).toEqual([
      failed('maxclients', 'argument must be between 1 and 4294967295 inclusive'),
      failed('maxclients', 'argument must be between 1 and 4294967295 inclusive'),
      failed('timeout', 'argument must be between 0 and 2147483647 inclusive'),
      failed('timeout', "argument couldn't be parsed into an integer"),
      failed('timeout', "argument couldn't be parsed into an integer"),
      failed('dynamic-hz', "argument must be 'yes' or 'no'"),
      failed('loglevel', 'argument(s) must be one of the following: debug, verbose, notice, warning'),
      failed('client-query-buffer-limit', 'argument must be between 1048576 and 9223372036854775807 inclusive'),
      failed('proto-max-bulk-len', 'argument must be a memory value'),
    ]);
  });

  it('client-output-buffer-limit errors name the problem', () => {
    const r = solo([
      '{call: [CONFIG, SET, client-output-buffer-limit, "normal 1mb 0"]}',
      '{call: [CONFIG, SET, client-output-buffer-limit, "master 1mb 0 0"]}',
      '{call: [CONFIG, SET, client-output-buffer-limit, "normal 1zb 0 0"]}',
      '{call: [CONFIG, SET, client-output-buffer-limit, "normal 1mb 0 -1"]}',
    ]);
    expect(repliesOf(r, 'c1')).toEqual([
      failed('client-output-buffer-limit', 'Wrong number of arguments in buffer limit configuration.'),
      failed('client-output-buffer-limit', 'Invalid client class specified in buffer limit configuration.'),
      failed('client-output-buffer-limit', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'),
      failed('client-output-buffer-limit', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'),
    ]);
  });
});

describe('CONFIG SET: applying values', () => {
  it('sets several parameters at once', () => {
    const r = solo(['{call: [CONFIG, SET, timeout, "5", tcp-keepalive, "60"]}', '{call: [CONFIG, GET, timeout, tcp-keepalive]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '[$timeout, $5, $tcp-keepalive, $60]']);
  });

  it('is all or nothing: a bad later value leaves the earlier ones unchanged', () => {
    const r = solo(['{call: [CONFIG, SET, timeout, "5", hz, "abc"]}', '{call: [CONFIG, GET, timeout, hz]}']);
    expect(repliesOf(r, 'c1')).toEqual([failed('hz', "argument couldn't be parsed into an integer"), '[$timeout, $0, $hz, $10]']);
  });

  it('client-output-buffer-limit changes only the classes listed', () => {
    const r = solo(['{call: [CONFIG, SET, client-output-buffer-limit, "normal 1mb 2kb 3"]}', '{call: [CONFIG, GET, client-output-buffer-limit]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '[$client-output-buffer-limit, $normal 1048576 2048 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60]']);
  });

  it('a lowered normal-class limit applies to the existing connections at once', () => {
    const r = solo([
      '{call: [CONFIG, SET, client-output-buffer-limit, "normal 1mb 0 0"]}',
      '{stop-reading: true}',
      '{pipeline: {commands: [[ECHO, {fill: 64kb}]], repeat: 40}}',
      '{wait: 500ms}',
    ]);
    expect(closeOf(r, 'c1')).toMatchObject({ kind: 'close', reason: 'obuf-hard-limit' });
  });

  it('hz is clamped into [1, 500] and the current hz follows at once', () => {
    const r = solo(['{call: [CONFIG, SET, hz, "1000"]}', '{call: [CONFIG, GET, hz]}', '{call: [INFO, server]}', '{call: [CONFIG, SET, hz, "0"]}', '{call: [CONFIG, GET, hz]}']);
    const [ok, get, info, ok2, get2] = repliesOf(r, 'c1');
    expect([ok, get, ok2, get2]).toEqual(['+OK', '[$hz, $500]', '+OK', '[$hz, $1]']);
    expect(info).toContain('\\r\\nhz:500\\r\\nconfigured_hz:500\\r\\n');
  });

  it('a new hz changes the serverCron period at once: 100 ticks a second at hz 100', () => {
    const ticks = (hz: string) => {
      const r = solo([`{call: [CONFIG, SET, hz, "${hz}"]}`, '{wait: 2s}']);
      return r.events.filter((e) => e.kind === 'cron' && e.t >= 500_000 && e.t < 1_500_000).length;
    };
    expect(ticks('10')).toBe(10);
    expect(ticks('100')).toBe(100);
  });

  it('requirepass does not de-authenticate the existing connections, but new ones need AUTH', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: old
    script: [{call: [CONFIG, SET, requirepass, pw]}, {wait: 100ms}, {call: PING}]
  - name: new
    connect-at: 50ms
    script: [{call: PING}, {call: [AUTH, pw]}, {call: PING}]
`);
    expect(repliesOf(r, 'old')).toEqual(['+OK', '+PONG']);
    expect(repliesOf(r, 'new')).toEqual(['-NOAUTH Authentication required.', '+OK', '+PONG']);
  });

  it('requirepass "" makes the default user nopass again for new connections', () => {
    const r = runYaml(`
horizon: 2s
server: {config: {requirepass: pw}}
clients:
  - name: old
    script: [{call: [AUTH, pw]}, {call: [CONFIG, SET, requirepass, '']}, {wait: 100ms}]
  - name: new
    connect-at: 50ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'old')).toEqual(['+OK', '+OK']);
    expect(repliesOf(r, 'new')).toEqual(['+PONG']);
  });

  it('tcp-keepalive applies only to connections accepted afterwards', () => {
    const r = runYaml(`
horizon: 15s
clients:
  - name: early
    script: [{call: PING}, {wait: 200ms}, {vanish: true}]
  - name: ctl
    connect-at: 10ms
    script: [{call: [CONFIG, SET, tcp-keepalive, "1"]}]
  - name: late
    connect-at: 100ms
    script: [{call: PING}, {wait: 100ms}, {vanish: true}]
`);
    expect(closeOf(r, 'late')).toMatchObject({ kind: 'close', reason: 'keepalive' });
    expect(closeOf(r, 'early')).toBeUndefined();
  });

  it('maxclients can be lowered below the connected count without disconnecting anyone; new ones are refused', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: a
    script: [{call: PING}, {wait: 300ms}, {call: PING}]
  - name: b
    connect-at: 10ms
    script: [{call: [CONFIG, SET, maxclients, "1"]}, {wait: 300ms}, {call: PING}]
  - name: late
    connect-at: 100ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'a')).toEqual(['+PONG', '+PONG']);
    expect(repliesOf(r, 'b')).toEqual(['+OK', '+PONG']);
    expect(repliesOf(r, 'late')).toEqual(['-ERR max number of clients reached']);
  });

  it('maxclients within the fd limit is accepted and admits that many clients', () => {
    const r = runYaml(`
horizon: 2s
server: {config: {maxclients: 1}, nofile: {soft: 100, hard: 100}}
clients:
  - name: a
    script: [{call: [CONFIG, SET, maxclients, "68"]}, {call: [CONFIG, GET, maxclients]}, {wait: 300ms}]
  - name: b
    connect-at: 100ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'a')).toEqual(['+OK', '[$maxclients, $68]']);
    expect(repliesOf(r, 'b')).toEqual(['+PONG']);
  });

  it('maxclients above what the fd limit allows fails with the value to try, logs, and restores', () => {
    const r = solo(['{call: [CONFIG, SET, maxclients, "69"]}', '{call: [CONFIG, GET, maxclients]}'], '{config: {maxclients: 10}, nofile: {soft: 100, hard: 100}}');
    expect(repliesOf(r, 'c1')).toEqual([
      failed('maxclients', 'The operating system is not able to handle the specified number of clients, try with 68'),
      '[$maxclients, $10]',
    ]);
    const lines = logLines(r);
    expect(lines).toContain('You requested maxclients of 69 requiring at least 101 max file descriptors.');
    expect(lines).toContain('Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
  });

  it('a failed maxclients restores every parameter of the same CONFIG SET, and names maxclients', () => {
    const r = solo(['{call: [CONFIG, SET, timeout, "7", maxclients, "1000"]}', '{call: [CONFIG, GET, timeout, maxclients]}'], '{config: {maxclients: 10}, nofile: {soft: 100, hard: 100}}');
    expect(repliesOf(r, 'c1')).toEqual([
      failed('maxclients', 'The operating system is not able to handle the specified number of clients, try with 68'),
      '[$timeout, $0, $maxclients, $10]',
    ]);
  });

  it('maxclients raised past the initial event-loop size lets the extra clients in', () => {
    const r = runYaml(`
horizon: 3s
server: {config: {maxclients: 1}, nofile: {soft: 1024, hard: 1048576}}
clients:
  - name: a
    script: [{call: [CONFIG, SET, maxclients, "300"]}, {wait: 1s}]
  - name: many
    count: 250
    connect-at: 100ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'a')).toEqual(['+OK']);
    expect(repliesOf(r, 'many-250')).toEqual(['+PONG']);
  });
});

describe('CONFIG RESETSTAT, REWRITE, HELP', () => {
  it('RESETSTAT zeroes the INFO stats counters (RESETSTAT itself is then counted, after it ran)', () => {
    const r = solo(['{call: FOO}', '{call: [CONFIG, RESETSTAT]}', '{call: [INFO, stats]}']);
    const [, ok, info] = repliesOf(r, 'c1');
    expect(ok).toBe('+OK');
    expect(info).toContain('\\r\\ntotal_commands_processed:1\\r\\n');
    expect(info).toContain('\\r\\ntotal_connections_received:0\\r\\n');
    expect(info).toContain('\\r\\ntotal_error_replies:0\\r\\n');
  });

  it('REWRITE answers not-modelled: redsim has no config file', () => {
    expect(repliesOf(solo(['{call: [CONFIG, REWRITE]}']), 'c1')).toEqual(['-ERR redsim does not model CONFIG REWRITE']);
  });

  it('HELP lists GET, SET, RESETSTAT, REWRITE', () => {
    expect(repliesOf(solo(['{call: [config, help]}']), 'c1')).toEqual([
      '[+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +GET <pattern>, +    Return parameters matching the glob-like <pattern> and their values., +SET <directive> <value>, +    Set the configuration <directive> to <value>., +RESETSTAT, +    Reset statistics reported by the INFO command., +REWRITE, +    Rewrite the configuration file., +HELP, +    Prints this help.]',
    ]);
  });

  it('an unknown CONFIG subcommand suggests CONFIG HELP', () => {
    expect(repliesOf(solo(['{call: [CONFIG, FOO]}']), 'c1')).toEqual(["-ERR unknown subcommand 'FOO'. Try CONFIG HELP."]);
  });
});
