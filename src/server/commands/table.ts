// The command table: names, arities (Redis's convention: N exact, -N at least N), the flags the
// checks in processCommand read, and container commands' subcommands. Procs live beside it.
import type { Arg } from '../../protocol/request-parser.ts';
import type { Client } from '../client.ts';
import type { Server } from '../server.ts';
import { describeSegments, isFiller } from '../../base/bytes.ts';

export interface CommandFlags {
  /** Allowed before authentication (AUTH, HELLO, QUIT, RESET). */
  noauth?: boolean;
  /** Refused inside MULTI. */
  noMulti?: boolean;
  /** A write command (postponed by CLIENT PAUSE WRITE). */
  write?: boolean;
  /** Touches the keyspace (refused to replica-flagged clients such as MONITOR). */
  keyspace?: boolean;
}

export type CommandProc = (server: Server, c: Client, argv: Arg[]) => void;

export interface Command {
  name: string;
  arity: number;
  flags: CommandFlags;
  proc: CommandProc;
  /** Container name for subcommands (`client` for `client|list`). */
  parent?: string;
  subcommands?: Map<string, Command>;
}

const TABLE = new Map<string, Command>();

/** Adds a command (or a container with subcommands) to the table. */
export function registerCommand(cmd: Command): void {
  TABLE.set(cmd.name, cmd);
  if (cmd.subcommands) for (const sub of cmd.subcommands.values()) sub.parent = cmd.name;
}

/** Builds a container command whose subcommands are looked up by argv[1]. */
export function container(name: string, arity: number, subs: Command[], flags: CommandFlags = {}): Command {
  return {
    name,
    arity,
    flags,
    proc: () => undefined, // never called: lookup resolves to a subcommand or an error
    subcommands: new Map(subs.map((s) => [s.name, s])),
  };
}

export type Lookup =
  | { kind: 'found'; cmd: Command; arityName: string }
  | { kind: 'unknown' }
  | { kind: 'unknown-subcommand'; container: string };

function lower(a: Arg): string {
  return (isFiller(a) ? describeSegments([a]) : a.toString('latin1')).toLowerCase();
}

/**
 * lookupCommand: a container with fewer than 2 args resolves to itself (so its arity error names
 * it, as `'client'`); otherwise to the subcommand or an unknown-subcommand error.
 */
export function lookupCommand(argv: Arg[]): Lookup {
  const base = TABLE.get(lower(argv[0]!));
  if (!base) return { kind: 'unknown' };
  if (!base.subcommands) return { kind: 'found', cmd: base, arityName: base.name };
  if (argv.length < 2) return { kind: 'found', cmd: { ...base, arity: 2 }, arityName: base.name };
  const sub = base.subcommands.get(lower(argv[1]!));
  if (!sub) return { kind: 'unknown-subcommand', container: base.name };
  return { kind: 'found', cmd: sub, arityName: `${base.name}|${sub.name}` };
}

/** Every registered top-level command name (for tests and docs). */
export function commandNames(): string[] {
  return [...TABLE.keys()];
}
