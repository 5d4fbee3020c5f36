// Loads a scenario file: YAML → validated, defaults-filled `Scenario`. Every problem in the file is
// reported at once, each with its line, column and field path (see docs/scenarios.md).
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isAlias, isMap as isYamlMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { checkClientAddresses } from './addresses.ts';
import { CLIENT_NAME_RE, DEFAULT_NOFILE, isMap, isRegexPattern, PARSE_PARAMS, scenarioSchema, TEXT_LIST_KEYS } from './schema.ts';
import type { ClientEntry, IssueParams, ScenarioEntry } from './schema.ts';
import { DEFAULT_TLS_COST } from '../kernel/sim-backend.ts';
import { closest } from './suggest.ts';
import type { ClientSpec, DocPath, Expectation, LinkSpec, Location, Scenario, ServerSpec } from './types.ts';

/** One problem in a scenario file. `line`/`column` are 1-based (0 when the file could not be read). */
export interface ScenarioIssue {
  file: string;
  line: number;
  column: number;
  /** Field path such as `clients[0].script[2].send`; '' for the whole file (e.g. YAML syntax). */
  path: string;
  message: string;
}

/** Thrown by `loadScenario`; holds every issue found, and its message lists them one per line. */
export class ScenarioError extends Error {
  readonly issues: ScenarioIssue[];
  constructor(issues: ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

/** `file:line:col: path: message` (the location and path parts are left out when unknown/empty). */
export function formatIssue(i: ScenarioIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return i.path ? `${where}: ${i.path}: ${i.message}` : `${where}: ${i.message}`;
}

/** `['clients', 0, 'script', 2, 'send']` → `clients[0].script[2].send`. */
export function formatPath(path: DocPath): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(p)) s += s ? `.${p}` : p;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

export const DEFAULT_HORIZON_US = 60_000_000;
export const DEFAULT_SEED = 1;
export const DEFAULT_NETWORK: Readonly<LinkSpec> = { latencyUs: 50, jitterUs: 0, bandwidth: 0, sndbuf: 16384, rcvbuf: 131072 };
export const DEFAULT_SERVER: Readonly<ServerSpec> = {
  config: {},
  nofile: DEFAULT_NOFILE,
  pollOrder: 'fd',
  cost: { commandUs: 2, byteNs: 1, tlsHandshakeUs: DEFAULT_TLS_COST.handshakeUs, tlsRecordNs: DEFAULT_TLS_COST.recordNs, tlsByteNs: DEFAULT_TLS_COST.byteNs },
  port: 6379,
  host: '127.0.0.1',
};

/** Reads and validates a scenario file; throws `ScenarioError` with every issue found. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ScenarioError([{ file, line: 0, column: 0, path: '', message: `cannot read scenario file: ${file}: ${why}` }]);
  }
  const r = parseScenario(text, file);
  if (!r.ok) throw new ScenarioError(r.issues);
  return r.scenario;
}

/** Validates scenario text (`file` names it in issues and becomes `Scenario.file`); never throws. */
export function parseScenario(text: string, file: string): { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    // Errors found at the end of the input (an unclosed quote or bracket) point at its last
    // non-blank character rather than at an empty line after it.
    if (offset >= text.length) offset = Math.max(0, text.trimEnd().length - 1);
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      file,
      ...at(e.pos[0]),
      path: '',
      message:
        e.code === 'DUPLICATE_KEY'
          ? 'duplicate key: each key may appear only once in a map'
          : e.code === 'MULTIPLE_DOCS'
            ? "a scenario file holds one YAML document: remove the second '---'"
            : firstLine(e.message),
    }));
    return { ok: false, issues: sortIssues(issues) };
  }

  keepArgumentText(doc);
  const locateAt = (path: DocPath, atKey = false): Location => ({ file, ...at(nodeOffset(doc, path, atKey)) });
  const issues: ScenarioIssue[] = [];
  const add = (path: DocPath, message: string, atKey = false): void => {
    const loc = locateAt(path, atKey);
    issues.push({ file, line: loc.line, column: loc.column, path: formatPath(path), message });
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    add([], firstLine((e as Error).message));
    return { ok: false, issues };
  }
  if (raw === null || raw === undefined) {
    add([], 'the scenario file is empty: a scenario is a map with at least a clients: list');
    return { ok: false, issues };
  }

  const parsed = scenarioSchema.safeParse(raw, PARSE_PARAMS);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const params = i.code === 'custom' ? (i.params as IssueParams | undefined) : undefined;
      add(i.path as (string | number)[], i.message, params?.atKey === true);
    }
  }
  const names = checkClientNames(raw, add);
  if (parsed.success) checkTlsClients(parsed.data, add);
  if (parsed.success) checkClientAddresses(parsed.data, add);
  if (issues.length > 0 || !parsed.success) return { ok: false, issues: sortIssues(issues) };

  return { ok: true, scenario: build(parsed.data, names, file, (path) => locateAt(path)) };
}

