// CLIENT and its subcommands (networking.c clientCommand, 7.0.15), driven end to end through
// inline scenarios: every error text of the reference §9, each limit at its boundary.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { unblockClientHooks, type UnblockHook } from '../../src/server/commands/client.ts';
import { closeOf, repliesOf, runYaml, runSolo, replyTimes } from '../helpers/run-yaml.ts';

/** One client `c1` running `steps` (YAML flow steps, one per line). */
function solo(steps: string[], config = '{}'): RunResult {
  return runSolo(steps, { server: `{config: ${config}}`, horizon: '3s' });
}

/** Times (µs) at which client `name` received each reply. */

/** The 7.0 CLIENT LIST line, with the values a fresh, named, idle client has. */
const LINE = (id: number, port: number, extra: { name?: string; flags?: string; cmd?: string; resp?: number } = {}) =>
  `id=${id} addr=127\\.0\\.0\\.1:${port} laddr=127\\.0\\.0\\.1:6379 fd=\\d+ name=${extra.name ?? ''} age=\\d+ idle=\\d+ ` +
  `flags=${extra.flags ?? 'N'} db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=0 ` +
  `rbs=\\d+ rbp=\\d+ obl=\\d+ oll=0 omem=0 tot-mem=\\d+ events=r cmd=${(extra.cmd ?? 'client|list').replace('|', '\\|')} ` +
  `user=default redir=-1 resp=${extra.resp ?? 2}`;

describe('CLIENT: dispatch and errors common to every subcommand', () => {
  it('bare CLIENT is an arity error naming the container', () => {
    expect(repliesOf(solo(['{call: [CLIENT]}']), 'c1')).toEqual(["-ERR wrong number of arguments for 'client' command"]);
  });

  it('an unknown subcommand names itself and suggests CLIENT HELP', () => {
    expect(repliesOf(solo(['{call: [CLIENT, FOO]}']), 'c1')).toEqual(["-ERR unknown subcommand 'FOO'. Try CLIENT HELP."]);
  });

  it('a wrong arity names the subcommand as client|sub', () => {
    const r = solo(['{call: [CLIENT, SETNAME]}', '{call: [CLIENT, ID, x]}', '{call: [CLIENT, KILL]}', '{call: [CLIENT, PAUSE]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      "-ERR wrong number of arguments for 'client|setname' command",
      "-ERR wrong number of arguments for 'client|id' command",
      "-ERR wrong number of arguments for 'client|kill' command",
      "-ERR wrong number of arguments for 'client|pause' command",
    ]);
  });

  it('every CLIENT subcommand requires authentication when requirepass is set', () => {
    const r = solo(['{call: [CLIENT, ID]}', '{call: [CLIENT, SETNAME, x]}', '{call: [AUTH, pw]}', '{call: [CLIENT, ID]}'], '{requirepass: pw}');
    expect(repliesOf(r, 'c1')).toEqual(['-NOAUTH Authentication required.', '-NOAUTH Authentication required.', '+OK', ':3']);
  });

  it('CLIENT HELP lists the subcommands as status lines framed by a header and HELP', () => {
    const out = repliesOf(solo(['{call: [client, help]}']), 'c1')[0]!;
    expect(out.startsWith('[+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CACHING (YES|NO), ')).toBe(true);
    expect(out).toContain('+PAUSE <timeout> [WRITE|ALL], +    Suspend all, or just write, clients for <timeout> milliseconds.');
    expect(out.endsWith('+NO-EVICT (ON|OFF), +    Protect current client connection from eviction., +HELP, +    Prints this help.]')).toBe(true);
  });
});

