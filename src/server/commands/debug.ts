// DEBUG (debug.c, 7.0.15): only DEBUG SLEEP is modelled — the server is busy for that long (virtual
// time passes while nothing else is served), then replies +OK. DEBUG is refused unless
// `enable-debug-command` allows it (checked in processCommand, as CMD_PROTECTED). Every other
// subcommand answers a named not-modelled error.
import * as resp from '../../protocol/reply.ts';
import { addReply } from '../reply.ts';
import { addReplySubcommandSyntaxError, argText, notModelled } from './client.ts';
import { registerCommand } from './table.ts';

/** strtod(s, NULL): the longest leading decimal number, 0 when there is none. */
export function strtodPrefix(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))/i.exec(s);
  if (!m) return 0;
  const t = m[1]!.toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
  const n = Number(t);
  return Number.isNaN(n) ? 0 : n;
}

registerCommand({
  name: 'debug',
  arity: -2,
  flags: {},
  proc(server, c, argv) {
    const subName = argText(argv[1]!);
    if (subName.toLowerCase() === 'sleep') {
      if (argv.length !== 3) return addReplySubcommandSyntaxError(server, c);
      // utime = (long long)(dtime * 1e6); a negative time makes nanosleep fail at once.
      const dtime = strtodPrefix(argText(argv[2]!));
      const utime = Number.isFinite(dtime) ? Math.trunc(dtime * 1e6) : 0;
      if (utime > 0) server.backend.spend(utime);
      addReply(server, c, resp.OK);
      return;
    }
    notModelled(server, c, `DEBUG ${subName.toUpperCase()}`);
  },
});
