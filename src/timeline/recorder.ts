// Records timeline events in order, names the client each concerns, and gives the canonical form
// (one JSON object per line, fixed key order) and its sha256 — the run's identity.
import { createHash } from 'node:crypto';
import type { ConnRef, EventBody, EventKind, TimelineEvent, Tracer } from './events.ts';

export class Recorder implements Tracer {
  readonly events: TimelineEvent[] = [];
  private seq = 0;

  /**
   * @param now current virtual time in µs
   * @param resolve maps a server-side peer address to the scenario client's name
   * @param kinds event kinds to record (all when omitted)
   */
  constructor(
    private readonly now: () => number,
    private readonly resolve: (conn: ConnRef) => string | undefined = () => undefined,
    private readonly kinds?: ReadonlySet<EventKind>,
  ) {}

  wants(kind: EventKind): boolean {
    return !this.kinds || this.kinds.has(kind);
  }

  emit(body: EventBody, conn?: ConnRef): void {
    this.emitFor(body, conn === undefined ? undefined : this.resolve(conn) ?? conn);
  }

  /** Records an event naming a client directly (kernel and client programs know their names). */
  emitFor(body: EventBody, client?: string): void {
    if (!this.wants(body.kind)) return;
    const e = { t: this.now(), seq: this.seq++, ...(client !== undefined ? { client } : {}), ...body } as TimelineEvent;
    this.events.push(e);
  }
}

/** Canonical JSON of one event: t, seq, client, kind first, then the other keys sorted. */
export function canonicalEvent(e: TimelineEvent): string {
  const rec = e as unknown as Record<string, unknown>;
  const head = ['t', 'seq', 'client', 'kind'];
  const keys = [...head.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !head.includes(k)).sort()];
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, rec[k]])));
}

/** The timeline as NDJSON: one canonical event per line. */
export function canonicalTimeline(events: readonly TimelineEvent[]): string {
  let out = '';
  for (const e of events) out += canonicalEvent(e) + '\n';
  return out;
}

/** sha256 (hex) of the canonical timeline. */
export function timelineHash(events: readonly TimelineEvent[]): string {
  const h = createHash('sha256');
  for (const e of events) h.update(canonicalEvent(e) + '\n');
  return h.digest('hex');
}
