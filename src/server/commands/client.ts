// CLIENT (networking.c clientCommand, 7.0.15): LIST, INFO, ID, SETNAME, GETNAME, KILL, PAUSE,
// UNPAUSE, REPLY, NO-EVICT, HELP; UNBLOCK through hooks the blocking-command module registers;
// TRACKING, CACHING, GETREDIR and TRACKINGINFO answer a named not-modelled error. Also the small
// reply helpers the admin commands share (help arrays, verbatim strings, string2ll arguments).
import { describeSegments, isFiller, toBuffer } from '../../base/bytes.ts';
import * as resp from '../../protocol/reply.ts';
import type { Arg } from '../../protocol/request-parser.ts';
import {
  CLIENT_BLOCKED, CLIENT_CLOSE_AFTER_REPLY, CLIENT_NO_EVICT, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP,
  CLIENT_REPLY_SKIP_NEXT, type Client,
} from '../client.ts';
import { catClientInfoString } from '../client-info.ts';
import { string2ll } from '../config.ts';
import { freeClient } from '../lifecycle.ts';
import { getClientType, type ClientType } from '../limits.ts';
import { addReply, addReplyError } from '../reply.ts';
import type { Server } from '../server.ts';
import { unpauseClients } from './pause.ts';
import { container, registerCommand, type Command, type CommandProc } from './table.ts';

// ---- helpers shared by the admin commands -------------------------------------------------------

/** An argument's bytes as a latin1 string; virtual (filler) content is expanded when small. */
export function argText(a: Arg): string {
  if (isFiller(a)) return a.length <= 1 << 20 ? toBuffer([a]).toString('latin1') : describeSegments([a]);
  return a.toString('latin1');
}

/** getLongLongFromObject: string2ll semantics (no spaces, no `+`, no leading zeros). */
export function argLongLong(a: Arg): bigint | undefined {
  return isFiller(a) ? undefined : string2ll(a.toString('latin1'));
}

/** The not-modelled answer: an honest error rather than a pretended Redis reply. */
export function notModelled(server: Server, c: Client, what: string): void {
  addReplyError(server, c, `ERR redsim does not model ${what}`);
}

/** addReplyHelp: the `<CMD> <subcommand> ...` header, the lines, then HELP, all as status replies. */
export function addReplyHelp(server: Server, c: Client, lines: readonly string[]): void {
  const cmd = argText(c.argv[0]!).toUpperCase();
  addReply(server, c, resp.arrayHeader(lines.length + 3));
  addReply(server, c, resp.status(`${cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`));
  for (const l of lines) addReply(server, c, resp.status(l));
  addReply(server, c, resp.status('HELP'));
  addReply(server, c, resp.status('    Prints this help.'));
}

/** addReplySubcommandSyntaxError: a subcommand known to the table but called with a bad shape. */
export function addReplySubcommandSyntaxError(server: Server, c: Client): void {
  const cmd = argText(c.argv[0]!).toUpperCase();
  addReplyError(server, c, `ERR unknown subcommand or wrong number of arguments for '${argText(c.argv[1]!).slice(0, 128)}'. Try ${cmd} HELP.`);
}

/** addReplyVerbatim: a bulk string for RESP2, `=<len>\r\ntxt:<text>\r\n` for RESP3. */
export function addReplyVerbatim(server: Server, c: Client, text: string, ext = 'txt'): void {
  const data = Buffer.from(text, 'latin1');
  if (c.resp === 2) {
    addReply(server, c, resp.bulk(data));
    return;
  }
  addReply(server, c, [Buffer.from(`=${data.length + 4}\r\n${ext.padEnd(3, ' ').slice(0, 3)}:`, 'latin1'), data, resp.CRLF]);
}

/** addReplyMapLen: `%n` for RESP3, an array of 2n for RESP2. */
export function addReplyMapLen(server: Server, c: Client, n: number): void {
  addReply(server, c, c.resp === 3 ? resp.mapHeader(n) : resp.arrayHeader(2 * n));
}

/** A subcommand entry of a container. */
export function sub(name: string, arity: number, proc: CommandProc, flags: Command['flags'] = {}): Command {
  return { name, arity, flags, proc };
}

// ---- CLIENT ----------------------------------------------------------------------------------

/**
 * CLIENT UNBLOCK's reach into the blocking commands: each hook returns true when it unblocked
 * `target` (replying ERROR's `-UNBLOCKED ...` or the command's timeout reply). The module that owns
 * blocking registers here; with no hook registered, CLIENT UNBLOCK answers not-modelled.
 */
export type UnblockHook = (server: Server, target: Client, how: 'timeout' | 'error') => boolean;
export const unblockClientHooks: UnblockHook[] = [];