describe('CLIENT ID, SETNAME, GETNAME, INFO', () => {
  it('CLIENT ID is the connection id, the first connection getting 3', () => {
    expect(repliesOf(solo(['{call: [CLIENT, ID]}']), 'c1')).toEqual([':3']);
  });

  it('GETNAME is a null bulk until SETNAME gives a name', () => {
    const r = solo(['{call: [CLIENT, GETNAME]}', '{call: [CLIENT, SETNAME, foo]}', '{call: [CLIENT, GETNAME]}']);
    expect(repliesOf(r, 'c1')).toEqual(['$-1', '+OK', '$foo']);
  });

  it('GETNAME without a name is the RESP3 null after HELLO 3', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [CLIENT, GETNAME]}']);
    expect(repliesOf(r, 'c1')[1]).toBe('_');
  });

  it("SETNAME accepts the boundary bytes '!' (0x21) and '~' (0x7E)", () => {
    const r = solo(['{call: [CLIENT, SETNAME, "!~"]}', '{call: [CLIENT, GETNAME]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '$!~']);
  });

  it('SETNAME refuses a space, a control byte, DEL (0x7F) and bytes above 0x7F, keeping the old name', () => {
    const r = solo([
      '{call: [CLIENT, SETNAME, keep]}',
      '{call: [CLIENT, SETNAME, "a b"]}',
      '{call: [CLIENT, SETNAME, "a\\x01b"]}',
      '{call: [CLIENT, SETNAME, "a\\x7fb"]}',
      '{call: [CLIENT, SETNAME, "a\\xe9b"]}',
      '{call: [CLIENT, GETNAME]}',
    ]);
    const err = '-ERR Client names cannot contain spaces, newlines or special characters.';
    expect(repliesOf(r, 'c1')).toEqual(['+OK', err, err, err, err, '$keep']);
  });

  it('SETNAME with an empty string removes the name', () => {
    const r = solo(['{call: [CLIENT, SETNAME, foo]}', "{call: [CLIENT, SETNAME, '']}", '{call: [CLIENT, GETNAME]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+OK', '$-1']);
  });

  it("CLIENT INFO is the caller's own line ending in a newline, with cmd=client|info", () => {
    const r = solo(['{call: [CLIENT, SETNAME, me]}', '{call: [CLIENT, INFO]}']);
    expect(repliesOf(r, 'c1')[1]).toMatch(new RegExp(`^\\$${LINE(3, 40000, { name: 'me', cmd: 'client|info' })}\\\\n$`));
  });

  it('CLIENT INFO is a verbatim txt string for a RESP3 client', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [CLIENT, INFO]}']);
    expect(repliesOf(r, 'c1')[1]).toMatch(new RegExp(`^=txt:${LINE(3, 40000, { cmd: 'client|info', resp: 3 })}\\\\n$`));
  });
});

