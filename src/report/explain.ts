// Plain-language reasons for the end of a connection: every server close, every refusal, and every
// connect() that failed, with the numbers behind it. Reads the `detail` strings the core writes
// (server/limits.ts, cron.ts, read.ts, accept.ts); an unknown shape falls back to the raw detail.
import type { TimelineEvent } from '../timeline/events.ts';
import { fmtBytes } from './units.ts';

/** The virtual clock's Unix epoch (kernel/sim-backend.ts VIRTUAL_EPOCH_US, in seconds): t=0. */
const VIRTUAL_EPOCH_S = 1_767_225_600;

/** Virtual time as seconds, 3 to 6 decimals: `12.004 s`, `3.001017 s`, `0.00046 s`. */
export function fmtSeconds(us: number): string {
  let s = (us / 1e6).toFixed(6);
  while (s.endsWith('0') && !/\.\d{3}$/.test(s)) s = s.slice(0, -1);
  return `${s} s`;
}

/** Two byte counts in units; exact bytes added when the rounded forms would read the same. */
function pair(a: number, b: number): [string, string] {
  const fa = fmtBytes(a);
  const fb = fmtBytes(b);
  if (fa === fb && a !== b && a >= 1024) return [`${fa} (${a} B)`, `${fb} (${b} B)`];
  return [fa, fb];
}

/** How a connection ended, as the reports show it. */
export interface ConnectionEnd {
  /** The scenario's client name (or the peer address when unknown). */
  client: string;
  t: number;
  seq: number;
  /** `closed` by the server, `refused` before becoming a client, or the client's `connect-failed`. */
  outcome: 'closed' | 'refused' | 'connect-failed';
  /** The timeline's reason code (close or reject reason, or the connect result). */
  reason: string;
  /** Whether the end is an ordinary one (the client asked to go, or went) rather than a limit or fault. */
  routine: boolean;
  /** One sentence without the client's name, e.g. `closed: output buffer 33.6 MB ≥ hard limit 32.0 MB (class normal) at t=12.004 s`. */
  text: string;
}

/** The sentence for a close, reject or failed connect event (without the time); null for other events. */
export function explainWhy(e: TimelineEvent): string | null {
  if (e.kind === 'close') {
    const d = e.detail ?? '';
    let m: RegExpMatchArray | null;
    switch (e.reason) {
      case 'obuf-hard-limit':
        if ((m = d.match(/^omem (\d+) >= hard limit (\d+) \((\w+)\)$/))) {
          const [u, l] = pair(Number(m[1]), Number(m[2]));
          return `closed: output buffer ${u} ≥ hard limit ${l} (class ${m[3]})`;
        }
        break;
      case 'obuf-soft-limit':
        if ((m = d.match(/^omem (\d+) >= soft limit (\d+) for more than (\d+) s \(since (\d+)\) \((\w+)\)$/))) {
          const [u, l] = pair(Number(m[1]), Number(m[2]));
          const since = Number(m[4]) - VIRTUAL_EPOCH_S;
          const sinceText = since >= 0 && since * 1e6 <= e.t ? `over it since t=${since} s` : `over it since unixtime ${m[4]}`;
          return `closed: output buffer ${u} ≥ soft limit ${l} for more than ${m[3]} s (${sinceText}; class ${m[5]})`;
        }
        break;
      case 'querybuf-limit':
        if ((m = d.match(/^qbuf (\d+) > limit (\d+)$/))) {
          const [q, l] = pair(Number(m[1]), Number(m[2]));
          return `closed: query buffer ${q} > client-query-buffer-limit ${l}`;
        }
        break;
      case 'idle-timeout':
        if ((m = d.match(/^idle (\S+) s > timeout (\S+) s( \(exact timer\))?$/))) {
          return `closed: idle for ${m[1]} s > timeout ${m[2]} s${m[3] ? ' (exact timer)' : ''}`;
        }
        break;
      case 'keepalive':
        return `closed: TCP keepalive probes went unanswered — the peer is gone${d ? ` (${d})` : ''}`;
      case 'reset':
        return `closed: the connection was reset${d ? ` (${d})` : ''}`;
      case 'write-error':
        return `closed: a socket error${d ? ` (${d})` : ''}`;
      case 'peer-closed':
        return 'closed: the client closed its side (read returned 0)';
      case 'quit':
        return 'closed: the client asked to go (QUIT or another close-after-reply); reply written, then closed';
      case 'protocol-error':
        return `closed: protocol error${d ? ` (${d})` : ''}; the error reply was written, then the connection closed`;
      case 'security':
        return `closed: the client sent ${d ? `"${d}"` : 'an HTTP line'} — an HTTP client talking to Redis (cross-protocol scripting guard)`;
      case 'killed':
        return `closed: killed${d ? ` (${d})` : ' (CLIENT KILL)'}`;
    }
    return `closed (${e.reason})${d ? `: ${d}` : ''}`;
  }
  if (e.kind === 'reject') {
    const d = e.detail ?? '';
    const m = e.reason === 'maxclients' ? d.match(/^(\d+) clients connected, maxclients (\d+)$/) : null;
    if (m) return `refused: ${m[1]} clients connected ≥ maxclients ${m[2]} (sent "-ERR max number of clients reached", then closed)`;
    switch (e.reason) {
      case 'maxclients': return `refused: maxclients reached${d ? ` (${d})` : ''}`;
      case 'protected-mode': return `refused: protected mode (no password set, connection not from loopback)${d ? ` (${d})` : ''}`;
      case 'refused': return `refused: connection refused${d ? ` (${d})` : ''}`;
      case 'backlog-full': return `refused: the listen backlog was full${d ? ` (${d})` : ''}`;
    }
    return `refused (${String((e as { reason: unknown }).reason)})${d ? `: ${d}` : ''}`;
  }
  if (e.kind === 'connect' && (e.result === 'refused' || e.result === 'timeout')) {
    return e.result === 'refused'
      ? `connect failed: connection refused by ${e.addr} (nothing listening)`
      : `connect failed: timed out reaching ${e.addr} (SYNs unanswered: backlog full or peer unreachable)`;
  }
  return null;
}

