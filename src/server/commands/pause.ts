// CLIENT PAUSE's effect on command processing: postponed clients are blocked with their command
// pending until the pause ends, then run in the order they were postponed (processUnblockedClients).
import { CLIENT_BLOCKED, type Client } from '../client.ts';
import { processCommand } from '../process-command.ts';
import { processInputBuffer } from '../read.ts';
import type { Server } from '../server.ts';
import type { Command } from './table.ts';

const postponed = new WeakMap<Server, Client[]>();

/** blockPostponeClient: the command waits, the client stops parsing its buffer. */
export function postponeClient(server: Server, c: Client, _cmd: Command): void {
  c.pausedArgv = c.argv;
  c.set(CLIENT_BLOCKED);
  let list = postponed.get(server);
  if (!list) postponed.set(server, (list = []));
  list.push(c);
}

/** Ends the pause if it has expired (checked from serverCron, and on PAUSE/UNPAUSE). */
export function checkClientPauseTimeLimit(server: Server): void {
  // Strictly past the end, as checkClientPauseTimeLimit compares.
  if (server.pause && server.pause.endMs < server.mstime) unpauseClients(server);
}

/** unpauseClients: every postponed client runs its pending command, then the rest of its buffer. */
export function unpauseClients(server: Server): void {
  server.pause = null;
  const list = postponed.get(server) ?? [];
  postponed.set(server, []);
  for (const c of list) {
    if (!c.node || !c.pausedArgv) continue;
    c.clear(CLIENT_BLOCKED);
    c.argv = c.pausedArgv;
    c.pausedArgv = null;
    processCommand(server, c);
    c.argv = [];
    if (c.node) processInputBuffer(server, c);
  }
}