describe('CLIENT LIST', () => {
  const two = (cmd: string) => runYaml(`
horizon: 2s
clients:
  - name: a
    script: [{call: [CLIENT, SETNAME, alpha]}, {wait: 100ms}]
  - name: b
    connect-at: 10ms
    script: [{wait: 20ms}, {call: ${cmd}}]
`);

  it('lists every client in the 7.0 field order, one line each ending in a newline', () => {
    const out = repliesOf(two('[CLIENT, LIST]'), 'b')[0]!;
    expect(out).toMatch(new RegExp(`^\\$${LINE(3, 40000, { name: 'alpha', cmd: 'client|setname' })}\\\\n${LINE(4, 40001)}\\\\n$`));
  });

  it('TYPE normal lists normal clients; TYPE replica, slave and master list none', () => {
    expect(repliesOf(two('[CLIENT, LIST, TYPE, NORMAL]'), 'b')[0]).toMatch(/^\$id=3 .*\\nid=4 .*\\n$/);
    expect(repliesOf(two('[CLIENT, LIST, TYPE, replica]'), 'b')).toEqual(['$']);
    expect(repliesOf(two('[CLIENT, LIST, TYPE, slave]'), 'b')).toEqual(['$']);
    expect(repliesOf(two('[CLIENT, LIST, TYPE, master]'), 'b')).toEqual(['$']);
  });

  it('TYPE normal includes a MONITOR client (flags=O), which is not a replica', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: mon
    script: [{call: MONITOR}, {wait: 100ms}]
  - name: b
    connect-at: 10ms
    script: [{wait: 20ms}, {call: [CLIENT, LIST, TYPE, normal]}, {call: [CLIENT, LIST, TYPE, replica]}]
`);
    const [normal, replica] = repliesOf(r, 'b');
    expect(normal).toMatch(/^\$id=3 [^\\]* flags=O .*\\nid=4 .*\\n$/);
    expect(replica).toBe('$');
  });

  it('TYPE pubsub lists only subscribed clients', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: sub
    script: [{call: [SUBSCRIBE, news]}, {wait: 100ms}]
  - name: b
    connect-at: 10ms
    script: [{wait: 20ms}, {call: [CLIENT, LIST, TYPE, pubsub]}]
`);
    expect(repliesOf(r, 'b')[0]).toMatch(/^\$id=3 [^\\]* flags=P [^\\]* sub=1 [^\\]*\\n$/);
  });

  it("an unknown TYPE is refused with Unknown client type '<t>'", () => {
    expect(repliesOf(solo(['{call: [CLIENT, LIST, TYPE, foo]}']), 'c1')).toEqual(["-ERR Unknown client type 'foo'"]);
  });

  it('any other shape is a syntax error: extra words after TYPE, ID without ids, an unknown option', () => {
    const r = solo(['{call: [CLIENT, LIST, TYPE, normal, extra]}', '{call: [CLIENT, LIST, ID]}', '{call: [CLIENT, LIST, foo]}', '{call: [CLIENT, LIST, TYPE]}']);
    expect(repliesOf(r, 'c1')).toEqual(['-ERR syntax error', '-ERR syntax error', '-ERR syntax error', '-ERR syntax error']);
  });

  it('ID lists the existing ids in argument order and skips missing ones', () => {
    const out = repliesOf(two('[CLIENT, LIST, ID, "4", "99", "3"]'), 'b')[0]!;
    expect(out).toMatch(/^\$id=4 [^\\]*\\nid=3 [^\\]*\\n$/);
  });

  it('ID with only missing ids is an empty bulk string', () => {
    expect(repliesOf(solo(['{call: [CLIENT, LIST, ID, "1000"]}']), 'c1')).toEqual(['$']);
  });

  it('ID with a non-integer (or a leading zero, as string2ll refuses) is Invalid client ID', () => {
    const r = solo(['{call: [CLIENT, LIST, ID, "3", abc]}', '{call: [CLIENT, LIST, ID, "03"]}', '{call: [CLIENT, LIST, ID, " 3"]}']);
    expect(repliesOf(r, 'c1')).toEqual(['-ERR Invalid client ID', '-ERR Invalid client ID', '-ERR Invalid client ID']);
  });

  it('is a verbatim txt string for a RESP3 client', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [CLIENT, LIST]}']);
    expect(repliesOf(r, 'c1')[1]).toMatch(new RegExp(`^=txt:${LINE(3, 40000, { resp: 3 })}\\\\n$`));
  });

  it('shows flags=x and multi=<queued> for a client inside MULTI', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: tx
    script: [{call: MULTI}, {call: PING}, {call: PING}, {wait: 100ms}]
  - name: b
    connect-at: 10ms
    script: [{wait: 20ms}, {call: [CLIENT, LIST, ID, "3"]}]
`);
    expect(repliesOf(r, 'b')[0]).toMatch(/ flags=x .* multi=2 .* multi-mem=\d+ /);
  });
});

describe('CLIENT KILL', () => {
  /** A victim connected first (127.0.0.1:40000, id 3), then a killer (id 4) running `cmds`. */
  const kill = (cmds: string[]) => runYaml(`
horizon: 2s
clients:
  - name: victim
    script: [{call: PING}, {wait-closed: true}]
  - name: killer
    connect-at: 10ms
    script:
${cmds.map((c) => `      - {call: ${c}}`).join('\n')}
      - {wait: 100ms}
`);

  it('the old form CLIENT KILL ip:port closes that client and replies +OK', () => {
    const r = kill(['[CLIENT, KILL, "127.0.0.1:40000"]']);
    expect(repliesOf(r, 'killer')).toEqual(['+OK']);
    expect(closeOf(r, 'victim')).toMatchObject({ kind: 'close', reason: 'killed' });
    expect(r.clients.find((c) => c.name === 'victim')!.ended).toBe('eof');
  });

  it('the old form with no matching address is -ERR No such client', () => {
    const r = kill(['[CLIENT, KILL, "127.0.0.1:1"]']);
    expect(repliesOf(r, 'killer')).toEqual(['-ERR No such client']);
  });

  it('CLIENT KILL ID (three arguments) is the old form with the address "ID"', () => {
    expect(repliesOf(kill(['[CLIENT, KILL, ID]']), 'killer')).toEqual(['-ERR No such client']);
  });

  it('the old form may kill the caller itself: +OK, then the connection closes', () => {
    const r = solo(['{call: [CLIENT, KILL, "127.0.0.1:40000"]}', '{wait-closed: true}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK']);
    expect(closeOf(r, 'c1')).toMatchObject({ kind: 'close', reason: 'killed' });
  });

  it('the filter form replies with the number of clients killed', () => {
    const r = kill(['[CLIENT, KILL, ID, "3"]', '[CLIENT, KILL, ID, "3"]']);
    expect(repliesOf(r, 'killer')).toEqual([':1', ':0']);
    expect(closeOf(r, 'victim')).toMatchObject({ reason: 'killed' });
  });

  it('SKIPME defaults to yes: TYPE normal kills the others but not the caller', () => {
    const r = kill(['[CLIENT, KILL, TYPE, normal]', '[PING]']);
    expect(repliesOf(r, 'killer')).toEqual([':1', '+PONG']);
    expect(closeOf(r, 'killer')).toBeUndefined();
  });

  it('SKIPME no counts and closes the caller after its reply is written', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: victim
    script: [{call: PING}, {wait-closed: true}]
  - name: killer
    connect-at: 10ms
    script: [{call: [CLIENT, KILL, TYPE, normal, SKIPME, no]}, {wait-closed: true}]
`);
    expect(repliesOf(r, 'killer')).toEqual([':2']);
    expect(closeOf(r, 'killer')).toMatchObject({ reason: 'killed' });
    expect(closeOf(r, 'victim')).toMatchObject({ reason: 'killed' });
  });

  it('filters are ANDed: ADDR, LADDR and USER default each match; a wrong TYPE matches nothing', () => {
    const r = kill([
      '[CLIENT, KILL, ADDR, "127.0.0.1:40000", TYPE, pubsub]',
      '[CLIENT, KILL, LADDR, "127.0.0.1:9", USER, default]',
      '[CLIENT, KILL, ADDR, "127.0.0.1:40000", LADDR, "127.0.0.1:6379", USER, default]',
    ]);
    expect(repliesOf(r, 'killer')).toEqual([':0', ':0', ':1']);
  });

  it('MASTER is accepted as a type name and matches no client', () => {
    expect(repliesOf(kill(['[CLIENT, KILL, TYPE, master]']), 'killer')).toEqual([':0']);
  });

  it('ID must be an integer of at least 1', () => {
    const r = kill(['[CLIENT, KILL, ID, "0"]', '[CLIENT, KILL, ID, "-1"]', '[CLIENT, KILL, ID, abc]', '[CLIENT, KILL, ID, "1"]']);
    const err = '-ERR client-id should be greater than 0';
    expect(repliesOf(r, 'killer')).toEqual([err, err, err, ':0']);
  });

  it("an unknown TYPE, an unknown USER and a bad SKIPME have their own errors", () => {
    const r = kill(['[CLIENT, KILL, TYPE, foo]', '[CLIENT, KILL, USER, nobody]', '[CLIENT, KILL, USER, Default]', '[CLIENT, KILL, SKIPME, maybe]']);
    expect(repliesOf(r, 'killer')).toEqual([
      "-ERR Unknown client type 'foo'",
      "-ERR No such user 'nobody'",
      "-ERR No such user 'Default'",
      '-ERR syntax error',
    ]);
  });

  it('an unknown option, an option without value, and 7.4 MAXAGE are syntax errors', () => {
    const r = kill(['[CLIENT, KILL, FOO, bar]', '[CLIENT, KILL, ID, "3", SKIPME]', '[CLIENT, KILL, MAXAGE, "10"]']);
    expect(repliesOf(r, 'killer')).toEqual(['-ERR syntax error', '-ERR syntax error', '-ERR syntax error']);
    expect(closeOf(r, 'victim')).toBeUndefined();
  });

  it('options are checked left to right and the first bad one answers', () => {
    const r = kill(['[CLIENT, KILL, ID, "0", TYPE, foo]', '[CLIENT, KILL, TYPE, foo, ID, "0"]']);
    expect(repliesOf(r, 'killer')).toEqual(['-ERR client-id should be greater than 0', "-ERR Unknown client type 'foo'"]);
  });

  it('a killed client loses the replies still in its output buffer', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: victim
    script: [{call: PING}, {stop-reading: true}, {pipeline: {commands: [[ECHO, {fill: 64kb}]], repeat: 20}}, {wait: 50ms}, {resume-reading: true}, {wait-closed: true}]
  - name: killer
    connect-at: 20ms
    script: [{call: [CLIENT, KILL, ID, "3"]}]
`);
    expect(repliesOf(r, 'killer')).toEqual([':1']);
    expect(repliesOf(r, 'victim').length).toBeLessThan(21);
  });
});

describe('CLIENT PAUSE and UNPAUSE', () => {
  /** `pauser` runs `cmds` at t≈0; `other` sends `cmd` at 50ms. */
  const paused = (cmds: string[], cmd: string) => runYaml(`
horizon: 3s
clients:
  - name: pauser
    script:
${cmds.map((c) => `      - {call: ${c}}`).join('\n')}
      - {wait: 1s}
  - name: other
    connect-at: 50ms
    script: [{call: ${cmd}}]
`);

  it('another client waits until the pause ends, then gets its reply', () => {
    const r = paused(['[CLIENT, PAUSE, "300"]'], 'PING');
    expect(repliesOf(r, 'pauser')).toEqual(['+OK']);
    expect(repliesOf(r, 'other')).toEqual(['+PONG']);
    const t = replyTimes(r, 'other')[0]!;
    expect(t).toBeGreaterThanOrEqual(300_000);
    expect(t).toBeLessThan(500_000);
  });

  it('WRITE mode answers reads at once and postpones writes', () => {
    const r = paused(['[CLIENT, PAUSE, "300", write]'], '[GET, k]');
    expect(replyTimes(r, 'other')[0]!).toBeLessThan(100_000);
    const w = paused(['[CLIENT, PAUSE, "300", WRITE]'], '[SET, k, v]');
    expect(replyTimes(w, 'other')[0]!).toBeGreaterThanOrEqual(300_000);
  });

  it('PAUSE 0 pauses nothing: the end time is already past', () => {
    const r = paused(['[CLIENT, PAUSE, "0"]'], 'PING');
    expect(replyTimes(r, 'other')[0]!).toBeLessThan(100_000);
  });

  it('a later, shorter PAUSE does not shorten the pause (extend only)', () => {
    const r = paused(['[CLIENT, PAUSE, "400", WRITE]', '[CLIENT, PAUSE, "50", WRITE]'], '[SET, k, v]');
    expect(repliesOf(r, 'pauser')).toEqual(['+OK', '+OK']);
    expect(replyTimes(r, 'other')[0]!).toBeGreaterThanOrEqual(400_000);
  });

  it('a later WRITE pause does not weaken an ALL pause (the stricter type stays)', () => {
    const r = runYaml(`
horizon: 3s
clients:
  - name: pauser
    script: [{send: [CLIENT, PAUSE, "300", ALL]}, {send: [CLIENT, PAUSE, "10", WRITE]}, {wait: 1s}]
  - name: other
    connect-at: 50ms
    script: [{call: [GET, k]}]
`);
    expect(replyTimes(r, 'other')[0]!).toBeGreaterThanOrEqual(300_000);
  });

  it('CLIENT UNPAUSE releases the postponed clients at once', () => {
    const r = runYaml(`
horizon: 3s
clients:
  - name: pauser
    script: [{call: [CLIENT, PAUSE, "2000", WRITE]}, {wait: 200ms}, {call: [CLIENT, UNPAUSE]}, {wait: 100ms}]
  - name: other
    connect-at: 50ms
    script: [{call: [SET, k, v]}]
`);
    expect(repliesOf(r, 'pauser')).toEqual(['+OK', '+OK']);
    const t = replyTimes(r, 'other')[0]!;
    expect(t).toBeGreaterThanOrEqual(200_000);
    expect(t).toBeLessThan(400_000);
  });

  it('CLIENT UNPAUSE without a pause just replies +OK', () => {
    expect(repliesOf(solo(['{call: [CLIENT, UNPAUSE]}']), 'c1')).toEqual(['+OK']);
  });

  it('under an ALL pause the caller is paused too, even its own UNPAUSE', () => {
    const r = solo(['{call: [CLIENT, PAUSE, "300"]}', '{call: [CLIENT, UNPAUSE]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+OK']);
    expect(replyTimes(r, 'c1')[1]!).toBeGreaterThanOrEqual(300_000);
  });

  it('the timeout must be a non-negative integer', () => {
    const r = solo(['{call: [CLIENT, PAUSE, abc]}', '{call: [CLIENT, PAUSE, "1.5"]}', '{call: [CLIENT, PAUSE, "-1"]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR timeout is not an integer or out of range',
      '-ERR timeout is not an integer or out of range',
      '-ERR timeout is negative',
    ]);
  });

  it('the mode must be WRITE or ALL, and is checked before the timeout', () => {
    const r = solo(['{call: [CLIENT, PAUSE, "10", READ]}', '{call: [CLIENT, PAUSE, abc, READ]}']);
    const err = '-ERR CLIENT PAUSE mode must be WRITE or ALL';
    expect(repliesOf(r, 'c1')).toEqual([err, err]);
  });

  it('five arguments pass the table arity but are a subcommand syntax error', () => {
    expect(repliesOf(solo(['{call: [CLIENT, PAUSE, "10", ALL, x]}']), 'c1')).toEqual([
      "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
    ]);
  });
});

describe('CLIENT REPLY and NO-EVICT', () => {
  it('REPLY OFF silences every reply until REPLY ON, which answers +OK', () => {
    const r = solo(['{send: [CLIENT, REPLY, OFF]}', '{send: PING}', '{send: [CLIENT, REPLY, SKIP]}', '{call: [CLIENT, REPLY, ON]}', '{call: PING}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+PONG']);
  });

  it('REPLY SKIP silences itself and the next command only', () => {
    const r = solo(['{raw: "CLIENT REPLY SKIP\\r\\nPING\\r\\nPING\\r\\n"}', '{wait-replies: 1}', '{wait: 50ms}']);
    expect(repliesOf(r, 'c1')).toEqual(['+PONG']);
  });

  it('REPLY SKIP also silences an error reply of the next command', () => {
    const r = solo(['{raw: "CLIENT REPLY SKIP\\r\\nFOO\\r\\nPING\\r\\n"}', '{wait-replies: 1}', '{wait: 50ms}']);
    expect(repliesOf(r, 'c1')).toEqual(['+PONG']);
  });

  it('a value other than ON, OFF or SKIP is a syntax error', () => {
    expect(repliesOf(solo(['{call: [CLIENT, REPLY, MAYBE]}']), 'c1')).toEqual(['-ERR syntax error']);
  });

  it('NO-EVICT on shows flag e, off removes it; another value is a syntax error', () => {
    const r = solo(['{call: [CLIENT, NO-EVICT, on]}', '{call: [CLIENT, INFO]}', '{call: [CLIENT, NO-EVICT, OFF]}', '{call: [CLIENT, INFO]}', '{call: [CLIENT, NO-EVICT, yes]}']);
    const [on, info1, off, info2, bad] = repliesOf(r, 'c1');
    expect([on, off, bad]).toEqual(['+OK', '+OK', '-ERR syntax error']);
    expect(info1).toContain(' flags=e ');
    expect(info2).toContain(' flags=N ');
  });
});

describe('CLIENT UNBLOCK with the keyspace module', () => {
  const unblock = (how: string) => runYaml(`
horizon: 3s
clients:
  - name: blocked
    script: [{call: [BLPOP, nolist, "0"]}, {call: PING}]
  - name: ctl
    connect-at: 50ms
    script: [{call: [CLIENT, UNBLOCK, "3"${how}]}, {call: [CLIENT, UNBLOCK, "3"]}]
`);

  it('TIMEOUT (the default) gives the blocked client its timeout reply and answers :1, then :0', () => {
    const r = unblock('');
    expect(repliesOf(r, 'ctl')).toEqual([':1', ':0']);
    expect(repliesOf(r, 'blocked')).toEqual(['*-1', '+PONG']);
  });

  it('ERROR gives the blocked client -UNBLOCKED', () => {
    const r = unblock(', ERROR');
    expect(repliesOf(r, 'ctl')).toEqual([':1', ':0']);
    expect(repliesOf(r, 'blocked')).toEqual(['-UNBLOCKED client unblocked via CLIENT UNBLOCK', '+PONG']);
  });
});

describe('CLIENT subcommands redsim does not model', () => {
  let saved: UnblockHook[] = [];
  beforeEach(() => {
    saved = unblockClientHooks.splice(0);
  });
  afterEach(() => {
    unblockClientHooks.splice(0, unblockClientHooks.length, ...saved);
  });

  it('TRACKING, CACHING, GETREDIR and TRACKINGINFO answer a named not-modelled error', () => {
    const r = solo(['{call: [CLIENT, TRACKING, on]}', '{call: [CLIENT, CACHING, yes]}', '{call: [CLIENT, GETREDIR]}', '{call: [CLIENT, TRACKINGINFO]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR redsim does not model CLIENT TRACKING',
      '-ERR redsim does not model CLIENT CACHING',
      '-ERR redsim does not model CLIENT GETREDIR',
      '-ERR redsim does not model CLIENT TRACKINGINFO',
    ]);
  });

  it('UNBLOCK answers not-modelled while no blocking module registered a hook', () => {
    expect(repliesOf(solo(['{call: [CLIENT, UNBLOCK, "3"]}']), 'c1')).toEqual(['-ERR redsim does not model CLIENT UNBLOCK']);
  });

  it('UNBLOCK checks the reason, then the id, and asks the hooks only for a blocked client', () => {
    const asked: string[] = [];
    unblockClientHooks.push((_s, target, how) => {
      asked.push(`${target.id}:${how}`);
      return true;
    });
    const r = solo([
      '{call: [CLIENT, UNBLOCK, "3", LATER]}',
      '{call: [CLIENT, UNBLOCK, abc]}',
      '{call: [CLIENT, UNBLOCK, "3"]}',
      '{call: [CLIENT, UNBLOCK, "99", ERROR]}',
      '{call: [CLIENT, UNBLOCK, "3", TIMEOUT, x]}',
    ]);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
      '-ERR value is not an integer or out of range',
      ':0',
      ':0',
      "-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.",
    ]);
    expect(asked).toEqual([]); // c1 is not blocked; 99 does not exist
  });
});

describe('CLIENT LIST details that follow Redis internals', () => {
  it('a client listing itself counts its own command in qbuf (26 bytes in RESP, 13 inline)', () => {
    const r = runYaml(`clients: [{name: c1, script: [{call: [CLIENT, LIST]}, {inline: CLIENT LIST}, {wait-replies: 2}]}]`);
    const [resp3, inline] = repliesOf(r, 'c1');
    expect(resp3).toMatch(/ qbuf=26 qbuf-free=20448 argv-mem=10 /);
    expect(inline).toMatch(/ qbuf=13 qbuf-free=20461 /);
  });

  it('inside MULTI, cmd= names the last queued command', () => {
    const r = runYaml(`
clients:
  - {name: txn, script: [{call: MULTI}, {call: [GET, k]}, {wait: 10ms}]}
  - {name: viewer, connect-at: 5ms, script: [{call: [CLIENT, LIST]}]}
`);
    const list = repliesOf(r, 'viewer')[0]!;
    expect(list).toMatch(/id=3 .* flags=x .* multi=1 .* cmd=get /);
  });
});
