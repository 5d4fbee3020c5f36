import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Filler } from '../../src/base/bytes.ts';
import { formatIssue, formatPath, loadScenario, parseScenario, ScenarioError } from '../../src/scenario/load.ts';
import type { ScenarioIssue } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';

/** Joins lines, so a test can count them: line 1 is the first element. */
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

function ok(text: string, file = 'scenarios/test.yaml'): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(`unexpected issues:\n${r.issues.map(formatIssue).join('\n')}`);
  return r.scenario;
}

function issues(text: string, file = 'bad.yaml'): ScenarioIssue[] {
  const r = parseScenario(text, file);
  if (r.ok) throw new Error('expected issues, the scenario loaded');
  return r.issues;
}

/** The one issue at `path`, failing when there is none or several. */
function issueAt(list: ScenarioIssue[], path: string): ScenarioIssue {
  const found = list.filter((i) => i.path === path);
  if (found.length !== 1) throw new Error(`expected one issue at '${path}', got:\n${list.map(formatIssue).join('\n')}`);
  return found[0]!;
}

const FULL = yaml(
  'name: ping-pong',
  'description: demo',
  'seed: 7',
  'horizon: 10s',
  'server:',
  '  config: {maxclients: 10, timeout: 5, client-output-buffer-limit: "pubsub 1mb 0 0"}',
  '  nofile: {soft: 1024, hard: 4096}',
  '  poll-order: fifo',
  '  cost: {command: 3us, byte: 2ns}',
  '  port: 6380',
  '  host: 10.0.0.1',
  'network:',
  '  latency: 100us',
  '  jitter: 10us',
  '  bandwidth: 10mb',
  '  sndbuf: 32kb',
  '  rcvbuf: 256kb',
  'clients:',
  '  - name: c1',
  '    connect-at: 5ms',
  '    network: {latency: 1ms}',
  '    script:',
  '      - call: PING',
  '      - send: [SET, k, {fill: 1mb}]',
  '      - inline: "PING"',
  '      - raw: "PING\\r\\n"',
  '      - pipeline: {commands: [[PING], "SET a 1"], repeat: 1000}',
  '      - wait: 10ms',
  '      - wait-replies: 1000',
  '      - wait-closed: true',
  '      - stop-reading: true',
  '      - resume-reading: true',
  '      - close: true',
  '      - vanish: true',
  '  - name: c2',
  'faults:',
  '  - at: 1s',
  '    client: c1',
  '    partition: both',
  '    duration: 2s',
  '  - {at: 2s, client: c1, vanish: true}',
  '  - {at: 0, client: c2, rst: server}',
  '  - {at: 0, client: c2, slice: {sizes: [3, 7, 1]}}',
  '  - {at: 0, client: c2, slice: {direction: both, random: [1, 20]}}',
  'expect:',
  '  - {client: c1, replies: ["+PONG", "-ERR unknown command \'FOO\', with args beginning with: "]}',
  '  - {client: c1, reply-count: 1000}',
  '  - {client: c1, closed: {reason: quit, after: 0, before: 1s}}',
  '  - {client: c2, closed: true}',
  '  - {client: c2, open: true}',
  '  - {timeline: {contains: {kind: close, reason: quit}}}',
  '  - {timeline: {lacks: {kind: reject}}}',
);

