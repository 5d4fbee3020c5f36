// Authentication and connection state (acl.c authCommand, networking.c helloCommand and
// resetCommand, 7.0.15). redsim models the ACL as Redis configures it from `requirepass`: one user,
// `default`, which is `nopass` when requirepass is empty and has that one password otherwise.
import * as resp from '../../protocol/reply.ts';
import type { Arg } from '../../protocol/request-parser.ts';
import {
  CLIENT_MASTER, CLIENT_MONITOR, CLIENT_PUBSUB, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP_NEXT, CLIENT_SLAVE,
  type Client,
} from '../client.ts';
import { addReply, addReplyError } from '../reply.ts';
import type { Server } from '../server.ts';
import { addReplyMapLen, argLongLong, argText, clientSetNameOrReply } from './client.ts';
import { discardTransaction } from './multi.ts';
import { redactClientCommandArgument } from './slowlog.ts';
import { registerCommand } from './table.ts';

/** REDIS_VERSION as HELLO and INFO report it. */
export const REDIS_VERSION = '7.0.15';

/**
 * What RESET must also undo in subsystems that keep per-client state (Pub/Sub: unsubscribe from
 * every channel and pattern WITHOUT notifications, as pubsubUnsubscribeAllChannels(c, 0) does).
 * Those modules register here; RESET runs them after discarding MULTI/WATCH.
 */
export const resetClientHooks: Array<(server: Server, c: Client) => void> = [];

/** Whether the `default` user has no password (requirepass empty). */
function defaultUserNopass(server: Server): boolean {
  return server.config.requirepass === '';
}

/** ACLCheckUserCredentials for the only user, `default` (user names are case-sensitive). */
function checkUserCredentials(server: Server, username: string, password: string): boolean {
  if (username !== 'default') return false;
  if (defaultUserNopass(server)) return true;
  return password === server.config.requirepass;
}

/** ACLAuthenticateUser: success authenticates `c` as the user; failure changes nothing. */
function authenticateUser(server: Server, c: Client, username: Arg, password: Arg): boolean {
  if (!checkUserCredentials(server, argText(username), argText(password))) return false;
  c.authenticated = true;
  c.user = argText(username);
  return true;
}

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/** clientSetDefaultAuth: user `default`, authenticated iff it needs no password. */
export function clientSetDefaultAuth(server: Server, c: Client): void {
  c.user = 'default';
  c.authenticated = defaultUserNopass(server);
}

registerCommand({
  name: 'auth',
  arity: -2,
  flags: { noauth: true },
  proc(server, c, argv) {
    if (argv.length > 3) return addReplyError(server, c, 'ERR syntax error');
    redactClientCommandArgument(c, 1);
    let username: Arg;
    let password: Arg;
    if (argv.length === 2) {
      if (defaultUserNopass(server)) {
        return addReplyError(server, c, 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
      }
      username = Buffer.from('default', 'latin1');
      password = argv[1]!;
    } else {
      username = argv[1]!;
      password = argv[2]!;
      redactClientCommandArgument(c, 2);
    }
    if (authenticateUser(server, c, username, password)) addReply(server, c, resp.OK);
    else addReplyError(server, c, WRONGPASS);
  },
});

registerCommand({
  name: 'hello',
  arity: -1,
  flags: { noauth: true },
  proc(server, c, argv) {
    let ver = 0;
    let next = 1;
    if (argv.length >= 2) {
      const v = argLongLong(argv[next++]!);
      if (v === undefined) return addReplyError(server, c, 'ERR Protocol version is not an integer or out of range');
      if (v < 2n || v > 3n) return addReplyError(server, c, 'NOPROTO unsupported protocol version');
      ver = Number(v);
    }
    // Options are applied in order: SETNAME may take effect before a later AUTH fails.
    for (let j = next; j < argv.length; j++) {
      const moreargs = argv.length - 1 - j;
      const opt = argText(argv[j]!);
      if (opt.toLowerCase() === 'auth' && moreargs >= 2) {
        redactClientCommandArgument(c, j + 1);
        redactClientCommandArgument(c, j + 2);
        if (!authenticateUser(server, c, argv[j + 1]!, argv[j + 2]!)) return addReplyError(server, c, WRONGPASS);
        j += 2;
      } else if (opt.toLowerCase() === 'setname' && moreargs) {
        if (!clientSetNameOrReply(server, c, argv[j + 1]!)) return;
        j++;
      } else {
        return addReplyError(server, c, `ERR Syntax error in HELLO option '${opt}'`);
      }
    }
    if (!c.authenticated) {
      return addReplyError(server, c, 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    }
    if (ver) c.resp = ver as 2 | 3;
    addReplyMapLen(server, c, 7);
    const pair = (k: string, v: Buffer): void => {
      addReply(server, c, resp.bulkString(k));
      addReply(server, c, v);
    };
    pair('server', resp.bulkString('redis'));
    pair('version', resp.bulkString(REDIS_VERSION));
    pair('proto', resp.integer(c.resp));
    pair('id', resp.integer(c.id));
    pair('mode', resp.bulkString('standalone'));
    pair('role', resp.bulkString('master'));
    pair('modules', resp.EMPTY_ARRAY);
  },
});

/** clearClientConnectionState: what RESET undoes. */
export function clearClientConnectionState(server: Server, c: Client): void {
  if (c.has(CLIENT_MONITOR)) {
    for (let n = server.monitors.head; n; n = n.next) {
      if (n.value === c) {
        server.monitors.remove(n);
        break;
      }
    }
    c.clear(CLIENT_MONITOR);
    c.clear(CLIENT_SLAVE);
  }
  // (Client tracking is not modelled, so there is none to disable.)
  c.db = 0;
  c.resp = 2;
  clientSetDefaultAuth(server, c);
  discardTransaction(server, c);
  for (const h of resetClientHooks) h(server, c);
  c.name = '';
  c.clear(CLIENT_PUBSUB);
  c.clear(CLIENT_REPLY_OFF);
  c.clear(CLIENT_REPLY_SKIP_NEXT);
}

registerCommand({
  name: 'reset',
  arity: 1,
  flags: { noauth: true },
  proc(server, c) {
    const replicaLike = c.has(CLIENT_SLAVE) && !c.has(CLIENT_MONITOR);
    if (replicaLike || c.has(CLIENT_MASTER)) return addReplyError(server, c, 'ERR can only reset normal client connections');
    clearClientConnectionState(server, c);
    addReply(server, c, resp.status('RESET'));
  },
});
