// processCommand and call (server.c): the checks a command passes, in Redis's order, before it is
// queued (MULTI), postponed (CLIENT PAUSE) or executed; then the bookkeeping after it runs. Command
// behaviour lives in commands/.
import { describeSegments, isFiller } from '../base/bytes.ts';
import type { Arg } from '../protocol/request-parser.ts';
import * as resp from '../protocol/reply.ts';
import {
  CLIENT_BLOCKED, CLIENT_CLOSE_AFTER_REPLY, CLIENT_DIRTY_EXEC, CLIENT_MULTI, CLIENT_PUBSUB,
  CLIENT_REPLY_SKIP, CLIENT_REPLY_SKIP_NEXT, CLIENT_SLAVE, type Client,
} from './client.ts';
import { lookupCommand, type Command } from './commands/table.ts';
import { freeClientAsync } from './lifecycle.ts';
import { feedMonitors } from './commands/monitor.ts';
import { execCommandAbort, queueMultiCommand } from './commands/multi.ts';
import { postponeClient } from './commands/pause.ts';
import { addReply, addReplyError, flushReplyTrace } from './reply.ts';
import type { Server } from './server.ts';

/** An argument as a byte string (latin1); virtual arguments are summarised, never expanded. */
export function argStr(a: Arg): string {
  return isFiller(a) ? describeSegments([a]) : a.toString('latin1');
}

/** The first `max` bytes of an argument as Redis prints them (`%.128s`); filler is expanded that far. */
export function argPrefix(a: Arg, max: number): string {
  if (isFiller(a)) return String.fromCharCode(a.byte).repeat(Math.min(a.length, max));
  return a.toString('latin1', 0, Math.min(a.length, max));
}

/**
 * Whether the command name is `POST` or `Host:` (any case). Performance: checked on the bytes, so
 * the name is not decoded and lower-cased for every command just for this test.
 */
function isSecurityWarningName(a: Arg): boolean {
  if (a.length !== 4 && a.length !== 5) return false;
  if (isFiller(a)) return false; // a run of one repeated byte is neither name
  if (a.length === 4) return (a[0]! | 0x20) === 0x70 && (a[1]! | 0x20) === 0x6f && (a[2]! | 0x20) === 0x73 && (a[3]! | 0x20) === 0x74; // post
  return (a[0]! | 0x20) === 0x68 && (a[1]! | 0x20) === 0x6f && (a[2]! | 0x20) === 0x73 && (a[3]! | 0x20) === 0x74 && a[4] === 0x3a; // host:
}

const ARGS_PREVIEW = 120;

/**
 * The arguments after the name joined by spaces, cut at 120 characters, for the `command` event.
 * Performance: stops once 120 characters are there and decodes no more of a real argument than
 * fits (latin1 is one character per byte), so a 1 MB value is not turned into a string.
 */
function argsPreview(argv: readonly Arg[]): string {
  let out = '';
  for (let i = 1; i < argv.length && out.length < ARGS_PREVIEW; i++) {
    if (i > 1) out += ' ';
    const a = argv[i]!;
    const room = ARGS_PREVIEW - out.length;
    out += isFiller(a) ? argStr(a) : a.toString('latin1', 0, Math.min(a.length, room));
  }
  return out.length > ARGS_PREVIEW ? out.slice(0, ARGS_PREVIEW) : out;
}

/** Commands that run immediately inside MULTI instead of being queued. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** Commands allowed to a RESP2 client in the subscribed context. */
const PUBSUB_ALLOWED = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

/**
 * rejectCommand: an error reply that also marks a MULTI transaction as failed. When the rejected
 * command is EXEC itself, the transaction is discarded with `-EXECABORT ... because of: <text>`.
 */
export function rejectCommand(server: Server, c: Client, text: string, cmd?: Command): void {
  if (c.has(CLIENT_MULTI)) c.set(CLIENT_DIRTY_EXEC);
  const clean = text.replace(/[\r\n]/g, ' ');
  if (cmd && !cmd.parent && cmd.name === 'exec') return execCommandAbort(server, c, clean);
  addReplyError(server, c, clean);
}

/** The full name of a command as Redis reports it: `get`, `client|list`. */
export function fullName(cmd: Command): string {
  return cmd.parent ? `${cmd.parent}|${cmd.name}` : cmd.name;
}

/**
 * processCommand: security guard, lookup, arity, authentication, transaction and context checks,
 * then queue, postpone or call.
 */