describe('a valid scenario', () => {
  it('loads every field, converted to microseconds, bytes and camelCase', () => {
    const s = ok(FULL);
    expect(s.file).toBe('scenarios/test.yaml');
    expect(s.name).toBe('ping-pong');
    expect(s.description).toBe('demo');
    expect(s.seed).toBe(7);
    expect(s.horizonUs).toBe(10_000_000);
    expect(s.server).toEqual({
      config: { maxclients: '10', timeout: '5', 'client-output-buffer-limit': 'pubsub 1mb 0 0' },
      nofile: { soft: 1024, hard: 4096 },
      pollOrder: 'fifo',
      cost: { commandUs: 3, byteNs: 2 },
      port: 6380,
      host: '10.0.0.1',
    });
    expect(s.network).toEqual({ latencyUs: 100, jitterUs: 10, bandwidth: 10 * 2 ** 20, sndbuf: 32768, rcvbuf: 262144 });
    const [c1, c2] = s.clients;
    expect(c1!.name).toBe('c1');
    expect(c1!.connectAtUs).toBe(5000);
    expect(c1!.network).toEqual({ ...s.network, latencyUs: 1000 });
    expect(c1!.line).toBe(19);
    expect(c1!.script).toEqual([
      { op: 'call', args: ['PING'] },
      { op: 'send', args: ['SET', 'k', { fill: 1048576 }] },
      { op: 'inline', text: 'PING' },
      { op: 'raw', bytes: [Buffer.from('PING\r\n', 'latin1')] },
      { op: 'pipeline', commands: [['PING'], ['SET', 'a', '1']], repeat: 1000 },
      { op: 'wait', us: 10_000 },
      { op: 'wait-replies', count: 1000 },
      { op: 'wait-closed' },
      { op: 'stop-reading' },
      { op: 'resume-reading' },
      { op: 'close' },
      { op: 'vanish' },
    ]);
    expect(c2).toMatchObject({ name: 'c2', connectAtUs: 0, script: [], network: s.network, line: 35 });
    expect(s.faults).toEqual([
      { atUs: 1_000_000, client: 'c1', kind: 'partition', direction: 'both', durationUs: 2_000_000 },
      { atUs: 2_000_000, client: 'c1', kind: 'vanish' },
      { atUs: 0, client: 'c2', kind: 'rst', toward: 'server' },
      { atUs: 0, client: 'c2', kind: 'slice', direction: 'to-server', sizes: [3, 7, 1] },
      { atUs: 0, client: 'c2', kind: 'slice', direction: 'both', random: [1, 20] },
    ]);
    expect(s.expect).toEqual([
      { kind: 'replies', client: 'c1', replies: ['+PONG', "-ERR unknown command 'FOO', with args beginning with: "], line: 46 },
      { kind: 'reply-count', client: 'c1', count: 1000, line: 47 },
      { kind: 'closed', client: 'c1', reason: 'quit', afterUs: 0, beforeUs: 1_000_000, line: 48 },
      { kind: 'closed', client: 'c2', line: 49 },
      { kind: 'open', client: 'c2', line: 50 },
      { kind: 'contains', pattern: { kind: 'close', reason: 'quit' }, line: 51 },
      { kind: 'lacks', pattern: { kind: 'reject' }, line: 52 },
    ]);
  });

  it('gets every default when only a client is given', () => {
    const s = ok(yaml('clients:', '  - name: a'), 'dir/sub/my-case.yaml');
    expect(s.name).toBe('my-case');
    expect(s.description).toBe('');
    expect(s.seed).toBe(1);
    expect(s.horizonUs).toBe(60_000_000);
    expect(s.server).toEqual({
      config: {},
      nofile: { soft: 1024, hard: 1048576 },
      pollOrder: 'fd',
      cost: { commandUs: 2, byteNs: 1 },
      port: 6379,
      host: '127.0.0.1',
    });
    expect(s.network).toEqual({ latencyUs: 50, jitterUs: 0, bandwidth: 0, sndbuf: 16384, rcvbuf: 131072 });
    expect(s.clients).toEqual([{ name: 'a', connectAtUs: 0, network: s.network, script: [], line: 2 }]);
    expect(s.faults).toEqual([]);
    expect(s.expect).toEqual([]);
  });

  it('keeps the other nofile limit at its default when one is given', () => {
    expect(ok(yaml('server: {nofile: {soft: 10000}}')).server.nofile).toEqual({ soft: 10000, hard: 1048576 });
    expect(ok(yaml('server: {nofile: {hard: 2048}}')).server.nofile).toEqual({ soft: 1024, hard: 2048 });
  });

  it('splits a command string on whitespace and keeps list arguments as written', () => {
    const s = ok(
      yaml(
        'clients:',
        '  - name: a',
        '    script:',
        '      - call: "SET  k   v"',
        '      - call: [INCRBYFLOAT, k, 1.50]',
        '      - call: [SET, k, 007, null, true, "hello world", ""]',
        '      - pipeline: [[EXPIRE, k, 10], ECHO 1.0]',
        'expect:',
        '  - {client: a, replies: [+1, :5, "$-1"]}',
      ),
    );
    expect(s.clients[0]!.script).toEqual([
      { op: 'call', args: ['SET', 'k', 'v'] },
      { op: 'call', args: ['INCRBYFLOAT', 'k', '1.50'] },
      { op: 'call', args: ['SET', 'k', '007', 'null', 'true', 'hello world', ''] },
      { op: 'pipeline', commands: [['EXPIRE', 'k', '10'], ['ECHO', '1.0']], repeat: 1 },
    ]);
    expect(s.expect[0]).toMatchObject({ replies: ['+1', ':5', '$-1'] });
  });

  it('turns raw strings into latin1 bytes', () => {
    const s = ok(yaml('clients:', '  - name: a', '    script:', '      - raw: "\\x00\\xff\\r\\né"'));
    expect(s.clients[0]!.script[0]).toEqual({ op: 'raw', bytes: [Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0xe9])] });
  });

  it('ignores top-level x- keys, so they can hold anchors, and supports merge keys', () => {
    const s = ok(
      yaml(
        'x-steps: &steps',
        '  - call: PING',
        'x-net: &net {latency: 2ms}',
        'clients:',
        '  - {name: a, script: *steps}',
        '  - name: b',
        '    network: {<<: *net, jitter: 1ms}',
      ),
    );
    expect(s.clients[0]!.script).toEqual([{ op: 'call', args: ['PING'] }]);
    expect(s.clients[1]!.network).toMatchObject({ latencyUs: 2000, jitterUs: 1000 });
  });

  it('stores redis.conf values as strings whether written as numbers or strings', () => {
    const s = ok(yaml('server:', '  config: {hz: 100, maxmemory: 1gb, save: "", loglevel: verbose}'));
    expect(s.server.config).toEqual({ hz: '100', maxmemory: '1gb', save: '', loglevel: 'verbose' });
  });
});

