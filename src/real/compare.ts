// Compares what each client observed on two arms of a conformance run (simulator, core on real
// sockets, real redis-server): the exact reply sequence, CLIENT LIST / CLIENT INFO and INFO replies
// field by field (minus the scenario's exclusions), and whether and roughly when the server closed
// the connection. Results are data; renderMismatches() draws the side-by-side diff. Pure.
import { isFiller } from '../base/bytes.ts';
import type { ClientObservation } from '../scenario/actor.ts';
import type { ArgSpec, ClientSpec, Scenario, Step } from '../scenario/types.ts';
import { exclusionOf, type Arm, type ConformanceConfig, type KnownMismatch, type MismatchKind } from './conformance-config.ts';
import { VIRTUAL_X_MIN } from './player.ts';

/** What one arm produced for a scenario. */
export interface ArmRun {
  arm: Arm;
  clients: ClientObservation[];
  ended: 'settled' | 'horizon';
  endUs: number;
}

export interface Mismatch {
  /** The arm under comparison and the reference it is compared with. */
  arm: Arm;
  against: Arm;
  client: string;
  kind: MismatchKind;
  /** Reply index (0-based) for reply, field and lines mismatches. */
  index?: number;
  /** Line of a CLIENT LIST reply (0-based), for field mismatches. */
  line?: number;
  field?: string;
  /** The script step concerned, in words. */
  step: string;
  /** What the arm observed, and what the reference observed. */
  ours: string;
  theirs: string;
  /** The known-mismatch entry that explains it, if any. */
  known?: KnownMismatch;
}

// ---- step attribution ----------------------------------------------------------------------------

