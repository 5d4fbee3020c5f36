// redis.conf text → directives the core understands (name → value string, as a scenario's
// server.config holds them), splitting lines as Redis's sdssplitargs does. Directives the core
// does not model (persistence, daemonising, …) are returned separately so the caller can say so.
import { lookupConfig } from '../server/config.ts';

export interface ParsedConf {
  directives: Record<string, string>;
  /** Directives the core does not know, with their 1-based line. */
  ignored: Array<{ name: string; line: number }>;
  /** Lines that could not be split (unbalanced quotes), 1-based. */
  errors: Array<{ line: number; message: string }>;
}

/** sdssplitargs: whitespace-separated words; "…" with C escapes, '…' with only \'; null on unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) break;
    let cur = '';
    let inq = false;
    let insq = false;
    for (;;) {
      const ch = line[i];
      if (inq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (ch === '\\' && i + 1 < n) {
          const e = line[++i]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (ch === '"') {
          if (i + 1 < n && !/\s/.test(line[i + 1]!)) return null;
          i++;
          break;
        } else cur += ch;
      } else if (insq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === "'") {
          cur += "'";
          i++;
        } else if (ch === "'") {
          if (i + 1 < n && !/\s/.test(line[i + 1]!)) return null;
          i++;
          break;
        } else cur += ch;
      } else {
        if (ch === undefined || /\s/.test(ch)) break;
        if (ch === '"') inq = true;
        else if (ch === "'") insq = true;
        else cur += ch;
      }
      i++;
    }
    out.push(cur);
  }
  return out;
}

/**
 * Parses redis.conf text. A directive with several arguments becomes one space-joined value
 * (`client-output-buffer-limit pubsub 1mb 0 0` → `pubsub 1mb 0 0`); repeated
 * client-output-buffer-limit lines accumulate (each names its class), other repeats: last wins.
 */
export function parseRedisConf(text: string): ParsedConf {
  const directives: Record<string, string> = {};
  const ignored: ParsedConf['ignored'] = [];
  const errors: ParsedConf['errors'] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const args = splitArgs(line);
    if (!args) {
      errors.push({ line: k + 1, message: 'Unbalanced quotes in configuration line' });
      return;
    }
    if (!args.length) return;
    const name = args[0]!.toLowerCase();
    const value = args.slice(1).join(' ');
    addDirective(directives, ignored, name, value, k + 1);
  });
  return { directives, ignored, errors };
}

/** Adds one directive (known ones only; unknown names go to `ignored`). */
export function addDirective(directives: Record<string, string>, ignored: ParsedConf['ignored'], name: string, value: string, line = 0): void {
  const def = lookupConfig(name);
  if (!def) {
    ignored.push({ name, line });
    return;
  }
  const key = def.name;
  if (key === 'client-output-buffer-limit' && directives[key]) directives[key] = `${directives[key]} ${value}`;
  else directives[key] = value;
}
