// MONITOR (replication.c replicationFeedMonitors): a monitor gets the replica and monitor flags
// and one status line per command executed by anyone, after the command ran.
import * as resp from '../../protocol/reply.ts';
import { CLIENT_MONITOR, CLIENT_SLAVE, type Client } from '../client.ts';
import { sdscatrepr } from '../client-info.ts';
import { addReply } from '../reply.ts';
import type { Server } from '../server.ts';
import { registerCommand } from './table.ts';
import { isFiller, type Segment } from '../../base/bytes.ts';

/** Admin and skip-monitor commands, which Redis does not show to monitors (by full name). */
const NOT_MONITORED = new Set([
  'config', 'debug', 'monitor', 'slowlog',
  'client|kill', 'client|list', 'client|pause', 'client|unpause', 'client|no-evict', 'client|unblock',
  'client|tracking', 'client|caching', 'client|trackinginfo', 'client|getredir',
]);

/** Feeds the command `c` just executed to every monitor; AUTH and HELLO AUTH arguments are redacted. */
export function feedMonitors(server: Server, c: Client): void {
  const full = c.lastCmd;
  if (NOT_MONITORED.has(full) || NOT_MONITORED.has(full.split('|')[0]!)) return;
  const us = server.backend.unixTimeUs();
  const sec = Math.floor(us / 1e6);
  const usec = String(us % 1e6).padStart(6, '0');
  const redactFrom = full === 'auth' ? 1 : -1;
  const args = c.argv.map((a, i) => {
    if ((redactFrom > 0 && i >= redactFrom) || (full === 'hello' && isHelloAuthSecret(c.argv, i))) return '"(redacted)"';
    return isFiller(a) ? `"<${a.length} bytes>"` : sdscatrepr(a);
  }).join(' ');
  const line = resp.status(`${sec}.${usec} [${c.db} ${c.addr}] ${args}`);
  for (const m of server.monitors) addReply(server, m, line);
}

/** Whether argv[i] is the username or password after HELLO's AUTH option. */
function isHelloAuthSecret(argv: readonly Segment[], i: number): boolean {
  for (let j = 2; j < argv.length; j++) {
    const a = argv[j]!;
    if (!isFiller(a) && a.toString('latin1').toLowerCase() === 'auth') return i === j + 1 || i === j + 2;
  }
  return false;
}

registerCommand({
  name: 'monitor',
  arity: 1,
  flags: {},
  proc(server, c) {
    if (c.has(CLIENT_SLAVE)) return; // already a monitor: silently ignored
    c.set(CLIENT_SLAVE);
    c.set(CLIENT_MONITOR);
    server.monitors.push(c);
    addReply(server, c, resp.OK);
  },
});