// ---------------------------------------------------------------------------------------------

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  return issues
    .map((i, k) => ({ i, k }))
    .sort((a, b) => a.i.line - b.i.line || a.i.column - b.i.column || a.k - b.k)
    .map((x) => x.i);
}

/**
 * Plain scalars inside command arguments and expected replies keep their text as written:
 * `[INCRBYFLOAT, k, 1.50]` sends "1.50" (not "1.5"), `replies: [+1]` expects "+1".
 */
function keepArgumentText(doc: Document): void {
  visit(doc, {
    Scalar(key, node, path) {
      if (typeof key !== 'number' || typeof node.value === 'string' || node.type !== 'PLAIN') return;
      if (node.source === undefined || node.source === '') return;
      for (let i = path.length - 1; i >= 0; i--) {
        const p = path[i];
        if (isPair(p)) {
          const k = isScalar(p.key) ? p.key.value : p.key;
          if (typeof k === 'string' && TEXT_LIST_KEYS.has(k)) node.value = node.source;
          return;
        }
      }
    },
  });
}

/** Offset of the node at `path` (its key when `atKey`), or of the nearest enclosing node. */
function nodeOffset(doc: Document, path: DocPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isYamlMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) break;
      const keyStart = rangeStart(pair.key);
      const valueStart = rangeStart(pair.value);
      if ((last && atKey) || valueStart === undefined || isEmptyScalar(pair.value)) {
        best = keyStart ?? best;
        if (valueStart === undefined || (last && atKey)) break;
      } else {
        best = valueStart;
      }
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      break;
    }
  }
  return best;
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as YamlNode | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function isEmptyScalar(n: unknown): boolean {
  return isScalar(n) && n.value === null && (n.source === undefined || n.source === '');
}

// ---------------------------------------------------------------------------------------------
// Client names: duplicates and references (checked on the raw value, so they are reported even
// when other parts of the file are invalid).

interface ClientNames {
  /** Every expanded client name. */
  all: Set<string>;
  /** Base name of each `count` group → member names. */
  groups: Map<string, string[]>;
}

function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function groupMembers(c: Record<string, unknown>): string[] | undefined {
  const base = c.name as string;
  if (!has(c, 'count')) return [base];
  const n = c.count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) return undefined;
  return Array.from({ length: n }, (_, k) => `${base}-${k + 1}`);
}

function span(members: string[]): string {
  return members.length <= 3 ? members.join(', ') : `${members[0]} … ${members[members.length - 1]}`;
}

/** A TLS client needs a server with a tls-port to connect to. */
function checkTlsClients(data: ScenarioEntry, add: (path: DocPath, message: string, atKey?: boolean) => void): void {
  const port = data.server?.config?.['tls-port'];
  if (port !== undefined && port !== '0') return;
  (data.clients ?? []).forEach((c, i) => {
    if (c.tls) add(['clients', i, 'tls'], 'a TLS client needs the server to listen for TLS: set server.config.tls-port (and tls-cert-file, tls-key-file, tls-ca-cert-file)', true);
  });
}