/** getClientTypeByName: `master` is a valid name here (not in client-output-buffer-limit). */
function clientTypeByName(name: string): ClientType | undefined {
  switch (name.toLowerCase()) {
    case 'normal': return 'normal';
    case 'slave':
    case 'replica': return 'replica';
    case 'pubsub': return 'pubsub';
    case 'master': return 'master';
    default: return undefined;
  }
}

/** clientSetNameOrReply: bytes '!'..'~' only; an empty name clears it. */
export function clientSetNameOrReply(server: Server, c: Client, a: Arg): boolean {
  const name = argText(a);
  if (name.length === 0) {
    c.name = '';
    return true;
  }
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) {
      addReplyError(server, c, 'ERR Client names cannot contain spaces, newlines or special characters.');
      return false;
    }
  }
  c.name = name;
  return true;
}

const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
];

/** CLIENT LIST [TYPE t | ID id ...]: one info line per client, each ending in `\n`. */
function clientList(server: Server, c: Client, argv: Arg[]): void {
  let type: ClientType | undefined;
  let out: string | null = null;
  if (argv.length === 4 && argText(argv[2]!).toLowerCase() === 'type') {
    type = clientTypeByName(argText(argv[3]!));
    if (!type) return addReplyError(server, c, `ERR Unknown client type '${argText(argv[3]!)}'`);
  } else if (argv.length > 3 && argText(argv[2]!).toLowerCase() === 'id') {
    out = '';
    for (let j = 3; j < argv.length; j++) {
      const id = argLongLong(argv[j]!);
      if (id === undefined) return addReplyError(server, c, 'ERR Invalid client ID');
      const cl = server.clientsById.get(Number(id));
      if (cl) out += catClientInfoString(server, cl) + '\n';
    }
  } else if (argv.length !== 2) {
    return addReplyError(server, c, 'ERR syntax error');
  }
  if (out === null) {
    out = '';
    for (const cl of server.clients) {
      if (type && getClientType(cl) !== type) continue;
      out += catClientInfoString(server, cl) + '\n';
    }
  }
  addReplyVerbatim(server, c, out);
}

/** CLIENT KILL: the old `ip:port` form, or ANDed filters; others freed now, the caller after its reply. */
function clientKill(server: Server, c: Client, argv: Arg[]): void {
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: ClientType | undefined;
  let id = 0n;
  let skipme = true;
  if (argv.length === 3) {
    addr = argText(argv[2]!);
    skipme = false; // with the old form a client may kill itself
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argText(argv[i]!).toLowerCase();
      const moreargs = argv.length > i + 1;
      const val = moreargs ? argv[i + 1]! : null;
      if (opt === 'id' && val) {
        const n = argLongLong(val);
        if (n === undefined || n < 1n) return addReplyError(server, c, 'ERR client-id should be greater than 0');
        id = n;
      } else if (opt === 'type' && val) {
        type = clientTypeByName(argText(val));
        if (!type) return addReplyError(server, c, `ERR Unknown client type '${argText(val)}'`);
      } else if (opt === 'addr' && val) {
        addr = argText(val);
      } else if (opt === 'laddr' && val) {
        laddr = argText(val);
      } else if (opt === 'user' && val) {
        // ACLGetUserByName: only the `default` user exists in redsim (case-sensitive, as the rax is).
        user = argText(val);
        if (user !== 'default') return addReplyError(server, c, `ERR No such user '${user}'`);
      } else if (opt === 'skipme' && val) {
        const v = argText(val).toLowerCase();
        if (v === 'yes') skipme = true;
        else if (v === 'no') skipme = false;
        else return addReplyError(server, c, 'ERR syntax error');
      } else {
        return addReplyError(server, c, 'ERR syntax error');
      }
    }
  }

  let killed = 0;
  let closeThisClient = false;
  for (const cl of server.clients.toArray()) {
    if (!cl.node) continue; // freed meanwhile
    if (addr !== null && cl.addr !== addr) continue;
    if (laddr !== null && cl.laddr !== laddr) continue;
    if (type && getClientType(cl) !== type) continue;
    if (id !== 0n && BigInt(cl.id) !== id) continue;
    if (user !== null && cl.user !== user) continue;
    if (cl === c && skipme) continue;
    if (cl === c) closeThisClient = true;
    else freeClient(server, cl, 'killed', `CLIENT KILL by id=${c.id}`);
    killed++;
  }

  if (argv.length === 3) {
    if (killed === 0) addReplyError(server, c, 'ERR No such client');
    else addReply(server, c, resp.OK);
  } else {
    addReply(server, c, resp.integer(killed));
  }
  // Only after the reply is queued: the caller is closed once it has been written.
  if (closeThisClient) {
    c.set(CLIENT_CLOSE_AFTER_REPLY);
    c.closeReason = 'killed';
    c.closeDetail = 'CLIENT KILL of itself';
  }
}