describe('{fill} arguments', () => {
  it('stay virtual: {fill: n} in commands and Filler segments in raw bytes, never allocated', () => {
    const s = ok(
      yaml(
        'clients:',
        '  - name: a',
        '    script:',
        '      - send: [SET, k, {fill: 1gb}]',
        '      - pipeline: {commands: [[SET, k, {fill: 10kb}]], repeat: 3}',
        '      - raw: ["*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1073741824\\r\\n", {fill: 1gb}, "\\r\\n"]',
      ),
    );
    const [send, pipe, raw] = s.clients[0]!.script;
    expect(send).toEqual({ op: 'send', args: ['SET', 'k', { fill: 2 ** 30 }] });
    expect(pipe).toEqual({ op: 'pipeline', commands: [['SET', 'k', { fill: 10240 }]], repeat: 3 });
    if (raw?.op !== 'raw') throw new Error('expected a raw step');
    expect(raw.bytes[1]).toBeInstanceOf(Filler);
    expect(raw.bytes[1]!.length).toBe(2 ** 30);
    expect(Buffer.isBuffer(raw.bytes[0])).toBe(true);
  });
});

describe('count', () => {
  const GROUP = yaml(
    'network: {latency: 1ms}',
    'clients:',
    '  - name: w',
    '    count: 3',
    '    connect-at: 10ms',
    '    network: {jitter: 5us}',
    '    script: [{call: PING}]',
    '  - name: solo',
    'faults:',
    '  - {at: 1s, client: w-2, vanish: true}',
    'expect:',
    '  - {client: w, reply-count: 1}',
    '  - {client: w-3, open: true}',
  );

  it('expands a group into members named base-1 … base-N, each a full client', () => {
    const s = ok(GROUP);
    expect(s.clients.map((c) => c.name)).toEqual(['w-1', 'w-2', 'w-3', 'solo']);
    for (const c of s.clients.slice(0, 3)) {
      expect(c).toMatchObject({ connectAtUs: 10_000, line: 3, script: [{ op: 'call', args: ['PING'] }] });
      expect(c.network).toMatchObject({ latencyUs: 1000, jitterUs: 5 });
    }
    expect(s.clients[3]!.line).toBe(8);
  });

  it('gives every member the suffix even with count: 1', () => {
    expect(ok(yaml('clients: [{name: w, count: 1}]')).clients.map((c) => c.name)).toEqual(['w-1']);
  });

  it('expands an expectation naming the group into one per member', () => {
    const s = ok(GROUP);
    expect(s.expect).toEqual([
      { kind: 'reply-count', client: 'w-1', count: 1, line: 12 },
      { kind: 'reply-count', client: 'w-2', count: 1, line: 12 },
      { kind: 'reply-count', client: 'w-3', count: 1, line: 12 },
      { kind: 'open', client: 'w-3', line: 13 },
    ]);
    expect(s.faults).toEqual([{ atUs: 1_000_000, client: 'w-2', kind: 'vanish' }]);
  });

  it('refuses a fault naming the group, since a fault applies to one client', () => {
    const i = issueAt(issues(yaml('clients: [{name: w, count: 3}]', 'faults:', '  - {at: 0, client: w, vanish: true}')), 'faults[0].client');
    expect(i.line).toBe(3);
    expect(i.message).toMatch(/'w' is a group of 3 clients; a fault applies to one client: w-1, w-2, w-3/);
  });

  it('refuses a name that collides with a member of a group', () => {
    const list = issues(yaml('clients:', '  - {name: w, count: 2}', '  - {name: w-2}'));
    const i = issueAt(list, 'clients[1].name');
    expect(i.line).toBe(3);
    expect(i.message).toMatch(/duplicate client name 'w-2': already used by clients\[0\] \(produced by its count: 2\)/);
  });

  it('refuses a timeline pattern naming the group and suggests a regex', () => {
    const list = issues(yaml('clients: [{name: w, count: 2}]', 'expect:', '  - {timeline: {contains: {kind: close, client: w}}}'));
    expect(issueAt(list, 'expect[0].timeline.contains.client').message).toMatch(/events carry member names \(w-1, w-2\).*'\/\^w-\\d\+\$\/'/);
    ok(yaml('clients: [{name: w, count: 2}]', 'expect:', '  - {timeline: {contains: {kind: close, client: "/^w-/"}}}'));
  });
});

