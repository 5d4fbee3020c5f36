// Records timeline events in order, names the client each concerns, and gives the canonical form
// (one JSON object per line, fixed key order) and its sha256 — the run's identity.
import { createHash } from 'node:crypto';
import type { ConnRef, EventBody, EventKind, TimelineEvent, Tracer } from './events.ts';

export class Recorder implements Tracer {
  readonly events: TimelineEvent[] = [];
  private seq = 0;
  /**
   * Performance: `wants()` is asked on every hot path (each read, command, reply, write), so the
   * answer is a plain boolean per kind rather than a Set lookup. null = every kind is recorded.
   */
  private readonly wanted: Record<string, boolean> | null;

  /**
   * @param now current virtual time in µs
   * @param resolve maps a server-side peer address to the scenario client's name
   * @param kinds event kinds to record (all when omitted)
   */
  constructor(
    private readonly now: () => number,
    private readonly resolve: (conn: ConnRef) => string | undefined = () => undefined,
    private readonly kinds?: ReadonlySet<EventKind>,
  ) {
    this.wanted = kinds ? Object.fromEntries([...kinds].map((k) => [k, true])) : null;
  }

  wants(kind: EventKind): boolean {
    return this.wanted === null || this.wanted[kind] === true;
  }

  emit(body: EventBody, conn?: ConnRef): void {
    // Performance: the kind is checked before the peer address is resolved to a name.
    if (!this.wants(body.kind)) return;
    this.emitFor(body, conn === undefined ? undefined : this.resolve(conn) ?? conn);
  }

  /** Records an event naming a client directly (kernel and client programs know their names). */
  emitFor(body: EventBody, client?: string): void {
    if (!this.wants(body.kind)) return;
    // Keys in the order t, seq, client (when known), then the body's own order — as the spread
    // `{ t, seq, ...(client ? { client } : {}), ...body }` gives them. Performance: copied with a
    // for-in loop, which is several times cheaper than two object spreads.
    const e: Record<string, unknown> = client !== undefined ? { t: this.now(), seq: this.seq++, client } : { t: this.now(), seq: this.seq++ };
    const b = body as unknown as Record<string, unknown>;
    for (const k in b) e[k] = b[k];
    this.events.push(e as unknown as TimelineEvent);
  }
}

// ---- canonical form ------------------------------------------------------------------------------
//
// Canonical JSON of one event: `t, seq, client, kind` first, then the other keys sorted, exactly as
// JSON.stringify of an object with the keys in that order would print it (keys whose value is
// undefined, a function or a symbol left out).
//
// Performance: a long run records millions of events, and building a sorted-key object per event to
// stringify it dominated the hash. Events of one kind almost always have the same keys, so the key
// order is computed once per shape (kind + keys in insertion order) and cached with the keys'
// quoted forms; values are printed directly (numbers, booleans and strings the way JSON.stringify
// prints them). The text is byte-for-byte the same as before; test/timeline checks it against the
// plain definition.

const HEAD = ['t', 'seq', 'client', 'kind'];

/** One cached key order: the keys in insertion order that identify the shape, and the output order. */
interface Shape {
  keys: string[];
  order: string[];
  quoted: string[];
}

const shapes = new Map<unknown, Shape[]>();

function shapeOf(rec: Record<string, unknown>): Shape {
  const variants = shapes.get(rec.kind);
  if (variants) {
    outer: for (const s of variants) {
      let i = 0;
      for (const k in rec) {
        if (s.keys[i] !== k || !Object.prototype.hasOwnProperty.call(rec, k)) continue outer;
        i++;
      }
      if (i === s.keys.length) return s;
    }
  }
  const keys = Object.keys(rec);
  const order = [...HEAD.filter((k) => k in rec), ...keys.filter((k) => !HEAD.includes(k)).sort()];
  const s: Shape = { keys, order, quoted: order.map((k) => JSON.stringify(k)) };
  if (variants) {
    // A kind with many shapes (should not happen) keeps only the most recent few.
    if (variants.length >= 8) variants.shift();
    variants.push(s);
  } else shapes.set(rec.kind, [s]);
  return s;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A value as JSON.stringify prints it inside an object; undefined when the key is left out. */
function jsonValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'string':
      // Most strings need no escaping (no quote, backslash, control character or surrogate).
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return JSON.stringify(v);
  }
}

/** Canonical JSON of one event: t, seq, client, kind first, then the other keys sorted. */
export function canonicalEvent(e: TimelineEvent): string {
  const rec = e as unknown as Record<string, unknown>;
  const s = shapeOf(rec);
  let out = '{';
  for (let i = 0; i < s.order.length; i++) {
    const v = jsonValue(rec[s.order[i]!]);
    if (v === undefined) continue;
    out += out.length === 1 ? `${s.quoted[i]}:${v}` : `,${s.quoted[i]}:${v}`;
  }
  return out + '}';
}

/** The plain definition of the canonical form (the reference the fast one is tested against). */
export function canonicalEventReference(e: TimelineEvent): string {
  const rec = e as unknown as Record<string, unknown>;
  const keys = [...HEAD.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !HEAD.includes(k)).sort()];
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, rec[k]])));
}

/** The timeline as NDJSON: one canonical event per line. */
export function canonicalTimeline(events: readonly TimelineEvent[]): string {
  const parts: string[] = [];
  for (const e of events) parts.push(canonicalEvent(e));
  return parts.length ? parts.join('\n') + '\n' : '';
}

/** sha256 (hex) of the canonical timeline. */
export function timelineHash(events: readonly TimelineEvent[]): string {
  const h = createHash('sha256');
  // Performance: lines are hashed in chunks of about 64 KiB rather than one update() per event.
  let chunk = '';
  for (const e of events) {
    chunk += canonicalEvent(e) + '\n';
    if (chunk.length >= 65536) {
      h.update(chunk);
      chunk = '';
    }
  }
  if (chunk) h.update(chunk);
  return h.digest('hex');
}