/** CLIENT PAUSE ms [WRITE|ALL]: pauses can only be extended (later end, stricter type). */
function clientPause(server: Server, c: Client, argv: Arg[]): void {
  if (argv.length > 4) return addReplySubcommandSyntaxError(server, c);
  let type: 'all' | 'write' = 'all';
  if (argv.length === 4) {
    const m = argText(argv[3]!).toLowerCase();
    if (m === 'write') type = 'write';
    else if (m === 'all') type = 'all';
    else return addReplyError(server, c, 'ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  // getTimeoutFromObjectOrReply(UNIT_MILLISECONDS): 0 stays 0, anything else is now + ms.
  const ms = argLongLong(argv[2]!);
  if (ms === undefined) return addReplyError(server, c, 'ERR timeout is not an integer or out of range');
  if (ms < 0n) return addReplyError(server, c, 'ERR timeout is negative');
  const nowMs = Math.floor(server.backend.unixTimeUs() / 1000);
  const end = ms > 0n ? nowMs + Number(ms) : 0;
  // pauseClients + updateClientPauseTypeAndEndTime: a pause whose end is already past is dropped.
  const old = server.pause;
  const newType = old && (old.type === 'all' || type === 'all') ? 'all' : type;
  const newEnd = Math.max(old?.endMs ?? 0, end);
  if (newEnd < server.mstime) {
    if (old) unpauseClients(server);
  } else {
    server.pause = { endMs: newEnd, type: newType };
  }
  addReply(server, c, resp.OK);
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR], through the blocking module's hooks. */
function clientUnblock(server: Server, c: Client, argv: Arg[]): void {
  if (argv.length > 4) return addReplySubcommandSyntaxError(server, c);
  if (unblockClientHooks.length === 0) return notModelled(server, c, 'CLIENT UNBLOCK');
  let how: 'timeout' | 'error' = 'timeout';
  if (argv.length === 4) {
    const r = argText(argv[3]!).toLowerCase();
    if (r === 'timeout') how = 'timeout';
    else if (r === 'error') how = 'error';
    else return addReplyError(server, c, 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const id = argLongLong(argv[2]!);
  if (id === undefined) return addReplyError(server, c, 'ERR value is not an integer or out of range');
  const target = server.clientsById.get(Number(id));
  let done = false;
  if (target && target.has(CLIENT_BLOCKED)) {
    for (const h of unblockClientHooks) {
      if (h(server, target, how)) {
        done = true;
        break;
      }
    }
  }
  addReply(server, c, done ? resp.CONE : resp.CZERO);
}

const clientSubcommands: Command[] = [
  sub('help', 2, (server, c) => addReplyHelp(server, c, CLIENT_HELP)),
  sub('id', 2, (server, c) => addReply(server, c, resp.integer(c.id))),
  sub('info', 2, (server, c) => addReplyVerbatim(server, c, catClientInfoString(server, c) + '\n')),
  sub('list', -2, clientList),
  sub('reply', 3, (server, c, argv) => {
    const v = argText(argv[2]!).toLowerCase();
    if (v === 'on') {
      c.clear(CLIENT_REPLY_SKIP);
      c.clear(CLIENT_REPLY_OFF);
      addReply(server, c, resp.OK);
    } else if (v === 'off') {
      c.set(CLIENT_REPLY_OFF);
    } else if (v === 'skip') {
      if (!c.has(CLIENT_REPLY_OFF)) c.set(CLIENT_REPLY_SKIP_NEXT);
    } else {
      addReplyError(server, c, 'ERR syntax error');
    }
  }),
  sub('no-evict', 3, (server, c, argv) => {
    const v = argText(argv[2]!).toLowerCase();
    if (v === 'on') c.set(CLIENT_NO_EVICT);
    else if (v === 'off') c.clear(CLIENT_NO_EVICT);
    else return addReplyError(server, c, 'ERR syntax error');
    addReply(server, c, resp.OK);
  }),
  sub('kill', -3, clientKill),
  sub('unblock', -3, clientUnblock),
  sub('setname', 3, (server, c, argv) => {
    if (clientSetNameOrReply(server, c, argv[2]!)) addReply(server, c, resp.OK);
  }),
  sub('getname', 2, (server, c) => {
    addReply(server, c, c.name ? resp.bulk(Buffer.from(c.name, 'latin1')) : resp.nullBulk(c.resp));
  }),
  sub('unpause', 2, (server, c) => {
    if (server.pause) unpauseClients(server);
    addReply(server, c, resp.OK);
  }),
  sub('pause', -3, clientPause),
  // Client-side caching is not modelled: say so instead of pretending.
  sub('tracking', -3, (server, c) => notModelled(server, c, 'CLIENT TRACKING')),
  sub('caching', 3, (server, c) => notModelled(server, c, 'CLIENT CACHING')),
  sub('getredir', 2, (server, c) => notModelled(server, c, 'CLIENT GETREDIR')),
  sub('trackinginfo', 2, (server, c) => notModelled(server, c, 'CLIENT TRACKINGINFO')),
];

registerCommand(container('client', -2, clientSubcommands));
