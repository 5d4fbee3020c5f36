// `redsim diff A B`: where two timelines part. The comparison (`firstDivergence`) is a pure
// function of two event lists, compared in canonical form (timeline/recorder.ts), and is shared by
// `replay` and `run --check-determinism`; the rest reads files and renders for a terminal.
import { readFileSync } from 'node:fs';
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import { renderTimeline } from '../report/text.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import { canonicalEvent, timelineHash } from '../timeline/recorder.ts';

/** Where two timelines first differ, with context on both sides. */
export interface Divergence {
  /** Position (0-based) of the first event that differs. */
  index: number;
  /** The event of each side at `index`; undefined when that side has already ended. */
  a?: TimelineEvent;
  b?: TimelineEvent;
  /** Up to `context` events before `index` (the same in both). */
  before: TimelineEvent[];
  /** Up to `context` events after `index` in each side. */
  afterA: TimelineEvent[];
  afterB: TimelineEvent[];
  /** Fields whose canonical values differ, when both sides have an event at `index`. */
  fields: Array<{ key: string; a: unknown; b: unknown }>;
  lengthA: number;
  lengthB: number;
}

/** The fields of two events that differ (keys in canonical order). */
export function differingFields(a: TimelineEvent, b: TimelineEvent): Array<{ key: string; a: unknown; b: unknown }> {
  const ra = JSON.parse(canonicalEvent(a)) as Record<string, unknown>;
  const rb = JSON.parse(canonicalEvent(b)) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
  return keys.filter((k) => JSON.stringify(ra[k]) !== JSON.stringify(rb[k])).map((k) => ({ key: k, a: ra[k], b: rb[k] }));
}

/**
 * The first position where `a` and `b` differ (events compared in canonical form), with `context`
 * events either side; null when they are identical. A timeline that is a prefix of the other
 * diverges where it ends.
 */
export function firstDivergence(a: readonly TimelineEvent[], b: readonly TimelineEvent[], context = 3): Divergence | null {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && canonicalEvent(a[i]!) === canonicalEvent(b[i]!)) i++;
  if (i === n && a.length === b.length) return null;
  const ea = a[i];
  const eb = b[i];
  return {
    index: i,
    ...(ea ? { a: ea } : {}),
    ...(eb ? { b: eb } : {}),
    before: a.slice(Math.max(0, i - context), i),
    afterA: a.slice(i + 1, i + 1 + context),
    afterB: b.slice(i + 1, i + 1 + context),
    fields: ea && eb ? differingFields(ea, eb) : [],
    lengthA: a.length,
    lengthB: b.length,
  };
}

/** Colours for a command's output: none with --no-color or NO_COLOR. */
export function palette(color: boolean): ChalkInstance {
  return !color || process.env.NO_COLOR ? new Chalk({ level: 0 }) : chalk;
}

/**
 * A divergence as lines for a terminal: the shared context, each side's event (marked with its
 * label), the fields that differ, and what each side does next.
 */
export function renderDivergence(d: Divergence, c: ChalkInstance, labels: [string, string] = ['A', 'B']): string {
  // Rendered together so that the client column lines up (one line per event, cron included).
  const shown = [...d.before, ...(d.a ? [d.a] : []), ...(d.b ? [d.b] : []), ...d.afterA, ...d.afterB];
  const rendered = renderTimeline(shown, c, true).split('\n');
  const text = new Map(shown.map((e, k) => [e, rendered[k]!]));
  const line = (e: TimelineEvent) => text.get(e)!;
  const width = Math.max(labels[0].length, labels[1].length);
  const blank = ' '.repeat(width + 4);
  const out: string[] = [];
  out.push(`first difference at event #${d.index} (${labels[0]} has ${d.lengthA} events, ${labels[1]} has ${d.lengthB}):`);
  if (d.index > d.before.length) out.push(`${blank}${c.dim(`… ${d.index - d.before.length} identical events before`)}`);
  for (const e of d.before) out.push(`${blank}${line(e)}`);
  const side = (label: string, e: TimelineEvent | undefined, colour: (s: string) => string) =>
    `  ${colour(`${label.padEnd(width)} >`)} ${e ? line(e) : c.dim('(no more events: the timeline ends here)')}`;
  out.push(side(labels[0], d.a, c.red));
  out.push(side(labels[1], d.b, c.green));
  if (d.fields.length) {
    const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
    out.push(`${blank}${c.bold('differs in')} ${d.fields.map((f) => `${f.key}: ${show(f.a)} vs ${show(f.b)}`).join('; ')}`);
  }
  const same = d.afterA.length === d.afterB.length && d.afterA.every((e, k) => canonicalEvent(e) === canonicalEvent(d.afterB[k]!));
  const afters: Array<readonly [string, TimelineEvent[]]> = same ? [['both', d.afterA]] : [[labels[0], d.afterA], [labels[1], d.afterB]];
  for (const [label, after] of afters) {
    if (!after.length) continue;
    out.push(`  ${c.dim(`then in ${label}:`)}`);
    for (const e of after) out.push(`${blank}${line(e)}`);
  }
  return out.join('\n');
}

