// The `firewall` section and the clients' `connect-timeout`: how they load (and how bad ones are
// reported, file:line:col), and what they do in a whole run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioFromText, scenarioToYaml } from '../../src/scenario/build.ts';
import { formatIssue, parseScenario, type ScenarioIssue } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { runYaml } from '../helpers/run-yaml.ts';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

function issues(text: string): ScenarioIssue[] {
  const r = parseScenario(text, 'bad.yaml');
  if (r.ok) throw new Error('expected issues, the scenario loaded');
  return r.issues;
}

/** The scenario with one firewall rule written as `rule` (a YAML flow map) on line 3. */
function withRule(rule: string): string {
  return yaml('clients: [{name: c1}]', 'firewall:', `  - ${rule}`);
}

describe('loading firewall rules', () => {
  it('fills the defaults: direction in, installed at 0, never removed, any address and port', () => {
    const sc = scenarioFromText(withRule('{action: drop}'));
    expect(sc.firewall).toEqual([{ action: 'drop', direction: 'in', atUs: 0 }]);
  });

  it('keeps every field as written, times in µs', () => {
    const sc = scenarioFromText(withRule('{action: reject, from: "::/0", port: 6380, direction: both, at: 1s, until: 2500ms}'));
    expect(sc.firewall).toEqual([{ action: 'reject', from: '::/0', port: 6380, direction: 'both', atUs: 1_000_000, untilUs: 2_500_000 }]);
  });

  it('a scenario without the section has no firewall', () => {
    expect(scenarioFromText(yaml('clients: [{name: c1}]')).firewall).toBeUndefined();
  });

  it.each([
    ['{action: drop, from: 10.0.0.1/8}', 'firewall[0].from', '10.0.0.1/8', /10\.0\.0\.1\/8 has bits set after the first 8; the network is 10\.0\.0\.0\/8/],
    ['{action: drop, from: 10.0.0.0/33}', 'firewall[0].from', '10.0', /from 0 to 32/],
    ['{action: drop, from: 300.1.1.1}', 'firewall[0].from', '300', /'300\.1\.1\.1' is not an IPv4 or IPv6 address/],
    ['{action: drop, from: 10}', 'firewall[0].from', '10}', /expected an address or address block/],
    ['{action: block}', 'firewall[0].action', 'block', /expected one of allow, drop, reject; got 'block'/],
    ['{action: drop, direction: inn}', 'firewall[0].direction', 'inn', /expected one of in, out, both; got 'inn' \(did you mean in\?\)/],
    ['{action: drop, port: 0}', 'firewall[0].port', '0}', /at least 1/],
    ['{action: drop, at: 2s, until: 2s}', 'firewall[0].until', '2s}', /until must be later than at/],
    ['{action: drop, src: 10.0.0.0/8}', 'firewall[0].src', 'src', /unknown key 'src' in a firewall rule.*allowed: action, from, port, direction, at, until/],
    ['{from: 10.0.0.0/8}', 'firewall[0]', '{', /a firewall rule needs the key 'action'/],
  ])('%s is reported at %s, on line 3 where %s begins', (rule, path, token, message) => {
    const found = issues(withRule(rule)).filter((i) => i.path === path);
    expect(found.map(formatIssue)).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: 'bad.yaml', line: 3, column: `  - ${rule}`.indexOf(token) + 1 });
    expect(found[0]!.message).toMatch(message);
  });

  it('a list other than a list is reported at the key', () => {
    const [i] = issues(yaml('clients: [{name: c1}]', 'firewall: {action: drop}'));
    expect(i).toMatchObject({ path: 'firewall', line: 2, message: expect.stringMatching(/expected a list of firewall rules/) });
  });

  it('connect-timeout must be longer than 0', () => {
    const [i] = issues(yaml('clients:', '  - name: c1', '    connect-timeout: 0'));
    expect(i).toMatchObject({ path: 'clients[0].connect-timeout', line: 3, message: 'must be longer than 0' });
  });

  it('a scenario with rules and a connect-timeout is written back out as a file that loads the same', () => {
    const sc = scenarioFromText(yaml(
      'clients: [{name: c1, addr: 203.0.113.9, connect-timeout: 1500ms}]',
      'firewall:',
      '  - {action: allow, from: 203.0.113.9, port: 6379}',
      '  - {action: reject, direction: out, at: 1s, until: 2s}',
    ));
    const again = scenarioFromText(scenarioToYaml(sc));
    expect(again.firewall).toEqual(sc.firewall);
    expect(again.clients[0]!.connectTimeoutUs).toBe(1_500_000);
  });
});