const ROUTINE = new Set(['quit', 'peer-closed']);

/** Every close, refusal and failed connect of a run, in timeline order. */
export function connectionEnds(events: readonly TimelineEvent[]): ConnectionEnd[] {
  const out: ConnectionEnd[] = [];
  // The last firewall verdict on each client's packets: a failed connect is then its doing.
  const firewalled = new Map<string, Extract<TimelineEvent, { kind: 'firewall' }>>();
  for (const e of events) {
    if (e.kind === 'firewall') {
      if (e.client !== undefined) firewalled.set(e.client, e);
      continue;
    }
    if (e.kind === 'client' && e.what === 'connect-timeout' && e.client !== undefined) {
      const fw = firewalled.get(e.client);
      const why = `connect failed: the client gave up waiting (its connect-timeout)${fw ? `; the firewall was dropping its packets (rule firewall[${fw.rule}])` : ''}`;
      out.push({ client: e.client, t: e.t, seq: e.seq, outcome: 'connect-failed', reason: 'connect-timeout', routine: false, text: `${why} at t=${fmtSeconds(e.t)}` });
      continue;
    }
    if (e.kind !== 'close' && e.kind !== 'reject' && e.kind !== 'connect') continue;
    const fw = e.kind === 'connect' && e.client !== undefined ? firewalled.get(e.client) : undefined;
    const why = fw && e.kind === 'connect' && (e.result === 'refused' || e.result === 'timeout')
      ? e.result === 'refused'
        ? `connect failed: connection refused by the firewall (rule firewall[${fw.rule}] answered the SYN with a RST)`
        : `connect failed: timed out reaching ${e.addr} (the firewall ${fw.action === 'drop' ? 'dropped' : 'rejected'} the handshake: rule firewall[${fw.rule}])`
      : explainWhy(e);
    if (why === null) continue;
    const outcome = e.kind === 'close' ? 'closed' : e.kind === 'reject' ? 'refused' : 'connect-failed';
    const reason = e.kind === 'connect' ? e.result : e.reason;
    const client = e.client ?? (e.kind === 'close' ? `id=${e.id}` : e.addr);
    out.push({ client, t: e.t, seq: e.seq, outcome, reason, routine: e.kind === 'close' && ROUTINE.has(reason), text: `${why} at t=${fmtSeconds(e.t)}` });
  }
  return out;
}

/** Ends that read the same (same sentence, numbers and time), with every client they concern. */
export interface EndGroup extends Omit<ConnectionEnd, 'client'> {
  clients: string[];
}

/** Groups ends with the same sentence, in order of first appearance: 2000 idle clients closed by one cron tick are one group. */
export function groupEnds(ends: readonly ConnectionEnd[]): EndGroup[] {
  const m = new Map<string, EndGroup>();
  for (const e of ends) {
    const g = m.get(e.text);
    if (g) g.clients.push(e.client);
    else {
      const { client, ...rest } = e;
      m.set(e.text, { ...rest, clients: [client] });
    }
  }
  return [...m.values()];
}

/** A list of names that stays short: `a, b, c` or `a, b and 198 others`. */
export function nameList(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
}

/** Counts of ends by outcome and reason, e.g. `closed: idle-timeout` → 1998. */
export function endCounts(ends: readonly ConnectionEnd[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of ends) {
    const k = `${e.outcome === 'connect-failed' ? 'connect failed' : e.outcome}: ${e.reason}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
