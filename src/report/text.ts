// Text rendering of a finished run: a summary with every expectation, and a readable timeline.
// Pure functions of the result; colour comes from the chalk instance passed in (NO_COLOR aware).
import type { ChalkInstance } from 'chalk';
import type { TimelineEvent } from '../timeline/events.ts';
import type { RunResult } from '../scenario/run.ts';
import { connectionEnds, groupEnds, nameList } from './explain.ts';
import { fmtBytes } from './units.ts';

/** Virtual time as seconds with microsecond precision: `12.004150s`. */
export function fmtTime(us: number): string {
  return `${(us / 1e6).toFixed(6)}s`;
}

export { fmtBytes };

/** The command that reproduces a run exactly. */
export function reproduceCommand(r: Pick<RunResult, 'file' | 'seed'>): string {
  return `npx redsim run ${r.file} --seed ${r.seed}`;
}

export interface SummaryOptions {
  /** At most this many connection-end lines (ends with the same sentence share one; default 20). */
  maxEnds?: number;
}

/**
 * One-paragraph summary: verdict, expectations, end, hash, how every connection ended (closes,
 * refusals and failed connects, each with a plain-language reason and its numbers), and how to
 * reproduce a failure.
 */
export function renderSummary(r: RunResult, c: ChalkInstance, opts: SummaryOptions = {}): string {
  const lines: string[] = [];
  const verdict = r.passed ? c.green('PASS') : c.red('FAIL');
  const held = r.expectations.filter((e) => e.passed).length;
  lines.push(`${verdict} ${c.bold(r.scenario)} (seed ${r.seed}) — ${held}/${r.expectations.length} expectations, ${r.events.length} events, hash ${r.hash.slice(0, 16)}`);
  if (r.serverExit !== null) lines.push(c.yellow(`  the server refused to start (exit code ${r.serverExit}); see its log lines in the timeline`));
  if (r.ended === 'horizon') {
    lines.push(c.yellow(`  stopped at the horizon, ${fmtTime(r.endUs)}${r.unfinished.length ? `, with unfinished clients: ${r.unfinished.join(', ')}` : ''}`));
  } else {
    lines.push(c.dim(`  settled at ${fmtTime(r.endUs)} of virtual time`));
  }
  for (const e of r.expectations) {
    const mark = e.passed ? c.green('✔') : c.red('✘');
    lines.push(`  ${mark} ${e.description} ${c.dim(`(${r.file}:${e.line})`)}`);
    if (!e.passed) lines.push(`      ${c.red(e.detail)}`);
  }
  // Ends with the same sentence (same reason, numbers and time) share a line: 2000 idle clients
  // closed by one cron tick read as one line, not 2000.
  const groups = groupEnds(connectionEnds(r.events));
  const max = opts.maxEnds ?? 20;
  for (const g of groups.slice(0, max)) lines.push(`  ${c.bold(nameList(g.clients))} ${g.routine ? c.dim(g.text) : c.red(g.text)}`);
  if (groups.length > max) {
    const rest = groups.slice(max).reduce((n, g) => n + g.clients.length, 0);
    lines.push(c.dim(`  … and ${rest} more connection ends at other times; every one is in the timeline`));
  }
  if (!r.passed) lines.push(`  reproduce: ${c.cyan(reproduceCommand(r))}`);
  return lines.join('\n');
}

/** One event in words, as the timeline prints it (without time and client). */
export function describeEvent(e: TimelineEvent): string {
  switch (e.kind) {
    case 'connect': return `connect to ${e.addr}: ${e.result}`;
    case 'accept': return `accepted as id=${e.id} fd=${e.fd} from ${e.addr}`;
    case 'reject': return `refused (${e.reason})${e.detail ? `: ${e.detail}` : ''}`;
    case 'read': return `read ${fmtBytes(e.bytes)} (query buffer ${fmtBytes(e.qbuf)})`;
    case 'command': return `command ${e.name}${e.args ? ` ${e.args}` : ''}`;
    case 'reply': return `reply ${fmtBytes(e.bytes)}: ${e.text}`;
    case 'write': return `wrote ${fmtBytes(e.bytes)}${e.pending ? `, ${fmtBytes(e.pending)} still queued` : ''}`;
    case 'close': return `closed: ${e.reason}${e.detail ? ` — ${e.detail}` : ''}`;
    case 'log': return `log ${e.level}: ${e.line}`;
    case 'cron': return `cron hz=${e.hz} visited ${e.visited} of ${e.clients} clients`;
    case 'fault': return `fault ${e.fault}${e.detail ? ` ${e.detail}` : ''}`;
    case 'tls': return e.what === 'handshake-done' ? `TLS handshake done (id=${e.id})` : `TLS handshake failed (id=${e.id}): ${e.detail ?? 'no reason given'}`;
    case 'firewall': return `firewall ${e.action === 'drop' ? 'dropped' : 'rejected'} ${e.dir === 'in' ? `a packet from ${e.addr} to port ${e.port}` : `a packet to ${e.addr} from port ${e.port}`} (rule firewall[${e.rule}])`;
    case 'client': return `${e.what}${e.detail !== undefined ? ` ${e.detail}` : ''}`;
    case 'horizon': return 'horizon reached';
  }
}

function colourFor(e: TimelineEvent, c: ChalkInstance): (s: string) => string {
  switch (e.kind) {
    case 'close': case 'reject': return c.red;
    case 'tls': return e.what === 'handshake-failed' ? c.red : c.green;
    case 'fault': case 'firewall': return c.magenta;
    case 'log': return e.level === 'warning' ? c.yellow : c.dim;
    case 'client': return c.cyan;
    case 'cron': return c.dim;
    default: return (s) => s;
  }
}

/**
 * The timeline, one event per line: time, client, what happened. Cron ticks are left out unless
 * `withCron` (they are many and say little on their own).
 */
export function renderTimeline(events: readonly TimelineEvent[], c: ChalkInstance, withCron = false): string {
  const width = Math.max(6, ...events.map((e) => (e.client ?? '').length));
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === 'cron' && !withCron) continue;
    const who = (e.client ?? (e.kind === 'log' || e.kind === 'cron' ? 'server' : '')).padEnd(width);
    out.push(`${c.dim(fmtTime(e.t))}  ${c.bold(who)}  ${colourFor(e, c)(describeEvent(e))}`);
  }
  return out.join('\n');
}
