// INFO (server.c genRedisInfoString, 7.0.15) through inline scenarios: section selection, the
// exact field lists and order of Clients and Stats, and the counters the core keeps.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { repliesOf, runYaml, runSolo } from '../helpers/run-yaml.ts';

function solo(steps: string[], server = '{}'): RunResult {
  return runSolo(steps, { server, horizon: '5s' });
}

/** The rendered bulk reply back as text: `\r` and `\n` unescaped. */
function text(rendered: string): string {
  expect(rendered.startsWith('$')).toBe(true);
  return rendered.slice(1).replace(/\\r/g, '\r').replace(/\\n/g, '\n');
}

/** field -> value of an INFO text. */
function fields(info: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

const STATS_FIELDS = [
  'total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'total_net_input_bytes',
  'total_net_output_bytes', 'total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps',
  'instantaneous_output_kbps', 'instantaneous_input_repl_kbps', 'instantaneous_output_repl_kbps', 'rejected_connections',
  'sync_full', 'sync_partial_ok', 'sync_partial_err', 'expired_keys', 'expired_stale_perc', 'expired_time_cap_reached_count',
  'expire_cycle_cpu_milliseconds', 'evicted_keys', 'evicted_clients', 'total_eviction_exceeded_time',
  'current_eviction_exceeded_time', 'keyspace_hits', 'keyspace_misses', 'pubsub_channels', 'pubsub_patterns',
  'pubsubshard_channels', 'latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys',
  'active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits', 'active_defrag_key_misses',
  'total_active_defrag_time', 'current_active_defrag_time', 'tracking_total_keys', 'tracking_total_items',
  'tracking_total_prefixes', 'unexpected_error_replies', 'total_error_replies', 'dump_payload_sanitizations',
  'total_reads_processed', 'total_writes_processed', 'io_threaded_reads_processed', 'io_threaded_writes_processed',
  'reply_buffer_shrinks', 'reply_buffer_expands',
];

describe('INFO sections', () => {
  it('INFO clients is the 8 fields of 7.0 in order, with CRLF line ends', () => {
    const info = text(repliesOf(solo(['{call: [INFO, clients]}']), 'c1')[0]!);
    expect(info).toMatch(/^# Clients\r\nconnected_clients:1\r\ncluster_connections:0\r\nmaxclients:10000\r\nclient_recent_max_input_buffer:\d+\r\nclient_recent_max_output_buffer:\d+\r\nblocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n$/);
  });

  it('INFO stats lists the 7.0 fields in order, ending with the reply buffer counters', () => {
    const info = text(repliesOf(solo(['{call: [INFO, stats]}']), 'c1')[0]!);
    const lines = info.split('\r\n');
    expect(lines[0]).toBe('# Stats');
    expect(lines.slice(1, -1).map((l) => l.split(':')[0])).toEqual(STATS_FIELDS);
    expect(lines[lines.length - 1]).toBe('');
    expect(info).toContain('\r\ninstantaneous_input_kbps:0.00\r\n');
    expect(info).toContain('\r\nexpired_stale_perc:0.00\r\n');
    expect(info).not.toContain('client_query_buffer_limit_disconnections');
    expect(info).not.toContain('client_output_buffer_limit_disconnections');
  });

  it('INFO server reports the version, standalone mode, the port and both hz values', () => {
    const r = runYaml(`
horizon: 5s
server: {port: 7777, config: {hz: 20}}
clients:
  - name: c1
    connect-at: 2500ms
    script: [{call: [INFO, SERVER]}]
`);
    const f = fields(text(repliesOf(r, 'c1')[0]!));
    expect(f.get('redis_version')).toBe('7.0.15');
    expect(f.get('redis_mode')).toBe('standalone');
    expect(f.get('tcp_port')).toBe('7777');
    expect(f.get('uptime_in_seconds')).toBe('2');
    expect(f.get('uptime_in_days')).toBe('0');
    expect(f.get('hz')).toBe('20');
    expect(f.get('configured_hz')).toBe('20');
    expect(f.get('process_id')).toMatch(/^\d+$/);
  });

  it('no argument and DEFAULT give the modelled default sections in order, separated by a blank line', () => {
    const [plain, dflt] = repliesOf(solo(['{call: INFO}', '{call: [INFO, default]}']), 'c1').map(text);
    expect(plain).toMatch(/^# Server\r\n(.+\r\n)+\r\n# Clients\r\n(.+\r\n)+\r\n# Stats\r\n(.+\r\n)+$/);
    expect(dflt!.split('\r\n').filter((l) => l.startsWith('#'))).toEqual(['# Server', '# Clients', '# Stats']);
  });

  it('ALL and EVERYTHING include every modelled section', () => {
    for (const arg of ['all', 'EVERYTHING']) {
      const info = text(repliesOf(solo([`{call: [INFO, ${arg}]}`]), 'c1')[0]!);
      expect(info.split('\r\n').filter((l) => l.startsWith('#'))).toEqual(['# Server', '# Clients', '# Stats']);
    }
  });

  it('several sections come out in INFO order, not argument order, each once', () => {
    const info = text(repliesOf(solo(['{call: [INFO, stats, Clients, stats]}']), 'c1')[0]!);
    expect(info.split('\r\n').filter((l) => l.startsWith('#'))).toEqual(['# Clients', '# Stats']);
  });

  it('an unknown or unmodelled section gives an empty bulk string, not an error', () => {
    expect(repliesOf(solo(['{call: [INFO, nosuch]}', '{call: [INFO, memory]}']), 'c1')).toEqual(['$', '$']);
  });

  it('is a verbatim txt string for a RESP3 client', () => {
    const r = solo(['{call: [HELLO, "3"]}', '{call: [INFO, clients]}']);
    expect(repliesOf(r, 'c1')[1]).toMatch(/^=txt:# Clients\\r\\nconnected_clients:1\\r\\n/);
  });
});

describe('INFO values', () => {
  it('counts connections, commands (not the running INFO itself), errors, reads and writes', () => {
    const r = solo(['{call: PING}', '{call: FOO}', '{call: [GET]}', '{call: [INFO, stats]}']);
    const f = fields(text(repliesOf(r, 'c1')[3]!));
    expect(f.get('total_connections_received')).toBe('1');
    expect(f.get('total_commands_processed')).toBe('1');
    expect(f.get('total_error_replies')).toBe('2');
    expect(f.get('total_reads_processed')).toBe('4');
    expect(f.get('total_writes_processed')).toBe('3');
  });

  it('net input counts every request byte received so far, net output every reply byte written', () => {
    // PING as RESP = 14 bytes, +PONG = 7 bytes; INFO stats as RESP = 25 bytes.
    const r = solo(['{call: PING}', '{call: [INFO, stats]}']);
    const f = fields(text(repliesOf(r, 'c1')[1]!));
    expect(f.get('total_net_input_bytes')).toBe(String(14 + 25));
    expect(f.get('total_net_output_bytes')).toBe('7');
  });

  it('rejected_connections counts maxclients refusals, which are not received connections', () => {
    const r = runYaml(`
horizon: 2s
server: {config: {maxclients: 1}}
clients:
  - name: c1
    script: [{wait: 100ms}, {call: [INFO, stats]}]
  - name: c2
    connect-at: 10ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'c2')).toEqual(['-ERR max number of clients reached']);
    const f = fields(text(repliesOf(r, 'c1')[0]!));
    expect(f.get('rejected_connections')).toBe('1');
    expect(f.get('total_connections_received')).toBe('1');
  });

  it('connected_clients includes MONITOR and subscribed clients; maxclients follows CONFIG SET', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: mon
    script: [{call: MONITOR}, {wait: 200ms}]
  - name: sub
    connect-at: 10ms
    script: [{call: [SUBSCRIBE, a, b]}, {call: [PSUBSCRIBE, "p*"]}, {wait: 200ms}]
  - name: c1
    connect-at: 50ms
    script: [{call: [CONFIG, SET, maxclients, "50"]}, {call: [INFO, clients, stats]}]
`);
    const f = fields(text(repliesOf(r, 'c1')[1]!));
    expect(f.get('connected_clients')).toBe('3');
    expect(f.get('maxclients')).toBe('50');
    expect(f.get('pubsub_channels')).toBe('2');
    expect(f.get('pubsub_patterns')).toBe('1');
  });

  it('blocked_clients counts clients postponed by CLIENT PAUSE', () => {
    const r = runYaml(`
horizon: 3s
clients:
  - name: p
    script: [{call: [CLIENT, PAUSE, "500", WRITE]}, {wait: 1s}]
  - name: w
    connect-at: 10ms
    script: [{call: [SET, k, v]}]
  - name: c1
    connect-at: 100ms
    script: [{call: [INFO, clients]}]
`);
    const f = fields(text(repliesOf(r, 'c1')[0]!));
    expect(f.get('blocked_clients')).toBe('1');
    expect(f.get('clients_in_timeout_table')).toBe('0');
  });

  it('client_recent_max_output_buffer remembers a big output buffer seen by the cron', () => {
    const r = runYaml(`
horizon: 3s
clients:
  - name: slow
    script: [{call: PING}, {stop-reading: true}, {pipeline: {commands: [[ECHO, {fill: 64kb}]], repeat: 10}}, {wait: 1500ms}]
  - name: c1
    connect-at: 1s
    script: [{call: [INFO, clients]}]
`);
    const f = fields(text(repliesOf(r, 'c1')[0]!));
    expect(Number(f.get('client_recent_max_output_buffer'))).toBeGreaterThan(100_000);
  });
});
