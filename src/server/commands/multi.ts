// Transactions (multi.c): MULTI, EXEC, DISCARD and the queueing of commands in between.
import * as resp from '../../protocol/reply.ts';
import { CLIENT_DIRTY_CAS, CLIENT_DIRTY_EXEC, CLIENT_MULTI, type Client } from '../client.ts';
import { call } from '../process-command.ts';
import { addReply, addReplyError } from '../reply.ts';
import type { Server } from '../server.ts';
import { lookupCommand, registerCommand, type Command } from './table.ts';

/** Hooks run when a transaction ends (WATCH state lives in the keyspace module). */
export const unwatchHooks: Array<(server: Server, c: Client) => void> = [];
/** Hooks run when EXEC starts, before its dirty checks (a WATCHed key that expired sets DIRTY_CAS). */
export const execCheckHooks: Array<(server: Server, c: Client) => void> = [];

/** queueMultiCommand: store the command (unless the transaction already failed), reply +QUEUED. */
export function queueMultiCommand(server: Server, c: Client, cmd: Command): void {
  if (!c.has(CLIENT_DIRTY_CAS) && !c.has(CLIENT_DIRTY_EXEC)) {
    c.mstate.push({ argv: c.argv, name: cmd.name });
    let bytes = 0;
    for (const a of c.argv) bytes += a.length;
    c.multiMem += bytes + 8 * c.argv.length;
  }
  addReply(server, c, resp.QUEUED);
}

/** discardTransaction: leave MULTI, forget the queue and WATCHes. */
export function discardTransaction(server: Server, c: Client): void {
  c.mstate = [];
  c.multiMem = 0;
  c.clear(CLIENT_MULTI);
  c.clear(CLIENT_DIRTY_CAS);
  c.clear(CLIENT_DIRTY_EXEC);
  for (const h of unwatchHooks) h(server, c);
}

/** execCommandAbort: EXEC itself was rejected; the whole transaction is discarded. */
export function execCommandAbort(server: Server, c: Client, text: string): void {
  server.stats.totalErrorReplies++;
  addReply(server, c, resp.error(`EXECABORT Transaction discarded because of: ${text.replace(/^ERR /, '')}`));
  discardTransaction(server, c);
}

registerCommand({
  name: 'multi',
  arity: 1,
  flags: {},
  proc(server, c) {
    if (c.has(CLIENT_MULTI)) return addReplyError(server, c, 'ERR MULTI calls can not be nested');
    c.set(CLIENT_MULTI);
    addReply(server, c, resp.OK);
  },
});

registerCommand({
  name: 'discard',
  arity: 1,
  flags: {},
  proc(server, c) {
    if (!c.has(CLIENT_MULTI)) return addReplyError(server, c, 'ERR DISCARD without MULTI');
    discardTransaction(server, c);
    addReply(server, c, resp.OK);
  },
});

registerCommand({
  name: 'exec',
  arity: 1,
  flags: {},
  proc(server, c) {
    if (!c.has(CLIENT_MULTI)) return addReplyError(server, c, 'ERR EXEC without MULTI');
    for (const h of execCheckHooks) h(server, c);
    if (c.has(CLIENT_DIRTY_EXEC)) {
      addReplyError(server, c, 'EXECABORT Transaction discarded because of previous errors.');
      return discardTransaction(server, c);
    }
    if (c.has(CLIENT_DIRTY_CAS)) {
      addReply(server, c, resp.nullArray(c.resp));
      return discardTransaction(server, c);
    }
    const queued = c.mstate;
    const origArgv = c.argv;
    c.mstate = [];
    c.multiMem = 0;
    c.clear(CLIENT_MULTI);
    for (const h of unwatchHooks) h(server, c);
    addReply(server, c, resp.arrayHeader(queued.length));
    server.inExec = true;
    for (const q of queued) {
      const found = lookupCommand(q.argv);
      if (found.kind !== 'found') continue;
      c.argv = q.argv;
      call(server, c, found.cmd);
    }
    server.inExec = false;
    c.argv = origArgv;
    c.lastCmd = 'exec';
  },
});
