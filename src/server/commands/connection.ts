// Connection commands that need no other subsystem: PING, ECHO, QUIT.
import * as resp from '../../protocol/reply.ts';
import { CLIENT_PUBSUB } from '../client.ts';
import { quitCommand } from '../process-command.ts';
import { addReply } from '../reply.ts';
import { registerCommand } from './table.ts';

registerCommand({
  name: 'ping',
  arity: -1,
  flags: {},
  proc(server, c, argv) {
    if (argv.length > 2) {
      // PING's own arity check: -1 admits any count, the proc refuses more than one argument.
      server.stats.totalErrorReplies++;
      addReply(server, c, resp.error("ERR wrong number of arguments for 'ping' command"));
      return;
    }
    if (c.has(CLIENT_PUBSUB) && c.resp === 2) {
      // In the RESP2 subscribed context PING answers as a pub/sub message would.
      addReply(server, c, resp.arrayHeader(2));
      addReply(server, c, resp.bulkString('pong'));
      addReply(server, c, argv.length === 2 ? resp.bulk(argv[1]!) : resp.bulkString(''));
      return;
    }
    addReply(server, c, argv.length === 2 ? resp.bulk(argv[1]!) : resp.PONG);
  },
});

registerCommand({
  name: 'echo',
  arity: 2,
  flags: {},
  proc(server, c, argv) {
    addReply(server, c, resp.bulk(argv[1]!));
  },
});

registerCommand({ name: 'quit', arity: -1, flags: { noauth: true }, proc: (server, c) => quitCommand(server, c) });