function checkClientNames(raw: unknown, add: (path: DocPath, message: string, atKey?: boolean) => void): ClientNames {
  const all = new Set<string>();
  const groups = new Map<string, string[]>();
  const owner = new Map<string, number>();
  const uncertain: string[] = []; // bases of groups whose count is invalid
  if (!isMap(raw)) return { all, groups };
  const clients = Array.isArray(raw.clients) ? raw.clients : [];
  clients.forEach((c: unknown, i) => {
    if (!isMap(c) || typeof c.name !== 'string') return;
    const base = c.name;
    const members = groupMembers(c);
    if (members === undefined) uncertain.push(base);
    const isGroup = has(c, 'count');
    if (isGroup && members) groups.set(base, members);
    const claimed = isGroup ? [base, ...(members ?? [])] : [base];
    let reported = false;
    for (const n of claimed) {
      const j = owner.get(n);
      if (j !== undefined && j !== i && !reported) {
        const other = clients[j] as Record<string, unknown>;
        const how = n === other.name ? '' : ` (produced by its count: ${String(other.count)})`;
        const mine = n === base ? '' : ` (produced by this client's count)`;
        add(['clients', i, 'name'], `duplicate client name '${n}'${mine}: already used by clients[${j}]${how}`);
        reported = true;
      }
      if (j === undefined) owner.set(n, i);
    }
    for (const m of members ?? [base]) all.add(m);
  });

  const isUncertain = (ref: string): boolean => uncertain.some((b) => ref === b || ref.startsWith(`${b}-`));
  const unknown = (ref: string, groupsAllowed: boolean): string => {
    const candidates = new Set<string>();
    const shown: string[] = [];
    for (const c of clients) {
      if (!isMap(c) || typeof c.name !== 'string' || !CLIENT_NAME_RE.test(c.name)) continue;
      const group = groups.get(c.name);
      if (group) {
        if (group.every((m) => candidates.has(m))) continue;
        for (const m of group) candidates.add(m);
        if (groupsAllowed) candidates.add(c.name);
        shown.push(`${span(group)} (group ${c.name})`);
      } else if (!candidates.has(c.name)) {
        candidates.add(c.name);
        shown.push(c.name);
      }
    }
    const hint = closest(ref, candidates);
    const list = shown.length === 0 ? 'the scenario has no clients' : `clients: ${shown.slice(0, 12).join(', ')}${shown.length > 12 ? ', …' : ''}`;
    return `no client named '${ref}'${hint ? `; did you mean '${hint}'?` : ''} (${list})`;
  };

  const faults = Array.isArray(raw.faults) ? raw.faults : [];
  faults.forEach((f: unknown, i) => {
    if (!isMap(f) || typeof f.client !== 'string' || f.client === '' || isUncertain(f.client)) return;
    const ref = f.client;
    const group = groups.get(ref);
    if (group && !all.has(ref)) add(['faults', i, 'client'], `'${ref}' is a group of ${group.length} clients; a fault applies to one client: ${span(group)}`);
    else if (!all.has(ref)) add(['faults', i, 'client'], unknown(ref, false));
  });

  const expects = Array.isArray(raw.expect) ? raw.expect : [];
  expects.forEach((e: unknown, i) => {
    if (!isMap(e)) return;
    if (typeof e.client === 'string' && e.client !== '' && !isUncertain(e.client)) {
      if (!all.has(e.client) && !groups.has(e.client)) add(['expect', i, 'client'], unknown(e.client, true));
    }
    const t = e.timeline;
    if (!isMap(t)) return;
    for (const k of ['contains', 'lacks']) {
      const p = t[k];
      if (!isMap(p) || typeof p.client !== 'string' || isRegexPattern(p.client) || isUncertain(p.client)) continue;
      const ref = p.client;
      const group = groups.get(ref);
      const path = ['expect', i, 'timeline', k, 'client'];
      if (group && !all.has(ref)) {
        add(path, `'${ref}' is a group; events carry member names (${span(group)}): name one, or match all with a regex such as '/^${ref.replace(/[.]/g, '\\.')}-\\d+$/'`);
      } else if (!all.has(ref)) {
        add(path, unknown(ref, false));
      }
    }
  });
  return { all, groups };
}

