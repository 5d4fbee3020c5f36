// Checks a finished run against the scenario's expectations. Results are data; rendering is the
// CLI's and the reports' business.
import type { TimelineEvent } from '../timeline/events.ts';
import type { ClientObservation } from './actor.ts';
import type { EventPattern, Expectation } from './types.ts';

export interface ExpectationResult {
  /** One line saying what was expected, e.g. `c1 received 3 replies`. */
  description: string;
  passed: boolean;
  /** What was observed instead (or confirming detail). */
  detail: string;
  line: number;
}

function fmtUs(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

/** Whether event `e` matches every field of `p` ('/re/' strings are regexes). */
export function matchesPattern(e: TimelineEvent, p: EventPattern): boolean {
  const rec = e as unknown as Record<string, unknown>;
  for (const [k, want] of Object.entries(p)) {
    const got = rec[k];
    if (got === undefined) return false;
    if (typeof want === 'string' && want.length >= 2 && want.startsWith('/') && want.endsWith('/')) {
      if (!new RegExp(want.slice(1, -1)).test(String(got))) return false;
    } else if (String(got) !== String(want)) return false;
  }
  return true;
}

function patternText(p: EventPattern): string {
  return Object.entries(p).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

/** The server's end of a client's connection: its close or reject event, if any. */
function serverEnd(events: readonly TimelineEvent[], client: string): TimelineEvent | undefined {
  return events.find((e) => e.client === client && (e.kind === 'close' || e.kind === 'reject'));
}

export function checkExpectations(
  expectations: readonly Expectation[],
  events: readonly TimelineEvent[],
  clients: ReadonlyMap<string, ClientObservation>,
): ExpectationResult[] {
  return expectations.map((x) => {
    switch (x.kind) {
      case 'replies': {
        const got = clients.get(x.client)?.replies ?? [];
        const n = Math.max(got.length, x.replies.length);
        let diff = -1;
        for (let i = 0; i < n; i++) if (got[i] !== x.replies[i]) { diff = i; break; }
        return {
          description: `${x.client} received exactly ${x.replies.length} expected replies`,
          passed: diff === -1,
          detail: diff === -1
            ? `${got.length} replies as expected`
            : `reply #${diff + 1}: expected ${x.replies[diff] === undefined ? '(none)' : JSON.stringify(x.replies[diff])}, got ${got[diff] === undefined ? '(none)' : JSON.stringify(got[diff])} (${got.length} replies in all)`,
          line: x.line,
        };
      }
      case 'reply-count': {
        const got = clients.get(x.client)?.replies.length ?? 0;
        return { description: `${x.client} received ${x.count} replies`, passed: got === x.count, detail: `received ${got}`, line: x.line };
      }
      case 'closed': {
        const e = serverEnd(events, x.client);
        const parts = [`${x.client} was closed by the server`];
        if (x.reason) parts.push(`with reason ${x.reason}`);
        if (x.afterUs !== undefined) parts.push(`after ${fmtUs(x.afterUs)}`);
        if (x.beforeUs !== undefined) parts.push(`before ${fmtUs(x.beforeUs)}`);
        const description = parts.join(' ');
        if (!e) return { description, passed: false, detail: 'it was never closed by the server', line: x.line };
        const reason = (e as { reason: string }).reason;
        const okReason = !x.reason || reason === x.reason;
        const okAfter = x.afterUs === undefined || e.t >= x.afterUs;
        const okBefore = x.beforeUs === undefined || e.t < x.beforeUs;
        return {
          description,
          passed: okReason && okAfter && okBefore,
          detail: `${e.kind} with reason ${reason} at ${fmtUs(e.t)}`,
          line: x.line,
        };
      }
      case 'open': {
        const e = serverEnd(events, x.client);
        return {
          description: `${x.client} was still connected at the end`,
          passed: !e,
          detail: e ? `${e.kind} with reason ${(e as { reason: string }).reason} at ${fmtUs(e.t)}` : 'still connected',
          line: x.line,
        };
      }
      case 'contains': {
        const hit = events.find((e) => matchesPattern(e, x.pattern));
        return {
          description: `the timeline contains ${patternText(x.pattern)}`,
          passed: !!hit,
          detail: hit ? `first match: seq ${hit.seq} at ${fmtUs(hit.t)}` : 'no event matches',
          line: x.line,
        };
      }
      case 'lacks': {
        const hit = events.find((e) => matchesPattern(e, x.pattern));
        return {
          description: `the timeline has no ${patternText(x.pattern)}`,
          passed: !hit,
          detail: hit ? `seq ${hit.seq} at ${fmtUs(hit.t)} matches` : 'no event matches',
          line: x.line,
        };
      }
    }
  });
}
