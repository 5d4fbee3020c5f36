// Protected mode (clientAcceptHandler): a non-local client with no password set gets -DENIED and
// is closed; 127.0.0.1 and ::1 are the only local addresses; a password or protected-mode no lets
// everyone in; CONFIG SET protected-mode works; rejected_connections counts the refusals.
import { describe, expect, it } from 'vitest';
import { PROTECTED_MODE_DENIED } from '../../src/server/accept.ts';
import { closeOf, repliesOf, runYaml } from '../helpers/run-yaml.ts';

const DENIED = '-' + PROTECTED_MODE_DENIED.toString('latin1').slice(1, -2);

const remote = (addr: string, server = '', script = '[{call: PING}]') => runYaml(`
horizon: 2s
${server}
clients:
  - {name: far, addr: "${addr}"${addr.includes(':') ? ', connect-to: "::1"' : ''}, script: ${script}}
  - {name: near, connect-at: 100ms, script: [{call: [INFO, stats]}]}
`);

describe('protected mode', () => {
  it('a client from 10.0.0.5 receives the -DENIED error, then EOF, and counts as a rejected connection', () => {
    const r = remote('10.0.0.5');
    expect(repliesOf(r, 'far')).toEqual([DENIED]);
    expect(r.clients.find((c) => c.name === 'far')!.ended).toBe('eof');
    expect(closeOf(r, 'far')).toMatchObject({ kind: 'reject', reason: 'protected-mode' });
    expect(repliesOf(r, 'near')[0]).toMatch(/rejected_connections:1\\r\\n/);
    expect(repliesOf(r, 'near')[0]).toMatch(/total_connections_received:1\\r\\n/);
  });

  it('the error is the 1066-byte text of 7.0.15', () => {
    expect(PROTECTED_MODE_DENIED.length).toBe(1066);
    expect(DENIED.startsWith('-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.')).toBe(true);
  });

  it('127.0.0.2 is not local; ::1 is', () => {
    expect(closeOf(remote('127.0.0.2'), 'far')).toMatchObject({ reason: 'protected-mode' });
    const v6 = remote('::1', 'server: {config: {bind: "127.0.0.1 ::1"}}');
    expect(closeOf(v6, 'far')).toBeUndefined();
    expect(repliesOf(v6, 'far')).toEqual(['+PONG']);
  });

  it('a password set for the default user lets the remote client in (then it must AUTH)', () => {
    const r = remote('10.0.0.5', 'server: {config: {requirepass: pw}}', '[{call: PING}, {call: [AUTH, pw]}, {call: PING}]');
    expect(repliesOf(r, 'far')).toEqual(['-NOAUTH Authentication required.', '+OK', '+PONG']);
  });

  it('protected-mode no lets the remote client in', () => {
    expect(repliesOf(remote('10.0.0.5', 'server: {config: {protected-mode: "no"}}'), 'far')).toEqual(['+PONG']);
  });

  it('CONFIG SET protected-mode no from the loopback lets later remote clients in', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - {name: before, addr: 10.0.0.5, script: [{call: PING}]}
  - {name: admin, connect-at: 10ms, script: [{call: [CONFIG, SET, protected-mode, "no"]}]}
  - {name: after, addr: 10.0.0.6, connect-at: 20ms, script: [{call: PING}]}
`);
    expect(closeOf(r, 'before')).toMatchObject({ reason: 'protected-mode' });
    expect(repliesOf(r, 'admin')).toEqual(['+OK']);
    expect(repliesOf(r, 'after')).toEqual(['+PONG']);
  });
});
