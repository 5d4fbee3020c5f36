// Quantities over virtual time, derived from a run's events only (the core is not asked): each
// client's output buffer (reply bytes queued, minus what writes sent), its query buffer (sampled at
// each read), connected clients and file descriptors in use. Shared by the HTML and trace reports,
// with a resampler that keeps plots small for runs of any length.
import type { RunResult } from '../scenario/run.ts';
import type { TimelineEvent } from '../timeline/events.ts';

/**
 * A quantity's changes: `v[i]` holds from `t[i]` (µs) on. Several entries may share a time (a reply
 * queued, then written, in the same µs). `null` means "no such thing any more" (the client closed).
 */
export interface Step {
  t: number[];
  v: (number | null)[];
}

function push(s: Step, t: number, v: number | null): void {
  s.t.push(t);
  s.v.push(v);
}

function peak(s: Step): number {
  let m = 0;
  for (const v of s.v) if (v !== null && v > m) m = v;
  return m;
}

export interface Derived {
  /** Client names in order of first appearance (events without a name use `id=N` or the address). */
  clients: string[];
  /** Per client: bytes queued for it and not yet written (reply adds, write sets to `pending`). */
  obuf: Map<string, Step>;
  /** Per client: the query buffer's length right after each read (a sample, not a level). */
  qbuf: Map<string, Step>;
  /** Clients connected to the server (accept +1, close −1). */
  connected: Step;
  /** File descriptors in use: 0–2, the listener, one per client; a refused connection holds one for an instant. */
  fds: Step;
  /** Limits found in the timeline (log lines, reject details), when it tells them. */
  limits: { maxclients?: number; fdLimit?: number; obufHard?: number; obufSoft?: number; qbuf?: number };
}

function nameOf(e: TimelineEvent): string {
  if (e.client !== undefined) return e.client;
  if ('id' in e) return `id=${e.id}`;
  if ('addr' in e) return e.addr;
  return 'server';
}

export function deriveSeries(r: Pick<RunResult, 'events' | 'serverExit'>): Derived {
  const clients: string[] = [];
  const seen = new Set<string>();
  const obuf = new Map<string, Step>();
  const qbuf = new Map<string, Step>();
  const obufNow = new Map<string, number>();
  const connected: Step = { t: [0], v: [0] };
  const base = r.serverExit === null ? 4 : 3;
  const fds: Step = { t: [0], v: [base] };
  const limits: Derived['limits'] = {};
  let nconn = 0;
  const series = (m: Map<string, Step>, k: string) => {
    let s = m.get(k);
    if (!s) m.set(k, (s = { t: [], v: [] }));
    return s;
  };
  for (const e of r.events) {
    if (e.client !== undefined && !seen.has(e.client)) {
      seen.add(e.client);
      clients.push(e.client);
    }
    switch (e.kind) {
      case 'accept': {
        const k = nameOf(e);
        if (!seen.has(k)) (seen.add(k), clients.push(k));
        obufNow.set(k, 0);
        push(series(obuf, k), e.t, 0);
        nconn++;
        push(connected, e.t, nconn);
        push(fds, e.t, base + nconn);
        break;
      }
      case 'reply': {
        const k = nameOf(e);
        const v = (obufNow.get(k) ?? 0) + e.bytes;
        obufNow.set(k, v);
        push(series(obuf, k), e.t, v);
        break;
      }
      case 'write': {
        const k = nameOf(e);
        obufNow.set(k, e.pending);
        push(series(obuf, k), e.t, e.pending);
        break;
      }
      case 'read':
        push(series(qbuf, nameOf(e)), e.t, e.qbuf);
        break;
      case 'close': {
        const k = nameOf(e);
        obufNow.delete(k);
        const o = series(obuf, k);
        push(o, e.t, 0);
        push(o, e.t, null);
        const d = e.detail ?? '';
        let m: RegExpMatchArray | null;
        if ((m = d.match(/>= hard limit (\d+)/))) limits.obufHard = Number(m[1]);
        if ((m = d.match(/>= soft limit (\d+)/))) limits.obufSoft = Number(m[1]);
        if ((m = d.match(/^qbuf \d+ > limit (\d+)/))) limits.qbuf = Number(m[1]);
        nconn = Math.max(0, nconn - 1);
        push(connected, e.t, nconn);
        push(fds, e.t, base + nconn);
        break;
      }
      case 'reject': {
        const m = e.detail?.match(/maxclients (\d+)/);
        if (m) limits.maxclients = Number(m[1]);
        if (e.reason === 'maxclients' || e.reason === 'protected-mode') {
          // Redis accepted the socket to write the error, then closed it.
          push(fds, e.t, base + nconn + 1);
          push(fds, e.t, base + nconn);
        }
        break;
      }
      case 'log': {
        let m = e.line.match(/maxclients has been reduced to (\d+)/);
        if (m) limits.maxclients = Number(m[1]);
        m = e.line.match(/(?:maximum number of open files to|Current maximum open files is) (\d+)/);
        if (m) limits.fdLimit = Number(m[1]);
        break;
      }
    }
  }
  return { clients, obuf, qbuf, connected, fds, limits };
}