// ---------------------------------------------------------------------------------------------

function build(data: ScenarioEntry, names: ClientNames, file: string, locate: (path: DocPath) => Location): Scenario {
  const network: LinkSpec = { ...DEFAULT_NETWORK, ...data.network };
  const s = data.server ?? {};
  const server: ServerSpec = {
    config: s.config ?? {},
    nofile: s.nofile ?? { ...DEFAULT_NOFILE },
    pollOrder: s['poll-order'] ?? DEFAULT_SERVER.pollOrder,
    cost: {
      commandUs: s.cost?.command ?? DEFAULT_SERVER.cost.commandUs,
      byteNs: s.cost?.byte ?? DEFAULT_SERVER.cost.byteNs,
      tlsHandshakeUs: s.cost?.['tls-handshake'] ?? DEFAULT_SERVER.cost.tlsHandshakeUs,
      tlsRecordNs: s.cost?.['tls-record'] ?? DEFAULT_SERVER.cost.tlsRecordNs,
      tlsByteNs: s.cost?.['tls-byte'] ?? DEFAULT_SERVER.cost.tlsByteNs,
    },
    port: s.port ?? DEFAULT_SERVER.port,
    host: s.host ?? DEFAULT_SERVER.host,
    ...(s.interfaces !== undefined ? { interfaces: s.interfaces } : {}),
  };

  const clients: ClientSpec[] = [];
  (data.clients ?? []).forEach((c: ClientEntry, i) => {
    const line = locate(['clients', i]).line;
    const members = c.count === undefined ? [c.name] : Array.from({ length: c.count }, (_, k) => `${c.name}-${k + 1}`);
    members.forEach((name, k) => {
      clients.push({
        name,
        // Group members connect `connect-every` apart (all at once by default).
        connectAtUs: (c['connect-at'] ?? 0) + k * (c['connect-every'] ?? 0),
        ...(c.addr !== undefined ? { addr: c.addr } : {}),
        ...(c.tls ? { tls: { cert: c.tls.cert ?? 'valid', trustServer: c.tls['trust-server'] ?? true, ...(c.tls['cut-handshake'] ? { cut: c.tls['cut-handshake'] } : {}) } } : {}),
        ...(c['connect-to'] !== undefined ? { connectTo: c['connect-to'] } : {}),
        ...(c['connect-port'] !== undefined ? { connectPort: c['connect-port'] } : {}),
        ...(c['connect-timeout'] !== undefined ? { connectTimeoutUs: c['connect-timeout'] } : {}),
        network: { ...network, ...c.network },
        // Each member gets its own step objects (steps are plain data; filler segments are immutable).
        script: (c.script ?? []).map((st) => ({ ...st })),
        line,
      });
    });
  });

  const expect: Expectation[] = [];
  (data.expect ?? []).forEach((e, i) => {
    const line = locate(['expect', i]).line;
    if ('client' in e && !names.all.has(e.client) && names.groups.has(e.client)) {
      for (const member of names.groups.get(e.client)!) expect.push({ ...e, client: member, line } as Expectation);
    } else {
      expect.push({ ...e, line } as Expectation);
    }
  });

  const docLocate = locate;
  return {
    file,
    name: data.name ?? basename(file, extname(file)),
    description: data.description ?? '',
    seed: data.seed ?? DEFAULT_SEED,
    horizonUs: data.horizon ?? DEFAULT_HORIZON_US,
    server,
    network,
    clients,
    faults: data.faults ?? [],
    ...(data.firewall?.length ? { firewall: data.firewall } : {}),
    expect,
    locate: (path: DocPath) => docLocate(path),
  };
}