describe('errors', () => {
  // Each case: a file, the path of its one issue, its line and column, and a pattern of its message.
  const cases: Array<[string, string, string, number, number, RegExp]> = [
    ['a YAML syntax error', yaml('clients:', '  - name: "a'), '', 2, 12, /Missing closing "quote/],
    ['a duplicate key', yaml('seed: 1', 'seed: 2'), '', 2, 1, /duplicate key/],
    ['a wrong type', yaml('seed: one'), 'seed', 1, 7, /expected a number, got 'one'/],
    ['a non-integer', yaml('seed: 1.5'), 'seed', 1, 7, /expected an integer, got 1.5/],
    ['a value out of range', yaml('server: {port: 0}'), 'server.port', 1, 16, /must be at least 1 \(got 0\)/],
    ['a bare number as a duration', yaml('horizon: 10'), 'horizon', 1, 10, /the duration 10 has no unit: add one/],
    ['a bad duration unit', yaml('clients:', '  - name: a', '    connect-at: 10sec'), 'clients[0].connect-at', 3, 17, /unknown unit 'sec'/],
    ['a zero horizon', yaml('horizon: 0'), 'horizon', 1, 10, /must be longer than 0/],
    ['a bad size', yaml('network: {sndbuf: 1.5kb}'), 'network.sndbuf', 1, 19, /sizes are whole numbers/],
    ['a zero buffer size', yaml('network: {rcvbuf: 0}'), 'network.rcvbuf', 1, 19, /must be greater than 0/],
    ['a bad enum value', yaml('server: {poll-order: lifo}'), 'server.poll-order', 1, 22, /expected one of fd, fifo, random; got 'lifo' \(did you mean fifo\?\)/],
    ['soft nofile above hard', yaml('server: {nofile: {soft: 5000, hard: 4096}}'), 'server.nofile.soft', 1, 25, /soft limit 5000 is above the hard limit 4096/],
    ['soft nofile above the default hard', yaml('server: {nofile: {soft: 2000000}}'), 'server.nofile.soft', 1, 25, /above the hard limit 1048576 \(the default\)/],
    ['a boolean redis.conf value', yaml('server:', '  config: {appendonly: true}'), 'server.config.appendonly', 2, 24, /write "yes" or "no"/],
    ['a host that is not an address', yaml('server: {host: localhost}'), 'server.host', 1, 16, /expected an IP address/],
    ['a missing client name', yaml('clients:', '  - script: []'), 'clients[0]', 2, 5, /a client needs the key 'name'/],
    ['a bad client name', yaml('clients:', '  - name: "a b"'), 'clients[0].name', 2, 11, /letters, digits/],
    ['an empty client name value', yaml('clients:', '  - name:'), 'clients[0].name', 2, 5, /expected a string, got an empty value/],
    ['a duplicate client name', yaml('clients:', '  - name: a', '  - name: a'), 'clients[1].name', 3, 11, /duplicate client name 'a': already used by clients\[0\]/],
    ['a step with two operations', yaml('clients:', '  - name: a', '    script:', '      - call: PING', '        send: PING'), 'clients[0].script[0]', 4, 9, /exactly one operation, but this one has call and send/],
    ['a step with no operation', yaml('clients:', '  - name: a', '    script:', '      - {}'), 'clients[0].script[0]', 4, 9, /a step needs one of the keys call, send/],
    ['a step that is not a map', yaml('clients:', '  - name: a', '    script:', '      - PING'), 'clients[0].script[0]', 4, 9, /expected a step: a map with one of the keys .* got 'PING'/],
    ['a flag step with false', yaml('clients:', '  - name: a', '    script:', '      - close: false'), 'clients[0].script[0].close', 4, 16, /expected true/],
    ['an empty command', yaml('clients:', '  - name: a', '    script:', '      - call: "  "'), 'clients[0].script[0].call', 4, 15, /a command cannot be empty/],
    ['a filler with an extra key', yaml('clients:', '  - name: a', '    script:', '      - send: [SET, k, {fill: 1mb, byte: 1}]'), 'clients[0].script[0].send[2].byte', 4, 36, /unknown key 'byte' in a filler \(allowed: fill\)/],
    ['a non-latin1 raw string', yaml('clients:', '  - name: a', '    script:', '      - raw: "π"'), 'clients[0].script[0].raw', 4, 14, /'π' \(U\+03C0\) is not a single byte/],
    ['a multi-line inline command', yaml('clients:', '  - name: a', '    script:', '      - inline: "PING\\r\\nPING"'), 'clients[0].script[0].inline', 4, 17, /use raw:/],
    ['a pipeline without commands', yaml('clients:', '  - name: a', '    script:', '      - pipeline: {repeat: 2}'), 'clients[0].script[0].pipeline', 4, 19, /pipeline needs the key 'commands'/],
    ['a fault naming an unknown client', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c2, vanish: true}'), 'faults[0].client', 3, 21, /no client named 'c2'; did you mean 'c1'\? \(clients: c1\)/],
    ['a partition without duration', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c1, partition: both}'), 'faults[0]', 3, 5, /a partition fault needs the key 'duration'/],
    ['a duration on a non-partition fault', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c1, rst: client, duration: 1s}'), 'faults[0].duration', 3, 38, /'duration' applies only to partition \(this is rst\)/],
    ['a fault with two kinds', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c1, rst: client, vanish: true}'), 'faults[0]', 3, 5, /has rst and vanish/],
    ['a slice with both sizes and random', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c1, slice: {sizes: [1], random: [1, 2]}}'), 'faults[0].slice', 3, 32, /either sizes or random, not both/],
    ['a slice range upside down', yaml('clients: [{name: c1}]', 'faults:', '  - {at: 0, client: c1, slice: {random: [5, 2]}}'), 'faults[0].slice.random', 3, 41, /min <= max/],
    ['an expectation naming an unknown client', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c9, open: true}'), 'expect[0].client', 3, 14, /no client named 'c9'/],
    ['an expectation without client', yaml('clients: [{name: c1}]', 'expect:', '  - {open: true}'), 'expect[0]', 3, 5, /an open expectation needs the key 'client'/],
    ['an unknown close reason', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, closed: {reason: timeout}}'), 'expect[0].closed.reason', 3, 35, /expected one of quit, peer-closed, .* got 'timeout'/],
    ['closed: false', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, closed: false}'), 'expect[0].closed', 3, 26, /write open: true/],
    ['after later than before', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, closed: {after: 2s, before: 1s}}'), 'expect[0].closed.before', 3, 46, /before must be later than after/],
    ['an empty close window', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, closed: {after: 1s, before: 1s}}'), 'expect[0].closed.before', 3, 46, /before must be later than after/],
    ['a reply without its type character', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, replies: [PONG]}'), 'expect[0].replies[0]', 3, 28, /did you mean '\+PONG'\?/],
    ['an unquoted array reply', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, replies: [[a, b]]}'), 'expect[0].replies[0]', 3, 28, /got a list \(quote renderings/],
    ['an unknown event kind', yaml('expect:', '  - {timeline: {contains: {kind: clos}}}'), 'expect[0].timeline.contains.kind', 2, 34, /unknown event kind 'clos'; did you mean 'close'\?/],
    ['an unknown event field', yaml('expect:', '  - {timeline: {lacks: {kind: close, reasn: quit}}}'), 'expect[0].timeline.lacks.reasn', 2, 38, /close events have no field 'reasn'; did you mean 'reason'\?/],
    ['an unknown reason in a pattern', yaml('expect:', '  - {timeline: {lacks: {kind: close, reason: qit}}}'), 'expect[0].timeline.lacks.reason', 2, 46, /unknown reason 'qit'; did you mean 'quit'\?/],
    ['an invalid regex in a pattern', yaml('expect:', '  - {timeline: {lacks: {detail: "/[/"}}}'), 'expect[0].timeline.lacks.detail', 2, 33, /invalid regular expression/],
    ['a client on a timeline expectation', yaml('clients: [{name: c1}]', 'expect:', '  - {client: c1, timeline: {lacks: {kind: reject}}}'), 'expect[0].client', 3, 6, /takes no client/],
    ['a list where a map is expected', yaml('server: [1, 2]'), 'server', 1, 9, /expected server: a map with keys config, nofile/],
    ['a top-level list', yaml('- a'), '', 1, 1, /expected the scenario: a map/],
    ['an empty file', '', '', 1, 1, /the scenario file is empty/],
    ['several YAML documents', yaml('seed: 1', '---', 'seed: 2'), '', 2, 1, /one YAML document/],
  ];

  for (const [what, text, path, line, column, message] of cases) {
    it(`reports ${what} with its line, column and path`, () => {
      const list = issues(text);
      expect(list, list.map(formatIssue).join('\n')).toHaveLength(1);
      expect(list[0]).toMatchObject({ file: 'bad.yaml', path, line, column });
      expect(list[0]!.message).toMatch(message);
    });
  }

  it('reports every problem of a file at once, in file order', () => {
    const list = issues(
      yaml(
        'seed: -1', //                                1
        'horizon: 10', //                             2
        'network: {latency: 5 ms}', //                3
        'clients:', //                                4
        '  - name: c1', //                            5
        '    conect-at: 10ms', //                     6
        '    script:', //                             7
        '      - cal: PING', //                       8
        '      - wait: 10', //                        9
        '  - name: c1', //                            10
        'faults:', //                                 11
        '  - {at: 1, client: c3, vanish: true}', //   12
        'expect:', //                                 13
        '  - {client: c4, reply-count: -1}', //       14
      ),
    );
    expect(list.map((i) => [i.line, i.path])).toEqual([
      [1, 'seed'],
      [2, 'horizon'],
      [3, 'network.latency'],
      [6, 'clients[0].conect-at'],
      [8, 'clients[0].script[0].cal'],
      [9, 'clients[0].script[1].wait'],
      [10, 'clients[1].name'],
      [12, 'faults[0].at'],
      [12, 'faults[0].client'],
      [14, 'expect[0].client'],
      [14, 'expect[0].reply-count'],
    ]);
  });

  it('reports every YAML syntax error with its line', () => {
    const list = issues(yaml('a: [1, 2', 'b: {x: 1', 'c: 1', 'c: 2'));
    expect(list.map((i) => i.line)).toEqual([2, 3, 4]);
  });
});

describe('a misspelt key', () => {
  const cases: Array<[string, string, string, string]> = [
    ['conect-at in a client', yaml('clients:', '  - name: a', '    conect-at: 1ms'), 'clients[0].conect-at', 'connect-at'],
    ['connectAt (camelCase) in a client', yaml('clients:', '  - name: a', '    connectAt: 1ms'), 'clients[0].connectAt', 'connect-at'],
    ['hoizon at the top level', yaml('hoizon: 5s'), 'hoizon', 'horizon'],
    ['clinets at the top level', yaml('clinets: []'), 'clinets', 'clients'],
    ['pollorder in server', yaml('server: {pollorder: fd}'), 'server.pollorder', 'poll-order'],
    ['latncy in network', yaml('network: {latncy: 1ms}'), 'network.latncy', 'latency'],
    ['cal in a step', yaml('clients:', '  - name: a', '    script: [{cal: PING}]'), 'clients[0].script[0].cal', 'call'],
    ['wait-reply in a step', yaml('clients:', '  - name: a', '    script: [{wait-reply: 3}]'), 'clients[0].script[0].wait-reply', 'wait-replies'],
    ['partiton in a fault', yaml('clients: [{name: a}]', 'faults: [{at: 0, client: a, partiton: both, duration: 1s}]'), 'faults[0].partiton', 'partition'],
    ['reply_count in an expectation', yaml('clients: [{name: a}]', 'expect: [{client: a, reply_count: 1}]'), 'expect[0].reply_count', 'reply-count'],
  ];
  for (const [what, text, path, meant] of cases) {
    it(`${what} names the closest allowed key, ${meant}`, () => {
      const list = issues(text);
      const i = issueAt(list, path);
      expect(i.message).toContain(`did you mean '${meant}'?`);
      expect(i.message).toMatch(/\(allowed: /);
      expect(list, list.map(formatIssue).join('\n')).toHaveLength(1);
    });
  }

  it('points at the key itself', () => {
    const i = issueAt(issues(yaml('clients:', '  - name: a', '    conect-at: 1ms')), 'clients[0].conect-at');
    expect([i.line, i.column]).toEqual([3, 5]);
  });

  it('lists the allowed keys without a guess when nothing is close', () => {
    const i = issueAt(issues(yaml('zzzzzz: 1')), 'zzzzzz');
    expect(i.message).not.toContain('did you mean');
    expect(i.message).toContain('allowed: name, description, seed, horizon, server, network, clients, faults, firewall, expect');
  });
});

describe('loadScenario', () => {
  it('throws one clear issue for a missing file', () => {
    const file = join(tmpdir(), 'redsim-no-such-dir', 'missing.yaml');
    let err: unknown;
    try {
      loadScenario(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const issuesList = (err as ScenarioError).issues;
    expect(issuesList).toEqual([{ file, line: 0, column: 0, path: '', message: `cannot read scenario file: ${file}: no such file` }]);
    expect((err as ScenarioError).message).toBe(`${file}: cannot read scenario file: ${file}: no such file`);
  });

  it('reads a file and names the scenario after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-scenario-'));
    const file = join(dir, 'hello.yaml');
    writeFileSync(file, yaml('clients: [{name: a, script: [{call: PING}]}]'));
    const s = loadScenario(file);
    expect(s.name).toBe('hello');
    expect(s.file).toBe(file);
  });

  it('throws a ScenarioError holding every issue, its message one formatted issue per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redsim-scenario-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml('seed: x', 'horizon: 5'));
    expect(() => loadScenario(file)).toThrow(ScenarioError);
    try {
      loadScenario(file);
    } catch (e) {
      const err = e as ScenarioError;
      expect(err.issues).toHaveLength(2);
      expect(err.message.split('\n')).toEqual(err.issues.map(formatIssue));
      expect(err.message).toContain(`${file}:1:7: seed: expected a number, got 'x'`);
    }
  });
});

