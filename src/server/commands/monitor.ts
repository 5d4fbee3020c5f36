// MONITOR (replication.c replicationFeedMonitors): a monitor gets the replica and monitor flags
// and one status line per command executed by anyone, after the command ran.
import * as resp from '../../protocol/reply.ts';
import { CLIENT_MONITOR, CLIENT_SLAVE, type Client } from '../client.ts';
import { sdscatrepr } from '../client-info.ts';
import { addReply } from '../reply.ts';
import type { Server } from '../server.ts';
import { registerCommand } from './table.ts';
import { isFiller } from '../../base/bytes.ts';

/** Commands Redis does not show to monitors (admin and skip-monitor commands). */
const NOT_MONITORED = new Set(['config', 'debug', 'monitor', 'slowlog', 'auth', 'hello', 'client', 'info']);

/** Feeds the command `c` just executed to every monitor. */
export function feedMonitors(server: Server, c: Client): void {
  const name = c.lastCmd.split('|')[0]!;
  if (NOT_MONITORED.has(name)) return;
  const us = server.backend.unixTimeUs();
  const sec = Math.floor(us / 1e6);
  const usec = String(us % 1e6).padStart(6, '0');
  const args = c.argv.map((a) => (isFiller(a) ? `"<${a.length} bytes>"` : sdscatrepr(a))).join(' ');
  const line = resp.status(`${sec}.${usec} [${c.db} ${c.addr}] ${args}`);
  for (const m of server.monitors) addReply(server, m, line);
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
