// AUTH, HELLO and RESET (acl.c, networking.c, 7.0.15) through inline scenarios: the default user
// as requirepass configures it, the HELLO handshake in RESP2 and RESP3, and what RESET undoes.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { CLIENT_MULTI, CLIENT_SLAVE } from '../../src/server/client.ts';
import { resetClientHooks } from '../../src/server/commands/auth.ts';
import { repliesOf, runYaml, runSolo } from '../helpers/run-yaml.ts';

function solo(steps: string[], config = '{}'): RunResult {
  return runSolo(steps, { server: `{config: ${config}}`, horizon: '3s' });
}

const PW = '{requirepass: sekret}';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.';
const HELLO2 = (id: number, proto = 2) => `[$server, $redis, $version, $7.0.15, $proto, :${proto}, $id, :${id}, $mode, $standalone, $role, $master, $modules, []]`;
const HELLO3 = (id: number) => `{$server: $redis, $version: $7.0.15, $proto: :3, $id: :${id}, $mode: $standalone, $role: $master, $modules: []}`;

describe('AUTH', () => {
  it('AUTH <password> without requirepass is refused with the configuration hint', () => {
    expect(repliesOf(solo(['{call: [AUTH, x]}']), 'c1')).toEqual([
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    ]);
  });

  it('AUTH default <anything> succeeds while the default user is nopass', () => {
    expect(repliesOf(solo(['{call: [AUTH, default, x]}']), 'c1')).toEqual(['+OK']);
  });

  it('the right password authenticates; a wrong one is WRONGPASS and the connection stays open', () => {
    const r = solo(['{call: PING}', '{call: [AUTH, nope]}', '{call: PING}', '{call: [AUTH, sekret]}', '{call: PING}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['-NOAUTH Authentication required.', WRONGPASS, '-NOAUTH Authentication required.', '+OK', '+PONG']);
  });

  it('AUTH default <password> is the two-argument form with the user spelled out', () => {
    const r = solo(['{call: [AUTH, default, sekret]}', '{call: PING}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+PONG']);
  });

  it('an unknown user, or the user name in another case, is WRONGPASS', () => {
    const r = solo(['{call: [AUTH, alice, sekret]}', '{call: [AUTH, DEFAULT, sekret]}'], PW);
    expect(repliesOf(r, 'c1')).toEqual([WRONGPASS, WRONGPASS]);
  });

  it('a failed AUTH leaves an authenticated connection authenticated', () => {
    const r = solo(['{call: [AUTH, sekret]}', '{call: [AUTH, wrong]}', '{call: PING}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', WRONGPASS, '+PONG']);
  });

  it('more than two arguments is a syntax error; none is the arity error', () => {
    const r = solo(['{call: [AUTH, a, b, c]}', '{call: [AUTH]}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['-ERR syntax error', "-ERR wrong number of arguments for 'auth' command"]);
  });

  it('the password never reaches the SLOWLOG: it is shown as (redacted)', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}', '{call: [AUTH, default, x]}', '{call: [SLOWLOG, GET, "1"]}']);
    expect(repliesOf(r, 'c1')[2]).toMatch(/^\[\[:1, :\d+, :\d+, \[\$AUTH, \$\(redacted\), \$\(redacted\)\], \$127\.0\.0\.1:40000, \$\]\]$/);
  });
});

describe('HELLO', () => {
  it('without arguments replies the 7-pair handshake in the current protocol (RESP2: a flat array)', () => {
    expect(repliesOf(solo(['{call: HELLO}']), 'c1')).toEqual([HELLO2(3)]);
  });

  it('HELLO 3 switches to RESP3 and replies a %7 map', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [HELLO]}', '{call: [HELLO, "2"]}']);
    expect(repliesOf(r, 'c1')).toEqual([HELLO3(3), HELLO3(3), HELLO2(3)]);
  });

  it('the protocol version must be an integer, then 2 or 3', () => {
    const r = solo(['{call: [HELLO, abc]}', '{call: [HELLO, "1"]}', '{call: [HELLO, "4"]}', '{call: [HELLO, "03"]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR Protocol version is not an integer or out of range',
      '-NOPROTO unsupported protocol version',
      '-NOPROTO unsupported protocol version',
      '-ERR Protocol version is not an integer or out of range',
    ]);
  });

  it('an unknown option, or AUTH / SETNAME without enough values, is a syntax error naming it', () => {
    const r = solo(['{call: [HELLO, "3", FOO]}', '{call: [HELLO, "3", AUTH, default]}', '{call: [HELLO, "2", setname]}', '{call: [CLIENT, ID]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      "-ERR Syntax error in HELLO option 'FOO'",
      "-ERR Syntax error in HELLO option 'AUTH'",
      "-ERR Syntax error in HELLO option 'setname'",
      ':3',
    ]);
  });

  it('HELLO AUTH authenticates and selects the protocol at once', () => {
    const r = solo(['{call: PING}', '{call: [HELLO, "3", AUTH, default, sekret]}', '{call: PING}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['-NOAUTH Authentication required.', HELLO3(3), '+PONG']);
  });

  it('HELLO AUTH with wrong credentials is WRONGPASS and keeps RESP2', () => {
    const r = solo(['{call: [HELLO, "3", AUTH, default, nope]}', '{call: [AUTH, sekret]}', '{call: [CLIENT, GETNAME]}'], PW);
    expect(repliesOf(r, 'c1')).toEqual([WRONGPASS, '+OK', '$-1']);
  });

  it('an unauthenticated HELLO without AUTH is refused with the NOAUTH explanation', () => {
    expect(repliesOf(solo(['{call: [HELLO, "3"]}'], PW), 'c1')).toEqual([
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    ]);
  });

  it('SETNAME names the connection; a bad name is refused and nothing else changes', () => {
    const r = solo(['{call: [HELLO, "3", SETNAME, "a b"]}', '{call: [CLIENT, GETNAME]}', '{call: [HELLO, "2", SETNAME, me]}', '{call: [CLIENT, GETNAME]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR Client names cannot contain spaces, newlines or special characters.',
      '$-1',
      HELLO2(3),
      '$me',
    ]);
  });

  it('options apply in order: SETNAME before a failing AUTH has already named the connection', () => {
    const r = solo(['{call: [HELLO, "2", SETNAME, early, AUTH, default, nope]}', '{call: [AUTH, sekret]}', '{call: [CLIENT, GETNAME]}'], PW);
    expect(repliesOf(r, 'c1')).toEqual([WRONGPASS, '+OK', '$early']);
  });

  it('is allowed before authentication (it is a no-auth command)', () => {
    const r = solo(['{call: [HELLO, "2", AUTH, default, sekret, SETNAME, x]}'], PW);
    expect(repliesOf(r, 'c1')).toEqual([HELLO2(3)]);
  });
});

describe('RESET', () => {
  it('replies +RESET and returns the connection to RESP2 with no name', () => {
    const r = solo(['{call: [HELLO, "3", SETNAME, me]}', '{call: RESET}', '{call: [CLIENT, GETNAME]}', '{call: [CLIENT, INFO]}']);
    const [, reset, name, info] = repliesOf(r, 'c1');
    expect([reset, name]).toEqual(['+RESET', '$-1']);
    expect(info).toMatch(/ resp=2\\n$/);
  });

  it('discards a transaction in progress (RESET runs at once inside MULTI)', () => {
    const r = solo(['{call: MULTI}', '{call: PING}', '{call: RESET}', '{call: EXEC}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+QUEUED', '+RESET', '-ERR EXEC without MULTI']);
  });

  it('leaves MONITOR mode: no more feed lines, and keyspace commands are allowed again', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: mon
    script: [{call: MONITOR}, {wait: 50ms}, {call: RESET}, {wait: 100ms}, {call: [CLIENT, LIST, TYPE, normal]}]
  - name: other
    connect-at: 10ms
    script: [{call: [ECHO, before]}, {wait: 100ms}, {call: [ECHO, after]}]
`);
    const out = repliesOf(r, 'mon');
    expect(out[0]).toBe('+OK');
    expect(out.some((x) => x.includes('"before"'))).toBe(true);
    expect(out.some((x) => x.includes('"after"'))).toBe(false);
    expect(out).toContain('+RESET');
    expect(out[out.length - 1]).toMatch(/^\$id=3 [^\\]* flags=N /);
  });

  it('clears CLIENT REPLY OFF so that its own +RESET is sent', () => {
    const r = solo(['{send: [CLIENT, REPLY, OFF]}', '{send: PING}', '{call: RESET}', '{call: PING}']);
    expect(repliesOf(r, 'c1')).toEqual(['+RESET', '+PONG']);
  });

  it('makes the connection unauthenticated again when a password is required', () => {
    const r = solo(['{call: [AUTH, sekret]}', '{call: PING}', '{call: RESET}', '{call: PING}'], PW);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+PONG', '+RESET', '-NOAUTH Authentication required.']);
  });

  it('is allowed before authentication', () => {
    expect(repliesOf(solo(['{call: RESET}'], PW), 'c1')).toEqual(['+RESET']);
  });

  it('unsubscribes from every channel and pattern without notifications; the client is normal again', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: sub
    script: [{call: [SUBSCRIBE, news]}, {call: [PSUBSCRIBE, "n*"]}, {wait: 50ms}, {call: RESET}, {call: [CLIENT, INFO]}, {wait: 100ms}]
  - name: pub
    connect-at: 10ms
    script: [{call: [PUBLISH, news, one]}, {wait: 100ms}, {call: [PUBLISH, news, two]}]
`);
    expect(repliesOf(r, 'pub')).toEqual([':2', ':0']);
    const out = repliesOf(r, 'sub');
    expect(out.slice(0, 2)).toEqual(['[$subscribe, $news, :1]', '[$psubscribe, $n*, :2]']);
    expect(out).toContain('+RESET');
    expect(out[out.length - 1]).toMatch(/ flags=N .* sub=0 psub=0 /);
    expect(out.some((x) => x.includes('unsubscribe'))).toBe(false);
  });

  it('asks the registered subsystems (Pub/Sub) to drop their per-client state, after MULTI is discarded', () => {
    const seen: string[] = [];
    const hook = (_s: unknown, c: { id: number; has(f: number): boolean }) => seen.push(`${c.id}:${c.has(CLIENT_MULTI)}`);
    resetClientHooks.push(hook);
    try {
      const r = solo(['{call: MULTI}', '{call: RESET}']);
      expect(repliesOf(r, 'c1')).toEqual(['+OK', '+RESET']);
    } finally {
      resetClientHooks.splice(resetClientHooks.indexOf(hook), 1);
    }
    expect(seen).toEqual(['3:false']);
  });

  it('refuses a connection flagged as a replica (not a MONITOR)', () => {
    // Reached by flagging the client the way a replica link is flagged; redsim has no replication.
    const flagger = (_s: unknown, c: { set(f: number): void; clear(f: number): void }) => c.set(CLIENT_SLAVE);
    const r = (() => {
      resetClientHooks.push(flagger);
      try {
        return solo(['{call: RESET}', '{call: RESET}']);
      } finally {
        resetClientHooks.splice(resetClientHooks.indexOf(flagger), 1);
      }
    })();
    expect(repliesOf(r, 'c1')).toEqual(['+RESET', '-ERR can only reset normal client connections']);
  });

  it('takes no arguments', () => {
    expect(repliesOf(solo(['{call: [RESET, x]}']), 'c1')).toEqual(["-ERR wrong number of arguments for 'reset' command"]);
  });
});