describe('formatting', () => {
  it('formats an issue as file:line:col: path: message', () => {
    expect(formatIssue({ file: 'a.yaml', line: 3, column: 5, path: 'clients[0].script[2].send', message: 'bad' })).toBe(
      'a.yaml:3:5: clients[0].script[2].send: bad',
    );
    expect(formatIssue({ file: 'a.yaml', line: 1, column: 1, path: '', message: 'bad' })).toBe('a.yaml:1:1: bad');
  });

  it('formats paths with dots for keys and brackets for indices', () => {
    expect(formatPath(['clients', 0, 'script', 2, 'send'])).toBe('clients[0].script[2].send');
    expect(formatPath(['server', 'config', 'client-output-buffer-limit'])).toBe('server.config.client-output-buffer-limit');
    expect(formatPath(['server', 'config', 'a b'])).toBe('server.config["a b"]');
  });
});

describe('Scenario.locate', () => {
  it('finds paths after loading, or the nearest enclosing node that exists', () => {
    const s = ok(FULL, 'f.yaml');
    expect(s.locate(['clients', 0, 'script', 1, 'send'])).toEqual({ file: 'f.yaml', line: 24, column: 15 });
    expect(s.locate(['clients', 0, 'script', 1, 'send', 2, 'fill'])).toEqual({ file: 'f.yaml', line: 24, column: 31 });
    expect(s.locate(['faults', 0])).toEqual({ file: 'f.yaml', line: 37, column: 5 });
    expect(s.locate(['clients', 1, 'script'])).toEqual({ file: 'f.yaml', line: 35, column: 5 });
    expect(s.locate(['clients', 7])).toEqual({ file: 'f.yaml', line: 19, column: 3 });
    expect(s.locate([])).toEqual({ file: 'f.yaml', line: 1, column: 1 });
  });
});

describe('the documentation', () => {
  const doc = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
  const examples = [...doc.matchAll(/<!-- runnable example: (\S+) -->\n```yaml\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!] as const);

  it('has at least two runnable examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, text] of examples) {
    it(`runnable example ${name} loads without issues`, () => {
      const s = ok(text, name);
      expect(s.name).toBe(name.replace(/\.yaml$/, ''));
      expect(s.clients.length).toBeGreaterThan(0);
      expect(s.expect.length).toBeGreaterThan(0);
    });
  }

  it('shows an anchors example that loads', () => {
    const section = doc.match(/## Conventions[\s\S]*?```yaml\n([\s\S]*?)```/)![1]!;
    expect(ok(section).clients.map((c) => c.script)).toEqual([[{ op: 'call', args: ['PING'] }], [{ op: 'call', args: ['PING'] }]]);
  });

  it('shows an expect example that loads', () => {
    // The reference example of the expect section uses clients it does not define; give it some.
    const section = doc.match(/## expect[\s\S]*?```yaml\n([\s\S]*?)```/)![1]!;
    ok(`clients: [{name: c1}, {name: c2}, {name: c3}]\n${section}`);
  });
});