describe('connect-timeout in a run', () => {
  const dropped = (timeout: string) => runYaml(yaml(
    'horizon: 200s',
    'server: {config: {protected-mode: "no"}}',
    'firewall: [{action: drop, from: 203.0.113.9}]',
    'clients:',
    `  - {name: c1, addr: 203.0.113.9, connect-timeout: ${timeout}, script: [{call: PING}]}`,
  ));

  it('gives up exactly at its time, and the kernel sends no SYN after that', () => {
    const r = dropped('4s');
    const gaveUp = r.events.find((e) => e.kind === 'client' && e.what === 'connect-timeout');
    expect(gaveUp).toMatchObject({ t: 4_000_000, client: 'c1', detail: 'gave up after 4s' });
    expect(r.events.filter((e) => e.kind === 'firewall').map((e) => e.t)).toEqual([50, 1_000_050, 3_000_050]);
    expect(r.events.some((e) => e.kind === 'connect')).toBe(false);
    expect(r.clients[0]).toMatchObject({ ended: 'timeout', endedAtUs: 4_000_000, stepsLeft: 1 });
  });

  it('longer than the kernel’s 127 s, it never fires: the kernel’s ETIMEDOUT comes first', () => {
    const r = dropped('130s');
    expect(r.events.some((e) => e.kind === 'client' && e.what === 'connect-timeout')).toBe(false);
    expect(r.events.find((e) => e.kind === 'connect')).toMatchObject({ t: 127_000_000, result: 'timeout' });
  });

  it('is cancelled once connected: the run ends when the script does, not at the timeout', () => {
    const r = runYaml(yaml('horizon: 100s', 'clients:', '  - {name: c1, connect-timeout: 60s, script: [{call: PING}, {call: QUIT}]}'));
    expect(r.clients[0]!.replies).toEqual(['+PONG', '+OK']);
    expect(r.ended).toBe('settled');
    expect(r.endUs).toBeLessThan(1_000_000);
  });
});

describe('a firewall in a run', () => {
  it('drop and reject differ in time: reject is refused after one round trip, drop hangs until the client’s timeout', () => {
    const r = runYaml(yaml(
      'horizon: 10s',
      'server: {config: {protected-mode: "no"}}',
      'network: {latency: 1ms}',
      'firewall: [{action: drop, from: 203.0.113.9}, {action: reject, from: 203.0.113.10}]',
      'clients:',
      '  - {name: dropped, addr: 203.0.113.9, connect-timeout: 5s, script: [{call: PING}]}',
      '  - {name: rejected, addr: 203.0.113.10, connect-timeout: 5s, script: [{call: PING}]}',
    ));
    const end = (n: string) => r.clients.find((c) => c.name === n)!;
    expect(end('rejected')).toMatchObject({ ended: 'refused', endedAtUs: 2000 });
    expect(end('dropped')).toMatchObject({ ended: 'timeout', endedAtUs: 5_000_000 });
  });

  it('a rule on another port, or for other addresses, changes nothing: the timeline is that of no firewall', () => {
    const base = yaml('horizon: 1s', 'clients:', '  - {name: c1, script: [{call: PING}, {call: QUIT}]}');
    const plain = runYaml(base);
    const ruled = runYaml(base + yaml('firewall: [{action: drop, port: 6380}, {action: reject, from: 10.0.0.0/8}, {action: drop, from: "::/0"}]'));
    expect(ruled.hash).toBe(plain.hash);
  });

  it('a rule removed by until lets a held request through: the reply comes one round trip after the removal', () => {
    const r = runYaml(yaml(
      'horizon: 5s',
      'firewall: [{action: drop, at: 100ms, until: 2s}]',
      'clients:',
      '  - {name: c1, script: [{call: PING}, {wait: 200ms}, {call: PING}]}',
    ));
    expect(r.clients[0]!.replies).toEqual(['+PONG', '+PONG']);
    const replies = r.events.filter((e) => e.kind === 'client' && e.what === 'reply').map((e) => e.t);
    // 50 µs each way, 2 µs of command cost on the server plus 1 ns per byte read and written.
    expect(replies[1]).toBeGreaterThanOrEqual(2_000_100);
    expect(replies[1]).toBeLessThan(2_000_110);
    expect(r.events.filter((e) => e.kind === 'fault').map((e) => [e.t, (e as { fault: string }).fault])).toEqual([
      [100_000, 'firewall-rule'],
      [2_000_000, 'firewall-rule-removed'],
    ]);
  });

  it('the runnable firewall example of docs/scenarios.md passes', () => {
    const doc = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
    const text = doc.match(/<!-- runnable example: firewall\.yaml -->\n```yaml\n([\s\S]*?)```/)![1]!;
    const r = runScenario(scenarioFromText(text, 'firewall.yaml'));
    expect(r.expectations.filter((e) => !e.passed)).toEqual([]);
    expect(r.passed).toBe(true);
  });
});