/** A timeline read from a file, with what the file says about where it came from. */
export interface LoadedTimeline {
  path: string;
  events: TimelineEvent[];
  /** From a run.json (or `run --json` output): the scenario file, seed and recorded hash. */
  file?: string;
  seed?: number;
  hash?: string;
  scenario?: string;
}

function isEventLike(v: unknown): v is TimelineEvent {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { kind?: unknown }).kind === 'string';
}

/** Thrown for a file that cannot be read or holds no timeline; the message says which and why. */
export class TimelineFileError extends Error {}

function fromValue(path: string, v: unknown): LoadedTimeline {
  if (Array.isArray(v)) {
    if (!v.every(isEventLike)) throw new TimelineFileError(`${path}: a JSON list, but not of timeline events (objects with a kind)`);
    return { path, events: v };
  }
  if (typeof v === 'object' && v !== null && Array.isArray((v as { events?: unknown }).events)) {
    const r = v as { events: unknown[]; file?: unknown; seed?: unknown; hash?: unknown; scenario?: unknown };
    if (!r.events.every(isEventLike)) throw new TimelineFileError(`${path}: its events are not timeline events (objects with a kind)`);
    return {
      path,
      events: r.events as TimelineEvent[],
      ...(typeof r.file === 'string' ? { file: r.file } : {}),
      ...(typeof r.seed === 'number' ? { seed: r.seed } : {}),
      ...(typeof r.hash === 'string' ? { hash: r.hash } : {}),
      ...(typeof r.scenario === 'string' ? { scenario: r.scenario } : {}),
    };
  }
  throw new TimelineFileError(`${path}: not a run report: expected a run.json (an object with events), a JSON list of events or a timeline.ndjson`);
}

/**
 * Reads a timeline from a run.json (`redsim run --out`, `npm start`), one `redsim run --json`
 * line, a JSON list of events, or a timeline.ndjson (one canonical event per line).
 */
export function readTimeline(path: string): LoadedTimeline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TimelineFileError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  try {
    return fromValue(path, JSON.parse(text));
  } catch (e) {
    if (e instanceof TimelineFileError) throw e;
  }
  // NDJSON: events (timeline.ndjson) or one run object.
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const values: unknown[] = [];
  for (const [k, l] of lines.entries()) {
    try {
      values.push(JSON.parse(l));
    } catch (e) {
      throw new TimelineFileError(`${path}:${k + 1}: not JSON (${(e as Error).message})`);
    }
  }
  if (values.length > 0 && values.every(isEventLike)) return { path, events: values as TimelineEvent[] };
  if (values.length === 1) return fromValue(path, values[0]);
  if (values.length > 1) throw new TimelineFileError(`${path}: holds ${values.length} runs (redsim run --json of several scenarios?); give a file with one`);
  throw new TimelineFileError(`${path}: empty`);
}

export interface DiffArgs {
  a: string;
  b: string;
  context: number;
  color: boolean;
}

/** `redsim diff`: 0 identical, 1 different, 2 unreadable input. */
export function cmdDiff(args: DiffArgs): number {
  const c = palette(args.color);
  let a: LoadedTimeline;
  let b: LoadedTimeline;
  try {
    a = readTimeline(args.a);
    b = readTimeline(args.b);
  } catch (e) {
    if (!(e instanceof TimelineFileError)) throw e;
    console.error(c.red(e.message));
    return 2;
  }
  const d = firstDivergence(a.events, b.events, args.context);
  if (!d) {
    console.log(`${c.green('identical')}: ${a.events.length} events, hash ${timelineHash(a.events).slice(0, 16)}`);
    return 0;
  }
  console.log(`${c.red('different')}: ${args.a} (A) and ${args.b} (B)`);
  console.log(renderDivergence(d, c));
  const same = a.file !== undefined && a.file === b.file && a.seed === b.seed;
  for (const [label, t] of [['A', a], ['B', b]] as const) {
    if (t.file !== undefined && t.seed !== undefined) {
      console.log(`  reproduce ${label}: ${c.cyan(`npx redsim run ${t.file} --seed ${t.seed} -t`)}${same && label === 'A' ? c.dim(' (A and B name the same scenario and seed: rerun it to see which one the simulator gives now)') : ''}`);
    }
  }
  console.log(`  reproduce this comparison: ${c.cyan(`npx redsim diff ${args.a} ${args.b}`)}`);
  return 1;
}