// ---- resampling for plots ----------------------------------------------------------------------

/** How a series is drawn and resampled: a held level, samples (null between), or a constant limit. */
export type SeriesKind = 'step' | 'samples' | 'limit';

export interface PlotSeries {
  label: string;
  kind: SeriesKind;
  /** Palette index, the same for a client on every plot; absent for aggregates and limits. */
  color?: number;
  values: (number | null)[];
}

export interface PlotData {
  id: string;
  title: string;
  unit: 'bytes' | 'count';
  /** What the plot shows and how it was derived, one or two sentences. */
  note: string;
  /** Virtual time, seconds. */
  x: number[];
  series: PlotSeries[];
  /** `exact` (every change kept) or `max per bucket` of the given width in µs. */
  sampling: string;
}

interface Input {
  label: string;
  kind: SeriesKind;
  color?: number;
  step: Step;
  limit?: number;
}

/** Per series: for each distinct time, the largest value there and the value it is left at. */
function collapse(s: Step): { t: number[]; max: (number | null)[]; last: (number | null)[] } {
  const t: number[] = [];
  const max: (number | null)[] = [];
  const last: (number | null)[] = [];
  for (let i = 0; i < s.t.length; i++) {
    const ti = s.t[i]!;
    const vi = s.v[i]!;
    const n = t.length;
    if (n && t[n - 1] === ti) {
      const m = max[n - 1]!;
      max[n - 1] = m === null ? vi : vi === null ? m : Math.max(m, vi);
      last[n - 1] = vi;
    } else {
      t.push(ti);
      max.push(vi);
      last.push(vi);
    }
  }
  return { t, max, last };
}

/**
 * Puts series on one time axis of at most `maxPoints` points. Below that every change is kept (a
 * peak and a drop in the same µs become two points, 1 µs apart); above it each bucket holds the
 * largest value seen in it, so no peak is lost.
 */
export function resample(inputs: readonly Input[], endUs: number, maxPoints = 1500): { x: number[]; values: (number | null)[][]; sampling: string } {
  const cols = inputs.map((i) => collapse(i.step));
  const xs = new Set<number>([0, endUs]);
  for (const c of cols) {
    for (let i = 0; i < c.t.length; i++) {
      xs.add(c.t[i]!);
      if (c.last[i] !== c.max[i]) xs.add(c.t[i]! + 1);
    }
    if (xs.size > maxPoints) break;
  }
  if (xs.size <= maxPoints) {
    const x = [...xs].sort((a, b) => a - b);
    const values = inputs.map((inp, k) => {
      if (inp.kind === 'limit') return x.map(() => inp.limit ?? null);
      const c = cols[k]!;
      const out: (number | null)[] = [];
      let j = 0;
      let carry: number | null = null;
      for (const xi of x) {
        if (j < c.t.length && c.t[j] === xi) {
          out.push(c.max[j]!);
          carry = c.last[j]!;
          j++;
        } else out.push(inp.kind === 'samples' ? null : carry);
      }
      return out;
    });
    return { x: x.map((us) => us / 1e6), values, sampling: 'exact' };
  }
  const n = maxPoints;
  const span = Math.max(1, endUs);
  const w = span / n;
  const x = Array.from({ length: n + 1 }, (_, i) => (i * w) / 1e6);
  const values = inputs.map((inp, k) => {
    if (inp.kind === 'limit') return x.map(() => inp.limit ?? null);
    const c = cols[k]!;
    const out: (number | null)[] = new Array(n + 1).fill(null);
    let j = 0;
    let carry: number | null = null;
    for (let b = 0; b <= n; b++) {
      const hi = b === n ? Infinity : (b + 1) * w;
      let m: number | null = inp.kind === 'samples' ? null : carry;
      while (j < c.t.length && c.t[j]! < hi) {
        const v = c.max[j]!;
        if (v !== null && (m === null || v > m)) m = v;
        carry = c.last[j]!;
        j++;
      }
      out[b] = m;
    }
    return out;
  });
  return { x, values, sampling: `max per ${Math.round(w)} µs` };
}

