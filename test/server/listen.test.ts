// listenToPort and CONFIG SET bind, end to end: one listener per bind address in order, optional
// `-` addresses skipped when the machine lacks them, start-up aborted otherwise, wildcards per
// family, and what clients see (refused, timed out, laddr in CLIENT LIST).
import { describe, expect, it } from 'vitest';
import { parseScenario, formatIssue } from '../../src/scenario/load.ts';
import { runScenario, type RunResult } from '../../src/scenario/run.ts';
import type { Server } from '../../src/server/server.ts';
import type { Host } from '../../src/kernel/host.ts';
import { logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

/**
 * Runs `yaml` and also returns the listeners left at the end ([fd, local address] in ipfd order)
 * and the kernel ids of the listening sockets after start-up and at the end.
 */
function runWithListeners(yaml: string): { r: RunResult; listeners: Array<[number, string]>; ids: { start: number[]; end: number[] } } {
  const p = parseScenario(yaml, 'inline.yaml');
  if (!p.ok) throw new Error(p.issues.map(formatIssue).join('\n'));
  let server!: Server;
  let host!: Host;
  let start: number[] | null = null;
  const idsNow = () => server.ipfd.map((fd) => host.socketAt(fd)!.id);
  const r = runScenario(p.scenario, {}, {
    onServer: (w) => ((server = w.server), (host = w.serverHost)),
    onIteration: () => void (start ??= idsNow()),
  });
  return { r, listeners: server.ipfd.map((fd) => [fd, host.socketAt(fd)!.laddr]), ids: { start: start ?? [], end: idsNow() } };
}

const scenario = (bind: string, clients: string, horizon = '2s') => `
horizon: ${horizon}
server: {interfaces: [10.0.0.1, "2001:db8::1"], config: {bind: "${bind}", protected-mode: "no"}}
clients:
${clients}
`;

const connectResult = (r: RunResult, name: string) => {
  const e = r.events.find((x) => x.kind === 'connect' && x.client === name);
  return e?.kind === 'connect' ? e : undefined;
};

describe('listenToPort at start-up', () => {
  it('binds the addresses in order: listener fds 6, 7, 8 and the first client gets fd 9', () => {
    const { r, listeners } = runWithListeners(scenario('10.0.0.1 ::1 127.0.0.1', '  - {name: c, script: [{call: [CLIENT, ID]}]}'));
    expect(listeners).toEqual([[6, '10.0.0.1:6379'], [7, '[::1]:6379'], [8, '127.0.0.1:6379']]);
    expect(r.events.find((e) => e.kind === 'accept')).toMatchObject({ fd: 9 });
  });

  it('an optional address the machine lacks is skipped with the warning; the others still listen', () => {
    const { r, listeners } = runWithListeners(scenario('-10.0.0.2 127.0.0.1 -::1', '  - {name: c, script: [{call: PING}]}'));
    expect(listeners).toEqual([[6, '127.0.0.1:6379'], [7, '[::1]:6379']]);
    expect(logLines(r)).toContain('Warning: Could not create server TCP listening socket 10.0.0.2:6379: bind: Cannot assign requested address');
    expect(repliesOf(r, 'c')).toEqual(['+PONG']);
    expect(r.serverExit).toBeNull();
  });

  it('a required address the machine lacks aborts start-up with exit code 1, and clients are refused', () => {
    const r = runYaml(scenario('127.0.0.1 10.0.0.2', '  - {name: c, script: [{call: PING}]}'));
    expect(r.serverExit).toBe(1);
    const lines = logLines(r);
    expect(lines.slice(-2)).toEqual([
      'Warning: Could not create server TCP listening socket 10.0.0.2:6379: bind: Cannot assign requested address',
      'Failed listening on port 6379 (TCP), aborting.',
    ]);
    expect(lines).not.toContain('Ready to accept connections');
    // The listener made for 127.0.0.1 was closed again before exiting.
    expect(connectResult(r, 'c')).toMatchObject({ result: 'refused' });
  });

  it('when every address was optional and skipped, Redis exits: configured to not listen anywhere', () => {
    const r = runYaml(scenario('-10.0.0.2 -2001:db8::2', '  - {name: c, script: []}'));
    expect(r.serverExit).toBe(1);
    expect(logLines(r).slice(-1)).toEqual(['Configured to not listen anywhere, exiting.']);
  });

  it('a wildcard after an address of its family is EADDRINUSE, which aborts even when optional', () => {
    const r = runYaml(scenario('127.0.0.1 -*', '  - {name: c, script: []}'));
    expect(r.serverExit).toBe(1);
    expect(logLines(r)).toContain('Warning: Could not create server TCP listening socket *:6379: bind: Address already in use');
  });

  it('names: localhost is 127.0.0.1; another name fails to resolve, fatal even when optional', () => {
    const { listeners } = runWithListeners(scenario('localhost', '  - {name: c, script: []}'));
    expect(listeners).toEqual([[6, '127.0.0.1:6379']]);
    const r = runYaml(scenario('127.0.0.1 -redis.example', '  - {name: c, script: []}'));
    expect(r.serverExit).toBe(1);
    expect(logLines(r)).toContain('Warning: Could not create server TCP listening socket redis.example:6379: Name or service not known');
  });

  it('without a bind directive the server listens on server.host alone', () => {
    const { listeners } = runWithListeners('server: {host: 10.0.0.1}\nclients: [{name: c, addr: 10.0.0.5}]');
    expect(listeners).toEqual([[6, '10.0.0.1:6379']]);
  });
});

describe('wildcards and families', () => {
  const both = `
  - {name: v4, addr: 10.0.0.5, connect-to: 10.0.0.1, script: [{call: PING}]}
  - {name: v6, addr: "2001:db8::5", connect-to: "2001:db8::1", script: [{call: PING}]}`;

  it('* listens on every IPv4 address only: an IPv6 client is refused', () => {
    const r = runYaml(scenario('*', both));
    expect([repliesOf(r, 'v4'), connectResult(r, 'v6')?.result]).toEqual([['+PONG'], 'refused']);
  });

  it('::* listens on every IPv6 address only: an IPv4 client is refused', () => {
    const r = runYaml(scenario('::*', both));
    expect([connectResult(r, 'v4')?.result, repliesOf(r, 'v6')]).toEqual(['refused', ['+PONG']]);
  });

  it('* -::* (the compiled-in default) takes both', () => {
    const r = runYaml(scenario('* -::*', both));
    expect([repliesOf(r, 'v4'), repliesOf(r, 'v6')]).toEqual([['+PONG'], ['+PONG']]);
  });
});

describe('what a client sees', () => {
  it('an address of the machine with no listener refuses at once; an address nobody has times out after 127 s', () => {
    const r = runYaml(scenario('127.0.0.1', `
  - {name: refused, addr: 10.0.0.5, connect-to: 10.0.0.1}
  - {name: lost, addr: 10.0.0.5, connect-to: 10.0.0.9}`, '200s'));
    expect(connectResult(r, 'refused')).toMatchObject({ t: 100, result: 'refused' });
    expect(connectResult(r, 'lost')).toMatchObject({ t: 127_000_000, result: 'timeout' });
  });

  it('laddr in CLIENT LIST is the address the client connected to; addr its own', () => {
    const r = runYaml(scenario('* ::*', `
  - {name: lan, addr: 10.0.0.5, connect-to: 10.0.0.1, script: [{wait: 1ms}]}
  - {name: v6, addr: "2001:db8::5", connect-to: "2001:db8::1", script: [{wait: 1ms}]}
  - {name: lo, connect-to: 127.0.0.3, script: [{call: [CLIENT, LIST]}]}`));
    const list = repliesOf(r, 'lo')[0]!;
    expect(list).toMatch(/addr=10\.0\.0\.5:40000 laddr=10\.0\.0\.1:6379 /);
    expect(list).toMatch(/addr=\[2001:db8::5\]:40000 laddr=\[2001:db8::1\]:6379 /);
    expect(list).toMatch(/addr=127\.0\.0\.1:40000 laddr=127\.0\.0\.3:6379 /);
  });

  it('connect-port reaches another port: nothing listens there, so it is refused', () => {
    const r = runYaml(scenario('127.0.0.1', '  - {name: c, connect-port: 6380}'));
    expect(connectResult(r, 'c')).toMatchObject({ addr: '127.0.0.1:6380', result: 'refused' });
  });
});

describe('CONFIG GET / SET bind', () => {
  const admin = (calls: string[], later = '') => scenario('127.0.0.1 -::1', `
  - name: admin
    script: [${calls.join(', ')}]
${later}`);

  it('CONFIG GET bind answers the list as written, `-` marks included', () => {
    expect(repliesOf(runYaml(admin(['{call: [CONFIG, GET, bind]}'])), 'admin')).toEqual(['[$bind, $127.0.0.1 -::1]']);
  });

  it('CONFIG SET bind re-binds: a client to the new address gets in, one to a dropped address is refused', () => {
    const r = runYaml(admin(['{call: [CONFIG, SET, bind, "127.0.0.1 10.0.0.1"]}', '{call: [CONFIG, GET, bind]}'], `
  - {name: lan, addr: 10.0.0.5, connect-to: 10.0.0.1, connect-at: 10ms, script: [{call: PING}]}
  - {name: v6, addr: "::1", connect-to: "::1", connect-at: 10ms, script: [{call: PING}]}`));
    expect(repliesOf(r, 'admin')).toEqual(['+OK', '[$bind, $127.0.0.1 10.0.0.1]']);
    expect(repliesOf(r, 'lan')).toEqual(['+PONG']);
    expect(connectResult(r, 'v6')).toMatchObject({ result: 'refused' });
  });

  it('a failed CONFIG SET bind logs, answers the error, and restores the previous listeners', () => {
    const r = runYaml(admin(['{call: [CONFIG, SET, bind, "127.0.0.1 10.0.0.2"]}', '{call: [CONFIG, GET, bind]}'], `
  - {name: v6, addr: "::1", connect-to: "::1", connect-at: 10ms, script: [{call: PING}]}`));
    expect(repliesOf(r, 'admin')).toEqual([
      "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
      '[$bind, $127.0.0.1 -::1]',
    ]);
    const lines = logLines(r);
    const at = lines.indexOf('Failed to bind');
    expect(lines.slice(at - 1, at + 2)).toEqual([
      'Warning: Could not create server TCP listening socket 10.0.0.2:6379: bind: Cannot assign requested address',
      'Failed to bind',
      'Failed applying new configuration. Possibly related to new bind setting. Restoring previous settings.',
    ]);
    expect(repliesOf(r, 'v6')).toEqual(['+PONG']);
  });

  it('CONFIG SET splits on single spaces: two spaces make an empty address, which does not resolve', () => {
    const r = runYaml(admin(['{call: [CONFIG, SET, bind, "127.0.0.1  ::1"]}']));
    expect(repliesOf(r, 'admin')[0]).toMatch(/Failed to bind to specified addresses\.$/);
    expect(logLines(r)).toContain('Warning: Could not create server TCP listening socket :6379: Name or service not known');
  });

  it('at most 16 addresses', () => {
    const many = Array.from({ length: 17 }, (_, i) => `127.0.0.${i + 1}`).join(' ');
    const r = runYaml(admin([`{call: [CONFIG, SET, bind, "${many}"]}`, `{call: [CONFIG, SET, bind, "${many.slice(0, many.lastIndexOf(' '))}"]}`]));
    expect(repliesOf(r, 'admin')).toEqual(["-ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses specified.", '+OK']);
  });

  it('the same list again still re-binds: new listening sockets, on the same lowest free fds 6 and 7', () => {
    const { r, listeners, ids } = runWithListeners(admin(['{call: [CONFIG, SET, bind, "127.0.0.1 -::1"]}', '{call: [CLIENT, ID]}']));
    expect(repliesOf(r, 'admin')).toEqual(['+OK', ':3']);
    expect(listeners).toEqual([[6, '127.0.0.1:6379'], [7, '[::1]:6379']]);
    expect(ids.start).toHaveLength(2);
    expect(ids.end.filter((id) => ids.start.includes(id))).toEqual([]);
  });
});
