// The conformance settings of a scenario: its top-level `x-conformance:` key (the scenario loader
// ignores `x-` keys, so these files stay valid scenarios). What is compared, what is excluded and
// why, and the mismatches already known. Documented in docs/conformance.md. Not here: comparing.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkDuration } from '../scenario/units.ts';

export type Arm = 'sim' | 'serve' | 'redis';
export const ARMS: readonly Arm[] = ['sim', 'serve', 'redis'];
export type MismatchKind = 'reply' | 'field' | 'lines' | 'close' | 'close-time';
export const MISMATCH_KINDS: readonly MismatchKind[] = ['reply', 'field', 'lines', 'close', 'close-time'];

/** Replies of one client left out of the comparison: index `from` to `to` (inclusive; no `to`: to the end). */
export interface ReplyExclusion {
  client: string;
  from: number;
  to: number;
  reason: string;
}

/** A mismatch that is known and explained; the suite passes while it persists and says when it is gone. */
export interface KnownMismatch {
  arm?: Arm;
  client?: string;
  kind?: MismatchKind;
  index?: number;
  field?: string;
  reason: string;
}

export interface ConformanceConfig {
  /** A server close seen by both arms may differ in time by this much (µs). Default 500 ms. */
  closeToleranceUs: number;
  /** Real arms end once every script is done and nothing arrived for this long (µs). Default 150 ms. */
  settleUs: number;
  /** Real arms stop after this long at most (µs). Default: the horizon, at most 20 s. */
  maxDurationUs: number | null;
  /** Start the real arms' clients 150 ms after a whole second of the wall clock (the simulator's
   * virtual clock starts on one): behaviour measured in whole seconds (timeout, soft limits, age)
   * then falls on the same side of each second boundary in every arm. */
  alignSecond: boolean;
  /** When set, only the simulator runs, for this reason. */
  simulatorOnly: string | null;
  /** Arms to run (default all that can run). */
  arms: Arm[] | null;
  /** When set, only these CLIENT LIST / CLIENT INFO fields are compared (the chosen fields). */
  compareClientList: string[] | null;
  /** When set, only these INFO fields are compared. */
  compareInfo: string[] | null;
  /** CLIENT LIST / CLIENT INFO fields not compared → reason. `*` is a wildcard. */
  excludeClientList: Map<string, string>;
  /** INFO fields not compared → reason. `*` is a wildcard. */
  excludeInfo: Map<string, string>;
  excludeReplies: ReplyExclusion[];
  known: KnownMismatch[];
}

export const DEFAULT_CLOSE_TOLERANCE_US = 500_000;
export const DEFAULT_SETTLE_US = 150_000;
export const MAX_REAL_DURATION_US = 20_000_000;

export class ConformanceConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(problems.map((p) => `${file}: x-conformance.${p}`).join('\n'));
    this.name = 'ConformanceConfigError';
  }
}

