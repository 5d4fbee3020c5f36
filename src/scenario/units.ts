// Units of scenario files: durations ("250us", "1.5s") and sizes in the syntax of Redis's
// memtoull ("16kb", "1mb", "1000"). Arithmetic is exact (decimal digits, BigInt), so "0.3s" is
// 300000 µs and not 299999.99….
import { MEMORY_UNITS, memtoull } from '../server/config.ts';

/** A checked value, or the reason it is not acceptable (a sentence fragment for messages). */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** Nanoseconds per unit. `µs` is accepted as a spelling of `us`. */
const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const UNIT_LIST = 'ns, us, ms, s, m (minutes), h';

/** The syntax `checkDuration` accepts, as a JSON Schema pattern (for editors; the loader checks the rest). */
export const DURATION_PATTERN = `^\\s*(0|(\\d+(\\.\\d*)?|\\.\\d+)(${Object.keys(NS_PER_UNIT).join('|')}))\\s*$`;
const DURATION_RE = /^(\d+(?:\.\d*)?|\.\d+)([a-zµ]*)$/i;
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Checks a duration written in a scenario: a string with a unit (`ns`, `us`, `ms`, `s`, `m` for
 * minutes, `h`), or the number 0 (or the string "0"). `resolution` chooses the result's unit:
 * integer microseconds (default) or integer nanoseconds; a value that is not a whole number of
 * that unit is refused rather than rounded.
 */
export function checkDuration(v: unknown, resolution: 'us' | 'ns' = 'us'): Checked<number> {
  if (typeof v === 'number') {
    if (v === 0) return { ok: true, value: 0 };
    if (!Number.isFinite(v)) return { ok: false, message: `expected a duration like 10ms, got ${v}` };
    if (v < 0) return { ok: false, message: `a duration cannot be negative (got ${v})` };
    return {
      ok: false,
      message: `the duration ${v} has no unit: add one, e.g. ${v}ms or ${v}s (units: ${UNIT_LIST}; only 0 may be written without a unit)`,
    };
  }
  if (typeof v !== 'string') {
    return { ok: false, message: `expected a duration like 10ms or 1.5s, got ${describeValue(v)}` };
  }
  const s = v.trim();
  if (s === '0') return { ok: true, value: 0 };
  if (s.startsWith('-')) return { ok: false, message: `a duration cannot be negative (got '${v}')` };
  const m = DURATION_RE.exec(s);
  if (!m) return { ok: false, message: `'${v}' is not a duration: write a number and a unit, e.g. 10ms or 1.5s (units: ${UNIT_LIST})` };
  const [, num, rawUnit] = m as unknown as [string, string, string];
  if (rawUnit === '') {
    return {
      ok: false,
      message: `the duration '${v}' has no unit: add one, e.g. ${num}ms or ${num}s (units: ${UNIT_LIST}; only 0 may be written without a unit)`,
    };
  }
  const factor = NS_PER_UNIT[rawUnit];
  if (factor === undefined) {
    const lower = NS_PER_UNIT[rawUnit.toLowerCase()] !== undefined ? ` (units are lower case: '${rawUnit.toLowerCase()}')` : '';
    return { ok: false, message: `unknown unit '${rawUnit}' in '${v}'${lower}; units: ${UNIT_LIST}` };
  }
  const [intPart, frac = ''] = num.split('.') as [string, string?];
  const mantissa = BigInt((intPart || '0') + frac);
  const scaled = mantissa * factor;
  const den = 10n ** BigInt(frac.length);
  if (scaled % den !== 0n) return { ok: false, message: `'${v}' is not a whole number of nanoseconds` };
  const ns = scaled / den;
  let value: bigint;
  if (resolution === 'us') {
    if (ns % 1000n !== 0n) return { ok: false, message: `'${v}' is not a whole number of microseconds (the resolution of this field)` };
    value = ns / 1000n;
  } else {
    value = ns;
  }
  if (value > MAX) return { ok: false, message: `the duration '${v}' is too large` };
  return { ok: true, value: Number(value) };
}

/**
 * A duration in integer microseconds, or undefined when `s` is not one (see `checkDuration`): a
 * string with a unit (`ns`, `us`, `ms`, `s`, `m` = minutes, `h`) such as "250us" or "1.5s", or 0.
 * A bare non-zero number has no unit and is refused.
 */
export function parseDuration(s: string | number): number | undefined {
  const r = checkDuration(s, 'us');
  return r.ok ? r.value : undefined;
}

/** The syntax `parseRedisMemory` accepts, as a JSON Schema pattern (no flags: units spelt [kK][bB]). */
export const SIZE_PATTERN = `^\\d+(${Object.keys(MEMORY_UNITS)
  .filter((u) => u !== '')
  .map((u) => [...u].map((ch) => `[${ch}${ch.toUpperCase()}]`).join(''))
  .join('|')})?$`;

/** Redis's memtoull: one implementation, the server's (server/config.ts); scenarios share it. */
export const parseRedisMemory = memtoull;

/**
 * Checks a size written in a scenario: a non-negative integer number of bytes, or a string in
 * the syntax of `parseRedisMemory` ("16kb", "1mb", "4096").
 */
export function checkSize(v: unknown): Checked<number> {
  const syntax = 'write whole bytes or a number with a unit b, k (1000), kb (1024), m (10^6), mb (2^20), g (10^9), gb (2^30)';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { ok: false, message: `a size must be a whole number of bytes (got ${v}); ${syntax}` };
    if (v < 0) return { ok: false, message: `a size cannot be negative (got ${v})` };
    if (v > Number.MAX_SAFE_INTEGER) return { ok: false, message: `the size ${v} is too large` };
    return { ok: true, value: v };
  }
  if (typeof v !== 'string') return { ok: false, message: `expected a size like 16kb or 1mb, got ${describeValue(v)}` };
  const r = parseRedisMemory(v);
  if (r !== undefined) return { ok: true, value: r };
  if (v.startsWith('-')) return { ok: false, message: `a size cannot be negative (got '${v}')` };
  const m = /^(\d*)(?:\.\d*)?([a-z]*)$/i.exec(v);
  if (m && m[1] !== '' && v.includes('.')) return { ok: false, message: `'${v}' is not a size: sizes are whole numbers (as in redis.conf); ${syntax}` };
  if (m && m[1] !== '' && MEMORY_UNITS[m[2]!.toLowerCase()] === undefined) {
    return { ok: false, message: `unknown size unit '${m[2]}' in '${v}'; ${syntax}` };
  }
  if (/^\d+[a-z]*$/i.test(v)) return { ok: false, message: `the size '${v}' is too large` };
  return { ok: false, message: `'${v}' is not a size; ${syntax}` };
}

/** Short description of a parsed YAML value for messages: `'text'`, `12`, `a list`, `a map`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'an empty value (null)';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length > 40 ? `'${v.slice(0, 37)}...'` : `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}