export function processCommand(server: Server, c: Client): void {
  const argv = c.argv;
  if (isSecurityWarningName(argv[0]!)) {
    securityWarningCommand(server, c);
    return;
  }
  const found = lookupCommand(argv);
  // c->lastcmd is set at lookup, so a command queued in MULTI (or rejected) is what CLIENT LIST shows.
  c.lastCmd = found.kind === 'found' ? fullName(found.cmd) : 'NULL';
  if (found.kind === 'unknown') {
    let args = '';
    for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argPrefix(argv[i]!, 128 - args.length)}' `;
    rejectCommand(server, c, `ERR unknown command '${argPrefix(argv[0]!, 128)}', with args beginning with: ${args}`);
    return finish(server, c);
  }
  if (found.kind === 'unknown-subcommand') {
    rejectCommand(server, c, `ERR unknown subcommand '${argPrefix(argv[1]!, 128)}'. Try ${found.container.toUpperCase()} HELP.`);
    return finish(server, c);
  }
  const cmd = found.cmd;
  const argc = argv.length;
  if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
    rejectCommand(server, c, `ERR wrong number of arguments for '${found.arityName}' command`, cmd);
    return finish(server, c);
  }
  if (cmd.name === 'debug' && !cmd.parent && !allowProtectedAction(server.config['enable-debug-command'], c)) {
    // CMD_PROTECTED: checked right after arity, before authentication.
    rejectCommand(server, c, 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.');
    return finish(server, c);
  }
  if (!c.authenticated && !cmd.flags.noauth) {
    rejectCommand(server, c, 'NOAUTH Authentication required.', cmd);
    return finish(server, c);
  }
  if (c.has(CLIENT_MULTI) && cmd.flags.noMulti) {
    rejectCommand(server, c, 'ERR Command not allowed inside a transaction', cmd);
    return finish(server, c);
  }
  if (c.has(CLIENT_PUBSUB) && c.resp === 2 && !(!cmd.parent && PUBSUB_ALLOWED.has(cmd.name))) {
    rejectCommand(server, c, `ERR Can't execute '${fullName(cmd)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`, cmd);
    return finish(server, c);
  }
  if (c.has(CLIENT_SLAVE) && cmd.flags.keyspace) {
    rejectCommand(server, c, "ERR Replica can't interact with the keyspace", cmd);
    return finish(server, c);
  }
  if (server.pause && !c.has(CLIENT_SLAVE) && (server.pause.type === 'all' || cmd.flags.write)) {
    postponeClient(server, c, cmd);
    return;
  }
  if (c.has(CLIENT_MULTI) && !MULTI_IMMEDIATE.has(cmd.name)) {
    queueMultiCommand(server, c, cmd);
    return finish(server, c);
  }
  call(server, c, cmd);
  finish(server, c);
}

/**
 * Observers of every executed command with the virtual time its proc took (the SLOWLOG), run
 * after the proc as Redis's call() does.
 */
export const callHooks: Array<(server: Server, c: Client, cmd: Command, durationUs: number) => void> = [];

/** allowProtectedAction: `yes`, or `local` for a client on 127.0.0.1 / ::1 (islocalClient). */
export function allowProtectedAction(setting: 'no' | 'yes' | 'local', c: Client): boolean {
  return setting === 'yes' || (setting === 'local' && (c.addr.startsWith('127.0.0.1:') || c.addr.startsWith('[::1]:')));
}

/** call(): runs the command, charging its cost, recording it, and feeding MONITORs. */
export function call(server: Server, c: Client, cmd: Command): void {
  server.updateCachedTime();
  const prevCurrent = server.currentClient;
  server.currentClient = c;
  c.lastCmd = fullName(cmd);
  // Duration as Redis's call() measures it: the command's own CPU cost plus what its proc spends.
  const start = server.backend.nowUs();
  server.charge(1, 0);
  const t = server.backend.tracer;
  if (t.wants('command')) {
    t.emit({ kind: 'command', id: c.id, name: c.lastCmd, args: argsPreview(c.argv) }, c.addr);
  }
  cmd.proc(server, c, c.argv);
  const durationUs = server.backend.nowUs() - start;
  for (const h of callHooks) h(server, c, cmd, durationUs);
  server.stats.numcommands++;
  if (server.monitors.length) feedMonitors(server, c);
  server.currentClient = prevCurrent;
}

/** After a command (or its rejection): reply trace, and resetClient's REPLY SKIP bookkeeping. */
function finish(server: Server, c: Client): void {
  flushReplyTrace(server, c);
  if (c.has(CLIENT_BLOCKED)) return;
  c.clear(CLIENT_REPLY_SKIP);
  if (c.has(CLIENT_REPLY_SKIP_NEXT)) {
    c.set(CLIENT_REPLY_SKIP);
    c.clear(CLIENT_REPLY_SKIP_NEXT);
  }
}

/** `POST` / `Host:` as a command: an HTTP client talking to Redis; close without a reply. */
function securityWarningCommand(server: Server, c: Client): void {
  // Logged at most once a minute, as Redis does.
  if (server.mstime - server.lastSecurityWarningMs > 60_000) {
    server.log('warning', 'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.', c.addr);
    server.lastSecurityWarningMs = server.mstime;
  }
  freeClientAsync(server, c, 'security', argStr(c.argv[0]!));
}

/** Replies `+OK` and closes once written: QUIT. */
export function quitCommand(server: Server, c: Client): void {
  addReply(server, c, resp.OK);
  c.set(CLIENT_CLOSE_AFTER_REPLY);
  c.closeReason = 'quit';
}