/** Sum of several step series (nulls count as 0), as one step series. */
function sumSteps(steps: readonly Step[]): Step {
  const ch: Array<[number, number, number]> = []; // t, series index, value
  steps.forEach((s, k) => s.t.forEach((t, i) => ch.push([t, k, s.v[i] ?? 0])));
  ch.sort((a, b) => a[0] - b[0]);
  const cur = new Array(steps.length).fill(0);
  let total = 0;
  const out: Step = { t: [], v: [] };
  for (const [t, k, v] of ch) {
    total += v - cur[k];
    cur[k] = v;
    push(out, t, total);
  }
  return out;
}

/** Samples of several series merged in time order. */
function mergeSamples(steps: readonly Step[]): Step {
  const ch: Array<[number, number | null]> = [];
  for (const s of steps) s.t.forEach((t, i) => ch.push([t, s.v[i]!]));
  ch.sort((a, b) => a[0] - b[0]);
  return { t: ch.map((c) => c[0]), v: ch.map((c) => c[1]) };
}

/** The clients with the highest peaks (at most `top`), the rest as one aggregate series. */
function perClient(m: Map<string, Step>, kind: SeriesKind, top: number, order: readonly string[]): Input[] {
  const index = new Map(order.map((n, i) => [n, i]));
  const all = [...m].map(([name, step]) => ({ name, step, peak: peak(step) }));
  const ranked = [...all].sort((a, b) => b.peak - a.peak);
  const shown = new Set(ranked.slice(0, top).map((a) => a.name));
  const out: Input[] = all.filter((a) => shown.has(a.name)).map((a) => ({ label: a.name, kind, step: a.step, color: index.get(a.name) ?? 0 }));
  const rest = all.filter((a) => !shown.has(a.name));
  if (rest.length) {
    out.push(kind === 'step'
      ? { label: `${rest.length} other clients (sum)`, kind, step: sumSteps(rest.map((r) => r.step)) }
      : { label: `${rest.length} other clients (any)`, kind, step: mergeSamples(rest.map((r) => r.step)) });
  }
  return out;
}

/** A limit is drawn when it was reached or is near (within 2× the peak), so it never squashes the plot. */
function limitIfNear(label: string, limit: number | undefined, ...steps: Step[]): Input[] {
  if (limit === undefined || limit === 0) return [];
  const top = Math.max(1, ...steps.map(peak));
  return limit <= 2 * top ? [{ label, kind: 'limit', step: { t: [], v: [] }, limit }] : [];
}

/** The four plots of the HTML report, resampled to at most `maxPoints` points each. */
export function plotData(r: Pick<RunResult, 'events' | 'serverExit' | 'endUs'>, d: Derived = deriveSeries(r), maxPoints = 1500, top = 8): PlotData[] {
  const mk = (id: string, title: string, unit: PlotData['unit'], note: string, inputs: Input[]): PlotData => {
    const { x, values, sampling } = resample(inputs, r.endUs, maxPoints);
    return { id, title, unit, note, x, sampling, series: inputs.map((inp, k) => ({ label: inp.label, kind: inp.kind, ...(inp.color !== undefined ? { color: inp.color } : {}), values: values[k]! })) };
  };
  return [
    mk('obuf', 'Output buffer per client', 'bytes',
      'Reply bytes queued for each client and not yet written to its socket (a reply adds its bytes; a write leaves what it reports still pending). Redis\'s omem counts allocated memory and can be somewhat larger.',
      [...perClient(d.obuf, 'step', top, d.clients), ...limitIfNear('soft limit', d.limits.obufSoft, ...d.obuf.values()), ...limitIfNear('hard limit', d.limits.obufHard, ...d.obuf.values())]),
    mk('qbuf', 'Query buffer per client', 'bytes',
      'The query buffer right after each read() (dots). Commands parsed between reads are not recorded, so the buffer may be smaller between dots.',
      [...perClient(d.qbuf, 'samples', top, d.clients), ...limitIfNear('client-query-buffer-limit', d.limits.qbuf, ...d.qbuf.values())]),
    mk('clients', 'Connected clients', 'count',
      'Accepted and not yet closed. Refused connections never count.',
      [{ label: 'connected clients', kind: 'step', step: d.connected, color: 0 }, ...limitIfNear('maxclients', d.limits.maxclients, d.connected)]),
    mk('fds', 'File descriptors in use', 'count',
      `Derived: fds 0–2, ${r.serverExit === null ? 'the listener, ' : ''}one per connected client; a refused connection holds one for an instant.`,
      [{ label: 'fds in use', kind: 'step', step: d.fds, color: 0 }, ...limitIfNear('open files limit', d.limits.fdLimit, d.fds)]),
  ];
}
