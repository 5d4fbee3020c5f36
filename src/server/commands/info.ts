// INFO (server.c genRedisInfoString, 7.0.15) for the sections redsim models: server, clients and
// stats, with Redis's field names and order. Other sections (memory, persistence, replication, cpu,
// modules, commandstats, errorstats, latencystats, cluster, keyspace) are not modelled and are left
// out, as Redis leaves out a section nobody asked for.
import type { Arg } from '../../protocol/request-parser.ts';
import { CLIENT_BLOCKED, CLIENT_SLAVE, CLIENT_MONITOR, type Client } from '../client.ts';
import { getExpansiveClientsInfo } from '../cron.ts';
import type { Server } from '../server.ts';
import { REDIS_VERSION } from './auth.ts';
import { addReplyVerbatim, argText } from './client.ts';
import { registerCommand } from './table.ts';

/**
 * The simulated server is not an OS process; INFO reports this fixed process id so that runs stay
 * deterministic.
 */
export const REDSIM_PROCESS_ID = 1;

/** LRU_CLOCK_RESOLUTION (ms) and LRU_CLOCK_MAX (24 bits). */
const LRU_CLOCK_RESOLUTION = 1000;
const LRU_CLOCK_MAX = (1 << 24) - 1;

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'module_list', 'errorstats', 'cluster', 'keyspace'];

/** genInfoSectionDict: section names (case-insensitive), plus `default`, `all`, `everything`. */
function sectionsOf(args: Arg[]): { sections: Set<string>; all: boolean } {
  if (args.length === 0) return { sections: new Set(DEFAULT_SECTIONS), all: false };
  const sections = new Set<string>();
  let all = false;
  for (const a of args) {
    const s = argText(a).toLowerCase();
    if (s === 'default') for (const d of DEFAULT_SECTIONS) sections.add(d);
    else if (s === 'all' || s === 'everything') all = true;
    else sections.add(s);
  }
  return { sections, all };
}

const f2 = (n: number): string => n.toFixed(2);

function serverSection(server: Server): string[] {
  const us = server.backend.unixTimeUs();
  const uptime = server.unixtime - server.statStarttime;
  return [
    `redis_version:${REDIS_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_mode:standalone',
    'arch_bits:64',
    'multiplexing_api:epoll',
    `process_id:${REDSIM_PROCESS_ID}`,
    'process_supervised:no',
    `tcp_port:${server.config.port}`,
    `server_time_usec:${us}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / (3600 * 24))}`,
    `hz:${server.hz}`,
    `configured_hz:${server.config.hz}`,
    `lru_clock:${Math.floor(us / 1000 / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX}`,
    'io_threads_active:0',
  ];
}

function clientsSection(server: Server): string[] {
  const { input, output } = getExpansiveClientsInfo(server);
  let replicas = 0;
  let blocked = 0;
  let inTimeoutTable = 0;
  for (const c of server.clients) {
    if (c.has(CLIENT_SLAVE) && !c.has(CLIENT_MONITOR)) replicas++;
    // server.blocked_clients counts clients blocked on keys AND clients postponed by CLIENT PAUSE.
    if (c.has(CLIENT_BLOCKED)) {
      blocked++;
      if (c.bpop && c.bpop.deadlineMs > 0) inTimeoutTable++;
    }
  }
  return [
    `connected_clients:${server.clients.length - replicas}`,
    'cluster_connections:0',
    `maxclients:${server.config.maxclients}`,
    `client_recent_max_input_buffer:${input}`,
    `client_recent_max_output_buffer:${output}`,
    `blocked_clients:${blocked}`,
    'tracking_clients:0',
    `clients_in_timeout_table:${inTimeoutTable}`,
  ];
}

/** dictSize(server.pubsub_channels) / pubsub_patterns: distinct names with at least one subscriber. */
function pubsubCounts(server: Server): { channels: number; patterns: number } {
  const channels = new Set<string>();
  const patterns = new Set<string>();
  for (const c of server.clients as Iterable<Client>) {
    for (const ch of c.channels) channels.add(ch);
    for (const p of c.patterns) patterns.add(p);
  }
  return { channels: channels.size, patterns: patterns.size };
}

function statsSection(server: Server): string[] {
  const s = server.stats;
  const ps = pubsubCounts(server);
  return [
    `total_connections_received:${s.numconnections}`,
    `total_commands_processed:${s.numcommands}`,
    'instantaneous_ops_per_sec:0',
    `total_net_input_bytes:${s.netInputBytes}`,
    `total_net_output_bytes:${s.netOutputBytes}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    `instantaneous_input_kbps:${f2(0)}`,
    `instantaneous_output_kbps:${f2(0)}`,
    `instantaneous_input_repl_kbps:${f2(0)}`,
    `instantaneous_output_repl_kbps:${f2(0)}`,
    `rejected_connections:${s.rejectedConn}`,
    'sync_full:0',
    'sync_partial_ok:0',
    'sync_partial_err:0',
    'expired_keys:0',
    `expired_stale_perc:${f2(0)}`,
    'expired_time_cap_reached_count:0',
    'expire_cycle_cpu_milliseconds:0',
    'evicted_keys:0',
    'evicted_clients:0',
    'total_eviction_exceeded_time:0',
    'current_eviction_exceeded_time:0',
    `keyspace_hits:${s.keyspaceHits}`,
    `keyspace_misses:${s.keyspaceMisses}`,
    `pubsub_channels:${ps.channels}`,
    `pubsub_patterns:${ps.patterns}`,
    'pubsubshard_channels:0',
    'latest_fork_usec:0',
    'total_forks:0',
    'migrate_cached_sockets:0',
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    'tracking_total_keys:0',
    'tracking_total_items:0',
    'tracking_total_prefixes:0',
    `unexpected_error_replies:${s.unexpectedErrorReplies}`,
    `total_error_replies:${s.totalErrorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${s.totalReadsProcessed}`,
    `total_writes_processed:${s.totalWritesProcessed}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    `reply_buffer_shrinks:${s.replyBufferShrinks}`,
    `reply_buffer_expands:${s.replyBufferExpands}`,
  ];
}

/** The modelled sections in genRedisInfoString's order. */
const SECTIONS: Array<{ name: string; title: string; lines: (server: Server) => string[] }> = [
  { name: 'server', title: 'Server', lines: serverSection },
  { name: 'clients', title: 'Clients', lines: clientsSection },
  { name: 'stats', title: 'Stats', lines: statsSection },
];

/** genRedisInfoString: `# Title\r\n` then `field:value\r\n` lines; a blank line between sections. */
export function genRedisInfoString(server: Server, args: Arg[]): string {
  const { sections, all } = sectionsOf(args);
  let info = '';
  let n = 0;
  for (const sec of SECTIONS) {
    if (!all && !sections.has(sec.name)) continue;
    if (n++) info += '\r\n';
    info += `# ${sec.title}\r\n`;
    for (const l of sec.lines(server)) info += `${l}\r\n`;
  }
  return info;
}

registerCommand({
  name: 'info',
  arity: -1,
  flags: {},
  proc(server, c, argv) {
    addReplyVerbatim(server, c, genRedisInfoString(server, argv.slice(1)));
  },
});
