// SLOWLOG (slowlog.c, 7.0.15): commands whose execution took at least `slowlog-log-slower-than`
// microseconds of VIRTUAL time (the cost model plus what the proc spends, e.g. DEBUG SLEEP) are
// logged newest first, at most `slowlog-max-len` entries. GET [count], LEN, RESET, HELP.
import { Filler, isFiller, type Segment } from '../../base/bytes.ts';
import * as resp from '../../protocol/reply.ts';
import type { Arg } from '../../protocol/request-parser.ts';
import { CLIENT_BLOCKED, type Client } from '../client.ts';
import { callHooks } from '../process-command.ts';
import { addReply, addReplyError } from '../reply.ts';
import type { Server } from '../server.ts';
import { addReplyHelp, addReplySubcommandSyntaxError, argLongLong, sub } from './client.ts';
import { container, registerCommand } from './table.ts';

/** SLOWLOG_ENTRY_MAX_ARGC / SLOWLOG_ENTRY_MAX_STRING. */
export const SLOWLOG_ENTRY_MAX_ARGC = 32;
export const SLOWLOG_ENTRY_MAX_STRING = 128;

interface SlowlogEntry {
  id: number;
  /** Unix seconds when it was logged. */
  time: number;
  durationUs: number;
  argv: Segment[];
  peerid: string;
  cname: string;
}

interface SlowlogState {
  entries: SlowlogEntry[]; // newest first
  nextId: number;
}

const states = new WeakMap<Server, SlowlogState>();

function stateOf(server: Server): SlowlogState {
  let st = states.get(server);
  if (!st) states.set(server, (st = { entries: [], nextId: 0 }));
  return st;
}

const REDACTED = Buffer.from('(redacted)', 'latin1');

/** Argument positions of the running command to hide from the slowlog (redactClientCommandArgument). */
const redactions = new WeakMap<Client, Set<number>>();

/** redactClientCommandArgument: the slowlog shows `(redacted)` for this argument of `c`'s command. */
export function redactClientCommandArgument(c: Client, index: number): void {
  let set = redactions.get(c);
  if (!set) redactions.set(c, (set = new Set()));
  set.add(index);
}

/** slowlogCreateEntry: at most 32 arguments (the last says how many more), each at most 128 bytes. */
function createEntry(server: Server, c: Client, argv: Arg[], durationUs: number, hidden: Set<number> | undefined): SlowlogEntry {
  const st = stateOf(server);
  const slargc = Math.min(argv.length, SLOWLOG_ENTRY_MAX_ARGC);
  const out: Segment[] = [];
  for (let j = 0; j < slargc; j++) {
    if (slargc !== argv.length && j === slargc - 1) {
      out.push(Buffer.from(`... (${argv.length - slargc + 1} more arguments)`, 'latin1'));
      continue;
    }
    const a: Segment = hidden?.has(j) ? REDACTED : argv[j]!;
    if (a.length > SLOWLOG_ENTRY_MAX_STRING) {
      const head = isFiller(a) ? Buffer.alloc(SLOWLOG_ENTRY_MAX_STRING, a.byte) : a.subarray(0, SLOWLOG_ENTRY_MAX_STRING);
      out.push(Buffer.concat([head, Buffer.from(`... (${a.length - SLOWLOG_ENTRY_MAX_STRING} more bytes)`, 'latin1')]));
    } else {
      out.push(isFiller(a) ? new Filler(a.length, a.byte) : Buffer.from(a));
    }
  }
  return {
    id: st.nextId++,
    time: Math.floor(server.backend.unixTimeUs() / 1e6),
    durationUs,
    argv: out,
    peerid: c.addr,
    cname: c.name,
  };
}

/** slowlogPushCurrentCommand / slowlogPushEntryIfNeeded, from call(). EXEC is never logged. */
function slowlogPush(server: Server, c: Client, name: string, durationUs: number): void {
  const hidden = redactions.get(c);
  redactions.delete(c);
  if (name === 'exec' || c.has(CLIENT_BLOCKED)) return;
  const threshold = server.config['slowlog-log-slower-than'];
  if (threshold < 0) return;
  const st = stateOf(server);
  if (durationUs >= threshold) st.entries.unshift(createEntry(server, c, c.argv, durationUs, hidden));
  const max = server.config['slowlog-max-len'];
  if (st.entries.length > max) st.entries.length = max;
}

callHooks.push((server, c, cmd, durationUs) => slowlogPush(server, c, cmd.parent ? cmd.parent : cmd.name, durationUs));

const SLOWLOG_HELP = [
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

function slowlogGet(server: Server, c: Client, argv: Arg[]): void {
  if (argv.length > 3) return addReplySubcommandSyntaxError(server, c);
  const st = stateOf(server);
  let count = 10;
  if (argv.length === 3) {
    const n = argLongLong(argv[2]!);
    if (n === undefined || n < -1n) return addReplyError(server, c, 'ERR count should be greater than or equal to -1');
    count = n === -1n ? st.entries.length : Number(n > BigInt(st.entries.length) ? BigInt(st.entries.length) : n);
  }
  const entries = st.entries.slice(0, count);
  addReply(server, c, resp.arrayHeader(entries.length));
  for (const e of entries) {
    addReply(server, c, resp.arrayHeader(6));
    addReply(server, c, resp.integer(e.id));
    addReply(server, c, resp.integer(e.time));
    addReply(server, c, resp.integer(e.durationUs));
    addReply(server, c, resp.arrayHeader(e.argv.length));
    for (const a of e.argv) addReply(server, c, resp.bulk(a));
    addReply(server, c, resp.bulkString(e.peerid));
    addReply(server, c, resp.bulkString(e.cname));
  }
}

registerCommand(container('slowlog', -2, [
  sub('get', -2, slowlogGet),
  sub('len', 2, (server, c) => addReply(server, c, resp.integer(stateOf(server).entries.length))),
  sub('reset', 2, (server, c) => {
    stateOf(server).entries = []; // the id counter keeps counting
    addReply(server, c, resp.OK);
  }),
  sub('help', 2, (server, c) => addReplyHelp(server, c, SLOWLOG_HELP)),
]));