function defaults(): ConformanceConfig {
  return {
    closeToleranceUs: DEFAULT_CLOSE_TOLERANCE_US,
    settleUs: DEFAULT_SETTLE_US,
    maxDurationUs: null,
    simulatorOnly: null,
    alignSecond: false,
    arms: null,
    compareClientList: null,
    compareInfo: null,
    excludeClientList: new Map(),
    excludeInfo: new Map(),
    excludeReplies: [],
    known: [],
  };
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KEYS = ['close-tolerance', 'settle', 'max-duration', 'align-second', 'simulator-only', 'arms', 'compare', 'exclude', 'known-mismatches'];

/** Reads `x-conformance` from a scenario file (defaults when absent). Throws ConformanceConfigError. */
export function loadConformanceConfig(file: string): ConformanceConfig {
  const doc = parse(readFileSync(file, 'utf8'), { merge: true, maxAliasCount: 10_000 }) as unknown;
  const raw = isMap(doc) ? doc['x-conformance'] : undefined;
  return parseConformanceConfig(raw, file);
}

/** Validates an `x-conformance` value, gathering every problem. */
export function parseConformanceConfig(raw: unknown, file = 'scenario'): ConformanceConfig {
  const cfg = defaults();
  if (raw === undefined || raw === null) return cfg;
  const problems: string[] = [];
  if (!isMap(raw)) throw new ConformanceConfigError(file, [': expected a map']);
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) problems.push(`${k}: unknown key (allowed: ${KEYS.join(', ')})`);
  const dur = (k: string): number | undefined => {
    if (raw[k] === undefined) return undefined;
    const r = checkDuration(raw[k]);
    if (!r.ok) problems.push(`${k}: ${r.message}`);
    return r.ok ? r.value : undefined;
  };
  cfg.closeToleranceUs = dur('close-tolerance') ?? cfg.closeToleranceUs;
  cfg.settleUs = dur('settle') ?? cfg.settleUs;
  cfg.maxDurationUs = dur('max-duration') ?? null;
  const al = raw['align-second'];
  if (al !== undefined) {
    if (typeof al !== 'boolean') problems.push('align-second: true or false');
    else cfg.alignSecond = al;
  }
  const so = raw['simulator-only'];
  if (so !== undefined) {
    if (typeof so !== 'string' || !so.trim()) problems.push('simulator-only: give the reason as text');
    else cfg.simulatorOnly = so;
  }
  if (raw.arms !== undefined) {
    if (!Array.isArray(raw.arms) || raw.arms.some((a) => !ARMS.includes(a as Arm))) problems.push(`arms: a list of ${ARMS.join(', ')}`);
    else cfg.arms = raw.arms as Arm[];
  }
  const cmp = raw.compare;
  if (cmp !== undefined) {
    if (!isMap(cmp)) problems.push('compare: expected {client-list: [fields], info: [fields]}');
    else {
      for (const k of Object.keys(cmp)) if (!['client-list', 'info'].includes(k)) problems.push(`compare.${k}: unknown key (allowed: client-list, info)`);
      const list = (k: string): string[] | null => {
        const v = cmp[k];
        if (v === undefined) return null;
        if (!Array.isArray(v) || v.some((f) => typeof f !== 'string')) {
          problems.push(`compare.${k}: expected a list of field names`);
          return null;
        }
        return v as string[];
      };
      cfg.compareClientList = list('client-list');
      cfg.compareInfo = list('info');
    }
  }
  const ex = raw.exclude;
  if (ex !== undefined) {
    if (!isMap(ex)) problems.push('exclude: expected a map with client-list, info, replies');
    else {
      for (const k of Object.keys(ex)) if (!['client-list', 'info', 'replies'].includes(k)) problems.push(`exclude.${k}: unknown key (allowed: client-list, info, replies)`);
      const fields = (k: 'client-list' | 'info', into: Map<string, string>) => {
        const v = ex[k];
        if (v === undefined) return;
        if (!isMap(v)) {
          problems.push(`exclude.${k}: expected a map of field: reason`);
          return;
        }
        for (const [f, why] of Object.entries(v)) {
          if (typeof why !== 'string' || !why.trim()) problems.push(`exclude.${k}.${f}: give the reason the field is not compared`);
          else into.set(f, why);
        }
      };
      fields('client-list', cfg.excludeClientList);
      fields('info', cfg.excludeInfo);
      const reps = ex.replies;
      if (reps !== undefined) {
        if (!Array.isArray(reps)) problems.push('exclude.replies: expected a list of {client, index | from [, to], reason}');
        else reps.forEach((r: unknown, i) => {
          const at = `exclude.replies[${i}]`;
          if (!isMap(r)) return problems.push(`${at}: expected {client, index | from [, to], reason}`);
          const idx = r.index ?? r.from;
          const ok = typeof r.client === 'string' && Number.isInteger(idx) && (idx as number) >= 0 && (r.to === undefined || Number.isInteger(r.to)) && typeof r.reason === 'string' && r.reason.trim() !== '';
          if (!ok) return problems.push(`${at}: expected {client, index | from [, to], reason} with a reason`);
          const from = idx as number;
          const to = r.index !== undefined ? from : r.to === undefined ? Infinity : (r.to as number);
          cfg.excludeReplies.push({ client: r.client as string, from, to, reason: r.reason as string });
        });
      }
    }
  }
  const km = raw['known-mismatches'];
  if (km !== undefined) {
    if (!Array.isArray(km)) problems.push('known-mismatches: expected a list');
    else km.forEach((k: unknown, i) => {
      const at = `known-mismatches[${i}]`;
      if (!isMap(k)) return problems.push(`${at}: expected {arm, client, kind, index, field, reason}`);
      for (const key of Object.keys(k)) if (!['arm', 'client', 'kind', 'index', 'field', 'reason'].includes(key)) problems.push(`${at}.${key}: unknown key`);
      if (typeof k.reason !== 'string' || !k.reason.trim()) problems.push(`${at}.reason: say what differs and why (or which component owes the fix)`);
      if (k.arm !== undefined && !['sim', 'serve'].includes(k.arm as string)) problems.push(`${at}.arm: sim or serve`);
      if (k.kind !== undefined && !MISMATCH_KINDS.includes(k.kind as MismatchKind)) problems.push(`${at}.kind: one of ${MISMATCH_KINDS.join(', ')}`);
      if (k.index !== undefined && !Number.isInteger(k.index)) problems.push(`${at}.index: a reply index (0-based)`);
      cfg.known.push({
        reason: String(k.reason),
        ...(k.arm !== undefined ? { arm: k.arm as Arm } : {}),
        ...(k.client !== undefined ? { client: String(k.client) } : {}),
        ...(k.kind !== undefined ? { kind: k.kind as MismatchKind } : {}),
        ...(k.index !== undefined ? { index: k.index as number } : {}),
        ...(k.field !== undefined ? { field: String(k.field) } : {}),
      });
    });
  }
  if (problems.length) throw new ConformanceConfigError(file, problems);
  return cfg;
}

/** Whether `name` matches an exclusion key (`*` matches any run of characters). */
export function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(name);
}

/** The reason a field is excluded, or undefined. */
export function exclusionOf(map: Map<string, string>, field: string): string | undefined {
  for (const [p, why] of map) if (globMatch(p, field)) return why;
  return undefined;
}