function argText(a: ArgSpec): string {
  return typeof a === 'string' ? (/[\s"]/.test(a) || a === '' ? JSON.stringify(a) : a) : `<${a.fill}×x>`;
}

/** A step in words: `call CLIENT LIST`, `pipeline ×100 [PING]`. */
export function describeStep(s: Step): string {
  switch (s.op) {
    case 'call':
    case 'send':
      return `${s.op} ${s.args.map(argText).join(' ')}`;
    case 'inline':
      return `inline ${JSON.stringify(s.text.length > 40 ? s.text.slice(0, 40) + '…' : s.text)}`;
    case 'raw': {
      const txt = s.bytes.map((b) => (isFiller(b) ? `<${b.length}×x>` : b.toString('latin1'))).join('');
      return `raw ${JSON.stringify(txt.length > 40 ? txt.slice(0, 40) + '…' : txt)}`;
    }
    case 'pipeline':
      return `pipeline ${s.repeat > 1 ? `×${s.repeat} ` : ''}[${s.commands.map((c) => c.map(argText).join(' ')).join('; ')}]`;
    case 'wait':
      return `wait ${s.us / 1000}ms`;
    case 'wait-replies':
      return `wait-replies ${s.count}`;
    default:
      return s.op;
  }
}

/** Replies a command is expected to produce (SUBSCRIBE a b: 2; CLIENT REPLY OFF: 0; most: 1). */
function repliesOf(args: ArgSpec[]): number {
  const name = typeof args[0] === 'string' ? args[0].toLowerCase() : '';
  const sub = typeof args[1] === 'string' ? args[1].toLowerCase() : '';
  if (['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'].includes(name)) return Math.max(1, args.length - 1);
  if (name === 'client' && sub === 'reply' && typeof args[2] === 'string' && args[2].toLowerCase() !== 'on') return 0;
  return 1;
}

/** For each expected reply of a client, the step (1-based) that should produce it. An estimate: pushes and silenced replies shift it. */
export function replySteps(spec: ClientSpec): Array<{ step: number; label: string }> {
  const out: Array<{ step: number; label: string }> = [];
  spec.script.forEach((s, i) => {
    const label = `step ${i + 1} (${describeStep(s)})`;
    let n = 0;
    if (s.op === 'call' || s.op === 'send') n = repliesOf(s.args);
    else if (s.op === 'inline') n = s.text.trim() ? repliesOf(s.text.trim().split(/\s+/)) : 0;
    else if (s.op === 'pipeline') n = s.commands.reduce((k, c) => k + repliesOf(c), 0) * s.repeat;
    else if (s.op === 'raw') n = 1;
    for (let k = 0; k < n; k++) out.push({ step: i + 1, label });
  });
  return out;
}

function stepOfReply(spec: ClientSpec | undefined, index: number): string {
  if (!spec) return `reply #${index}`;
  const map = replySteps(spec);
  const at = map[index];
  return at ? `reply #${index}, ${at.label}` : `reply #${index}, after the last step expected to reply`;
}

function stepWhenEnded(spec: ClientSpec | undefined, o: ClientObservation): string {
  if (!spec) return '';
  const ran = spec.script.length - o.stepsLeft;
  if (ran <= 0) return 'before the first step';
  return `during step ${ran} (${describeStep(spec.script[ran - 1]!)})`;
}

// ---- reply normalisation and structured replies -------------------------------------------------

const X_RUN = new RegExp(`\\$(x{${VIRTUAL_X_MIN},})(?=$|, |\\]|\\})`, 'g');

/** Long runs of `x` in bulk renderings shown as the simulator shows virtual bytes: `$<N×"x">`. */
export function normaliseRendered(s: string): string {
  return s.replace(X_RUN, (_m, xs: string) => `$<${xs.length}×"x">`);
}

/** The content of a bulk or verbatim rendering, or null. */
function bulkContent(r: string): string | null {
  if (r.startsWith('$') && r !== '$-1') return r.slice(1);
  const m = /^=\w{3}:/.exec(r);
  return m ? r.slice(m[0].length) : null;
}

/** CLIENT LIST / CLIENT INFO output as one field map per line, or null if the reply is not one. */
export function parseClientList(r: string): Array<Map<string, string>> | null {
  const body = bulkContent(r);
  if (body === null || !/^id=\d+ addr=/.test(body)) return null;
  const lines = body.split('\\n').filter((l) => l !== '');
  return lines.map((l) => {
    const m = new Map<string, string>();
    for (const kv of l.split(' ')) {
      const eq = kv.indexOf('=');
      if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return m;
  });
}

/** INFO output as a field map (section headers dropped), or null if the reply is not one. */
export function parseInfo(r: string): Map<string, string> | null {
  const body = bulkContent(r);
  if (body === null || !/^# \w/.test(body)) return null;
  const m = new Map<string, string>();
  for (const l of body.split('\\r\\n')) {
    if (!l || l.startsWith('#')) continue;
    const c = l.indexOf(':');
    if (c > 0) m.set(l.slice(0, c), l.slice(c + 1));
  }
  return m;
}

// ---- closes --------------------------------------------------------------------------------------

function closeCategory(o: ClientObservation | undefined): string {
  switch (o?.ended ?? null) {
    case 'eof':
    case 'reset':
      return 'closed by the server';
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return 'connect timed out';
    case 'closed-by-client':
      return 'closed by the client';
    case 'vanished':
      return 'vanished';
    default:
      return 'open';
  }
}

function describeEnd(o: ClientObservation | undefined): string {
  if (!o) return '(no such client)';
  const cat = closeCategory(o);
  if (o.endedAtUs === null) return cat;
  return `${cat}${o.ended === 'eof' || o.ended === 'reset' ? ` (${o.ended === 'eof' ? 'EOF' : 'RST'})` : ''} at ${(o.endedAtUs / 1000).toFixed(1)}ms`;
}

// ---- comparison ----------------------------------------------------------------------------------

function matchesKnown(m: Mismatch, k: KnownMismatch): boolean {
  return (k.arm === undefined || k.arm === m.arm) &&
    (k.client === undefined || k.client === m.client) &&
    (k.kind === undefined || k.kind === m.kind) &&
    (k.index === undefined || k.index === m.index) &&
    (k.field === undefined || k.field === m.field);
}

/** Compares `run` with the reference `ref`, client by client. Known mismatches are marked, not dropped. */
export function compareRuns(sc: Scenario, cfg: ConformanceConfig, ref: ArmRun, run: ArmRun): Mismatch[] {
  const out: Mismatch[] = [];
  const specs = new Map(sc.clients.map((c) => [c.name, c]));
  const names = [...new Set([...ref.clients.map((c) => c.name), ...run.clients.map((c) => c.name)])];
  for (const name of names) {
    const spec = specs.get(name);
    const a = run.clients.find((c) => c.name === name);
    const b = ref.clients.find((c) => c.name === name);
    const base = { arm: run.arm, against: ref.arm, client: name };
    const ra = (a?.replies ?? []).map(normaliseRendered);
    const rb = (b?.replies ?? []).map(normaliseRendered);
    const excluded = (i: number) => cfg.excludeReplies.some((e) => e.client === name && i >= e.from && i <= e.to);
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      if (excluded(i)) continue;
      const x = ra[i];
      const y = rb[i];
      const step = stepOfReply(spec, i);
      if (x === undefined || y === undefined) {
        out.push({ ...base, kind: 'reply', index: i, step, ours: x ?? '(no reply)', theirs: y ?? '(no reply)' });
        continue;
      }
      if (x === y) continue;
      const la = parseClientList(x);
      const lb = parseClientList(y);
      if (la && lb) {
        if (la.length !== lb.length) {
          out.push({ ...base, kind: 'lines', index: i, step, ours: `${la.length} lines`, theirs: `${lb.length} lines` });
        }
        for (let l = 0; l < Math.min(la.length, lb.length); l++) compareFields(la[l]!, lb[l]!, cfg.compareClientList, cfg.excludeClientList, (field, ours, theirs) => out.push({ ...base, kind: 'field', index: i, line: l, field, step, ours, theirs }));
        continue;
      }
      const ia = parseInfo(x);
      const ib = parseInfo(y);
      if (ia && ib) {
        compareFields(ia, ib, cfg.compareInfo, cfg.excludeInfo, (field, ours, theirs) => out.push({ ...base, kind: 'field', index: i, field, step, ours, theirs }));
        continue;
      }
      out.push({ ...base, kind: 'reply', index: i, step, ours: x, theirs: y });
    }
    const ca = closeCategory(a);
    const cb = closeCategory(b);
    if (ca !== cb) {
      out.push({ ...base, kind: 'close', step: stepWhenEnded(spec, (a ?? b)!), ours: describeEnd(a), theirs: describeEnd(b) });
    } else if (ca === 'closed by the server' && a?.endedAtUs != null && b?.endedAtUs != null) {
      const d = Math.abs(a.endedAtUs - b.endedAtUs);
      if (d > cfg.closeToleranceUs) {
        out.push({ ...base, kind: 'close-time', step: `${stepWhenEnded(spec, a)}; tolerance ${(cfg.closeToleranceUs / 1000).toFixed(0)}ms`, ours: describeEnd(a), theirs: describeEnd(b) });
      }
    }
  }
  for (const m of out) {
    const k = cfg.known.find((e) => matchesKnown(m, e));
    if (k) m.known = k;
  }
  return out;
}

/** Compares the chosen fields (all when `only` is null) that are not excluded. */
function compareFields(a: Map<string, string>, b: Map<string, string>, only: string[] | null, exclude: Map<string, string>, report: (field: string, ours: string, theirs: string) => void): void {
  for (const f of only ?? new Set([...b.keys(), ...a.keys()])) {
    if (exclusionOf(exclude, f) !== undefined) continue;
    const x = a.get(f);
    const y = b.get(f);
    if (x !== y) report(f, x === undefined ? '(absent)' : `${f}=${x}`, y === undefined ? '(absent)' : `${f}=${y}`);
  }
}

/** Known entries (for `arm`) that no mismatch matched: the difference is gone and the entry should go too. */
export function staleKnown(cfg: ConformanceConfig, arm: Arm, mismatches: readonly Mismatch[]): KnownMismatch[] {
  return cfg.known.filter((k) => (k.arm === undefined || k.arm === arm) && !mismatches.some((m) => m.known === k));
}

// ---- rendering -----------------------------------------------------------------------------------

/** `s` cut to `w` characters around position `at` (the first difference), with … marks. */
function clip(s: string, w: number, at = 0): string {
  if (s.length <= w) return s;
  let start = Math.max(0, Math.min(at - Math.floor(w / 3), s.length - w));
  if (start > 0) start = Math.min(start, s.length - (w - 1));
  const body = s.slice(start, start + w - (start > 0 ? 1 : 0) - 1);
  return (start > 0 ? '…' : '') + body + (start + body.length < s.length ? '…' : '');
}

function firstDiff(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Side-by-side diff of mismatches, grouped by client: where (reply index, step, field), the
 * reference's observation, then the arm's. At most `max` rows per client.
 */
export function renderMismatches(ms: readonly Mismatch[], opts: { width?: number; max?: number; mark?: (s: string) => string } = {}): string {
  if (!ms.length) return '';
  const width = opts.width ?? 60;
  const max = opts.max ?? 12;
  const mark = opts.mark ?? ((s: string) => s);
  const lines: string[] = [];
  const byClient = new Map<string, Mismatch[]>();
  for (const m of ms) {
    const k = `${m.arm}\u0000${m.against}\u0000${m.client}`;
    if (!byClient.has(k)) byClient.set(k, []);
    byClient.get(k)!.push(m);
  }
  for (const group of byClient.values()) {
    const { arm, against, client } = group[0]!;
    lines.push(`  client ${client}: ${arm} vs ${against}`);
    lines.push(`    ${'where'.padEnd(44)}  ${against.padEnd(width)}  ${arm}`);
    for (const m of group.slice(0, max)) {
      const at = firstDiff(m.ours, m.theirs);
      const where = `${m.kind}${m.field ? ` ${m.field}` : ''}${m.line !== undefined ? ` (line ${m.line})` : ''}: ${m.step}`;
      const row = `    ${clip(where, 44).padEnd(44)}  ${clip(m.theirs, width, at).padEnd(width)}  ${clip(m.ours, width, at)}`;
      lines.push(m.known ? `${row}  [known: ${m.known.reason}]` : mark(row));
    }
    if (group.length > max) lines.push(`    … ${group.length - max} more for this client (--json shows all)`);
  }
  return lines.join('\n');
}
