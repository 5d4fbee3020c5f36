// Client addresses in scenario files: connect-to / connect-port defaults, family checks with
// located errors, and the default address of a client of each family.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.ts';
import { runYaml } from '../helpers/run-yaml.ts';

const issues = (text: string) => {
  const r = parseScenario(text, 'f.yaml');
  return r.ok ? [] : r.issues.map((i) => ({ path: i.path, line: i.line, column: i.column, message: i.message }));
};

describe('client addresses in a scenario', () => {
  it('an IPv6 client connecting to the default IPv4 server.host is an error at its addr', () => {
    expect(issues('clients:\n  - name: a\n    addr: "::1"\n')).toEqual([{
      path: 'clients[0].addr', line: 3, column: 11,
      message: 'an IPv6 client (::1) cannot connect to the IPv4 address 127.0.0.1 (server.host): give it connect-to: an IPv6 address of the server, such as ::1',
    }]);
  });

  it('an IPv4 client given an IPv6 connect-to is an error at connect-to', () => {
    expect(issues('clients:\n  - {name: a, addr: 10.0.0.5, connect-to: "2001:db8::1"}\n')).toEqual([expect.objectContaining({
      path: 'clients[0].connect-to', line: 2, column: 43,
      message: expect.stringMatching(/^an IPv4 client \(10\.0\.0\.5\) cannot connect to the IPv6 address 2001:db8::1 \(connect-to\)/),
    })]);
  });

  it('connect-to and interfaces must be IP addresses; connect-port a port', () => {
    expect(issues('server: {interfaces: [lan0]}\nclients:\n  - {name: a, connect-to: db, connect-port: 0}\n').map((i) => i.path))
      .toEqual(['server.interfaces[0]', 'clients[0].connect-to', 'clients[0].connect-port']);
  });

  it('a client with no addr takes the family of its target: ::1 for an IPv6 one', () => {
    const r = runYaml('server: {config: {bind: "::1"}}\nclients:\n  - {name: a, connect-to: "::1", script: [{call: [CLIENT, INFO]}]}\n');
    expect(r.clients[0]!.replies[0]).toMatch(/^\$id=3 addr=\[::1\]:40000 laddr=\[::1\]:6379 /);
  });

  it('IPv6 literals are compared and shown canonically (upper case and zeros in the file are fine)', () => {
    const r = runYaml('server: {interfaces: ["2001:DB8:0::1"], config: {bind: "2001:db8::1", protected-mode: "no"}}\nclients:\n  - {name: a, addr: "2001:db8::0:5", connect-to: "2001:DB8::1", script: [{call: [CLIENT, INFO]}]}\n');
    expect(r.clients[0]!.replies[0]).toMatch(/ addr=\[2001:db8::5\]:40000 laddr=\[2001:db8::1\]:6379 /);
  });
});
