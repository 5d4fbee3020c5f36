// Building scenarios in code, and writing any scenario back out as a scenario file. `makeScenario`
// gives the same typed `Scenario` the loader produces (defaults filled, groups expanded), so a test
// or a property can generate scenarios without going through YAML; `scenarioToYaml` writes one as
// text that `parseScenario` / `npx redsim run` read back to an equal scenario (used to save the
// minimal counterexample of a failed property as a file).
import { Filler, isFiller } from '../base/bytes.ts';
import type { Segment } from '../base/bytes.ts';
import { DEFAULT_HORIZON_US, DEFAULT_NETWORK, DEFAULT_SEED, DEFAULT_SERVER, formatIssue, parseScenario } from './load.ts';
import { CLIENT_NAME_RE } from './schema.ts';
import type { ArgSpec, ClientSpec, DocPath, EventPattern, Expectation, FaultSpec, FirewallRuleSpec, LinkSpec, Location, Scenario, ServerSpec, Step } from './types.ts';

/** An expectation as written in code: like `Expectation` without the file line. */
export type ExpectationInput = Expectation extends infer E ? (E extends unknown ? Omit<E, 'line'> : never) : never;

/** One client as written in code. Omitted fields take the loader's defaults. */
export interface ClientInput {
  name: string;
  /** When the client calls connect(), µs. Default 0. */
  connectAtUs?: number;
  /** The program's own connect timeout, µs (see ClientSpec). Default: none. */
  connectTimeoutUs?: number;
  /** Overrides of the scenario's network for this client only. */
  network?: Partial<LinkSpec>;
  /** Steps run once connected (see `Step`; helpers in `steps`). Default: none (an idle client). */
  script?: Step[];
}

/** A scenario as written in code. Every field is optional; defaults are those of a scenario file. */
export interface ScenarioInput {
  name?: string;
  description?: string;
  seed?: number;
  /** Virtual time at which the run stops, µs. Default 60 s. */
  horizonUs?: number;
  server?: {
    /** redis.conf directives, values as strings (numbers are turned into their text). */
    config?: Record<string, string | number>;
    nofile?: { soft?: number; hard?: number };
    pollOrder?: ServerSpec['pollOrder'];
    cost?: Partial<ServerSpec['cost']>;
    port?: number;
    host?: string;
  };
  network?: Partial<LinkSpec>;
  clients?: ClientInput[];
  faults?: FaultSpec[];
  /** Firewall rules (see FirewallRuleSpec). Default: none. */
  firewall?: FirewallRuleSpec[];
  expect?: ExpectationInput[];
}

/**
 * Builds a typed `Scenario` from `input`, filling defaults as the loader does. Client names and the
 * clients named by faults are checked (throws an Error listing the problems); redis.conf directives
 * are checked when the run starts, as for a file. `locate` answers the scenario's file with line 0
 * (there is no text); use `scenarioFromText(scenarioToYaml(sc))` for a scenario with real locations.
 */
export function makeScenario(input: ScenarioInput = {}, file?: string): Scenario {
  const name = input.name ?? 'generated';
  const where = file ?? `${name}.yaml`;
  const network: LinkSpec = { ...DEFAULT_NETWORK, ...input.network };
  const s = input.server ?? {};
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.config ?? {})) config[k] = String(v);
  const server: ServerSpec = {
    config,
    nofile: { soft: s.nofile?.soft ?? DEFAULT_SERVER.nofile.soft, hard: s.nofile?.hard ?? DEFAULT_SERVER.nofile.hard },
    pollOrder: s.pollOrder ?? DEFAULT_SERVER.pollOrder,
    cost: { ...DEFAULT_SERVER.cost, ...s.cost },
    port: s.port ?? DEFAULT_SERVER.port,
    host: s.host ?? DEFAULT_SERVER.host,
  };
  const problems: string[] = [];
  const seen = new Set<string>();
  const clients: ClientSpec[] = (input.clients ?? []).map((c) => {
    if (!CLIENT_NAME_RE.test(c.name)) problems.push(`client name '${c.name}' uses characters other than letters, digits, _ . -`);
    if (seen.has(c.name)) problems.push(`duplicate client name '${c.name}'`);
    seen.add(c.name);
    return { name: c.name, connectAtUs: c.connectAtUs ?? 0, ...(c.connectTimeoutUs !== undefined ? { connectTimeoutUs: c.connectTimeoutUs } : {}), network: { ...network, ...c.network }, script: (c.script ?? []).map((st) => ({ ...st })), line: 0 };
  });
  for (const f of input.faults ?? []) if (!seen.has(f.client)) problems.push(`a fault names client '${f.client}', which does not exist`);
  if (problems.length) throw new Error(`makeScenario: ${problems.join('; ')}`);
  const locate = (_path: DocPath): Location => ({ file: where, line: 0, column: 0 });
  return {
    file: where,
    name,
    description: input.description ?? '',
    seed: input.seed ?? DEFAULT_SEED,
    horizonUs: input.horizonUs ?? DEFAULT_HORIZON_US,
    server,
    network,
    clients,
    faults: (input.faults ?? []).map((f) => ({ ...f })),
    ...(input.firewall?.length ? { firewall: input.firewall.map((r) => ({ ...r })) } : {}),
    expect: (input.expect ?? []).map((e) => ({ ...e, line: 0 }) as Expectation),
    locate,
  };
}

/** A copy of `sc` with some fields replaced (clients, faults and expectations are copied, not shared). */
export function withChanges(sc: Scenario, changes: Partial<Omit<Scenario, 'locate'>>): Scenario {
  return {
    ...sc,
    server: { ...sc.server, config: { ...sc.server.config }, nofile: { ...sc.server.nofile }, cost: { ...sc.server.cost } },
    clients: sc.clients.map((c) => ({ ...c, network: { ...c.network }, script: c.script.slice() })),
    faults: sc.faults.slice(),
    expect: sc.expect.slice(),
    ...changes,
  };
}

/** Parses scenario text; throws an Error with every issue (file:line:col) when it is invalid. */
export function scenarioFromText(text: string, file = 'inline.yaml'): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.scenario;
}

// ---------------------------------------------------------------------------------------------
// Step helpers

/** "SET k v" → ['SET', 'k', 'v'] (split on whitespace, as a scenario file does). */
export function cmd(text: string): ArgSpec[] {
  return text.split(/\s+/).filter((p) => p !== '');
}

const args = (c: string | ArgSpec[]): ArgSpec[] => (typeof c === 'string' ? cmd(c) : c);

/** Script steps, as a scenario file writes them: `steps.call('PING')`, `steps.pipeline(['INCR n'], 100)`. */
export const steps = {
  call: (c: string | ArgSpec[]): Step => ({ op: 'call', args: args(c) }),
  send: (c: string | ArgSpec[]): Step => ({ op: 'send', args: args(c) }),
  inline: (text: string): Step => ({ op: 'inline', text }),
  raw: (...parts: Array<string | { fill: number }>): Step => ({
    op: 'raw',
    bytes: parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : new Filler(p.fill))),
  }),
  pipeline: (commands: Array<string | ArgSpec[]>, repeat = 1): Step => ({ op: 'pipeline', commands: commands.map(args), repeat }),
  wait: (us: number): Step => ({ op: 'wait', us }),
  waitReplies: (count: number): Step => ({ op: 'wait-replies', count }),
  waitClosed: (): Step => ({ op: 'wait-closed' }),
  stopReading: (): Step => ({ op: 'stop-reading' }),
  resumeReading: (): Step => ({ op: 'resume-reading' }),
  close: (): Step => ({ op: 'close' }),
  vanish: (): Step => ({ op: 'vanish' }),
};

// ---------------------------------------------------------------------------------------------
// Writing a scenario file

/**
 * A YAML double-quoted scalar. JSON's quoting is valid YAML; the C1 control characters and DEL,
 * which YAML does not allow unescaped, are written as \xHH.
 */
function q(s: string): string {
  return JSON.stringify(s).replace(/[\x7f-\x84\x86-\x9f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A duration in the file's syntax: 0, or the largest exact unit. */
export function fmtDuration(us: number): string {
  if (us === 0) return '0';
  if (us % 3_600_000_000 === 0) return `${us / 3_600_000_000}h`;
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

function fmtArg(a: ArgSpec): string {
  return typeof a === 'string' ? q(a) : `{fill: ${a.fill}}`;
}

function fmtCommand(c: readonly ArgSpec[]): string {
  return `[${c.map(fmtArg).join(', ')}]`;
}

function fmtSegment(s: Segment): string {
  if (isFiller(s)) {
    if (s.byte !== 0x78) throw new Error('scenarioToYaml: raw filler bytes other than x cannot be written in a scenario file');
    return `{fill: ${s.length}}`;
  }
  return q(s.toString('latin1'));
}

function fmtStep(s: Step): string {
  switch (s.op) {
    case 'call':
    case 'send':
      return `{${s.op}: ${fmtCommand(s.args)}}`;
    case 'inline':
      return `{inline: ${q(s.text)}}`;
    case 'raw':
      return `{raw: [${s.bytes.map(fmtSegment).join(', ')}]}`;
    case 'pipeline':
      return `{pipeline: {commands: [${s.commands.map(fmtCommand).join(', ')}], repeat: ${s.repeat}}}`;
    case 'wait':
      return `{wait: ${fmtDuration(s.us)}}`;
    case 'wait-replies':
      return `{wait-replies: ${s.count}}`;
    default:
      return `{${s.op}: true}`;
  }
}

function fmtLink(l: Partial<LinkSpec>): string {
  const parts: string[] = [];
  if (l.latencyUs !== undefined) parts.push(`latency: ${fmtDuration(l.latencyUs)}`);
  if (l.jitterUs !== undefined) parts.push(`jitter: ${fmtDuration(l.jitterUs)}`);
  if (l.bandwidth !== undefined) parts.push(`bandwidth: ${l.bandwidth}`);
  if (l.sndbuf !== undefined) parts.push(`sndbuf: ${l.sndbuf}`);
  if (l.rcvbuf !== undefined) parts.push(`rcvbuf: ${l.rcvbuf}`);
  return `{${parts.join(', ')}}`;
}

function fmtFault(f: FaultSpec): string {
  const head = `at: ${fmtDuration(f.atUs)}, client: ${q(f.client)}`;
  switch (f.kind) {
    case 'partition':
      return `{${head}, partition: ${f.direction}, duration: ${fmtDuration(f.durationUs)}}`;
    case 'vanish':
      return `{${head}, vanish: true}`;
    case 'rst':
      return `{${head}, rst: ${f.toward}}`;
    case 'slice':
      return 'sizes' in f
        ? `{${head}, slice: {direction: ${f.direction}, sizes: [${f.sizes.join(', ')}]}}`
        : `{${head}, slice: {direction: ${f.direction}, random: [${f.random[0]}, ${f.random[1]}]}}`;
  }
}

function fmtPattern(p: EventPattern): string {
  return `{${Object.entries(p).map(([k, v]) => `${k}: ${typeof v === 'string' ? q(v) : String(v)}`).join(', ')}}`;
}

function fmtExpectation(e: ExpectationInput | Expectation): string {
  switch (e.kind) {
    case 'replies':
      return `{client: ${q(e.client)}, replies: [${e.replies.map(q).join(', ')}]}`;
    case 'reply-count':
      return `{client: ${q(e.client)}, reply-count: ${e.count}}`;
    case 'closed': {
      const parts: string[] = [];
      if (e.reason !== undefined) parts.push(`reason: ${e.reason}`);
      if (e.afterUs !== undefined) parts.push(`after: ${fmtDuration(e.afterUs)}`);
      if (e.beforeUs !== undefined) parts.push(`before: ${fmtDuration(e.beforeUs)}`);
      return `{client: ${q(e.client)}, closed: ${parts.length ? `{${parts.join(', ')}}` : 'true'}}`;
    }
    case 'open':
      return `{client: ${q(e.client)}, open: true}`;
    case 'contains':
    case 'lacks':
      return `{timeline: {${e.kind}: ${fmtPattern(e.pattern)}}}`;
  }
}

function fmtRule(r: FirewallRuleSpec): string {
  const parts = [`action: ${r.action}`];
  if (r.from !== undefined) parts.push(`from: ${q(r.from)}`);
  if (r.port !== undefined) parts.push(`port: ${r.port}`);
  parts.push(`direction: ${r.direction}`, `at: ${fmtDuration(r.atUs)}`);
  if (r.untilUs !== undefined) parts.push(`until: ${fmtDuration(r.untilUs)}`);
  return `{${parts.join(', ')}}`;
}

function sameLink(a: LinkSpec, b: LinkSpec): Partial<LinkSpec> {
  const d: Partial<LinkSpec> = {};
  for (const k of Object.keys(a) as (keyof LinkSpec)[]) if (a[k] !== b[k]) d[k] = a[k];
  return d;
}

export interface YamlOptions {
  /** Comment lines written at the top (without the leading '# '). */
  header?: string[];
  /** Expectations written instead of the scenario's own (`[]` writes none). */
  expect?: ReadonlyArray<ExpectationInput | Expectation>;
  /** Extra top-level data under `x-` keys (ignored by the loader), e.g. {'x-redsim-check': {...}}. */
  extra?: Record<`x-${string}`, Record<string, string | number>>;
}

/**
 * The scenario as a scenario file: `parseScenario(scenarioToYaml(sc))` gives back an equal scenario
 * (clients already expanded, every default written out, so the file does not depend on defaults).
 */
export function scenarioToYaml(sc: Scenario, opts: YamlOptions = {}): string {
  const out: string[] = [];
  for (const h of opts.header ?? []) out.push(h === '' ? '#' : `# ${h}`);
  out.push(`name: ${q(sc.name)}`);
  if (sc.description) out.push(`description: ${q(sc.description)}`);
  out.push(`seed: ${sc.seed}`);
  out.push(`horizon: ${fmtDuration(sc.horizonUs)}`);
  for (const [k, v] of Object.entries(opts.extra ?? {})) {
    out.push(`${k}: {${Object.entries(v).map(([kk, vv]) => `${kk}: ${typeof vv === 'string' ? q(vv) : vv}`).join(', ')}}`);
  }
  const s = sc.server;
  out.push('server:');
  out.push(`  config: {${Object.entries(s.config).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ')}}`);
  out.push(`  nofile: {soft: ${s.nofile.soft}, hard: ${s.nofile.hard}}`);
  out.push(`  poll-order: ${s.pollOrder}`);
  out.push(`  cost: {command: ${fmtDuration(s.cost.commandUs)}, byte: ${s.cost.byteNs === 0 ? '0' : `${s.cost.byteNs}ns`}}`);
  out.push(`  port: ${s.port}`);
  out.push(`  host: ${q(s.host)}`);
  out.push(`network: ${fmtLink(sc.network)}`);
  if (sc.clients.length === 0) out.push('clients: []');
  else out.push('clients:');
  for (const c of sc.clients) {
    out.push(`  - name: ${q(c.name)}`);
    if (c.connectAtUs) out.push(`    connect-at: ${fmtDuration(c.connectAtUs)}`);
    if (c.connectTimeoutUs !== undefined) out.push(`    connect-timeout: ${fmtDuration(c.connectTimeoutUs)}`);
    const own = sameLink(c.network, sc.network);
    if (Object.keys(own).length) out.push(`    network: ${fmtLink(own)}`);
    if (c.script.length === 0) out.push('    script: []');
    else {
      out.push('    script:');
      for (const st of c.script) out.push(`      - ${fmtStep(st)}`);
    }
  }
  if (sc.faults.length) {
    out.push('faults:');
    for (const f of sc.faults) out.push(`  - ${fmtFault(f)}`);
  }
  if (sc.firewall?.length) {
    out.push('firewall:');
    for (const r of sc.firewall) out.push(`  - ${fmtRule(r)}`);
  }
  const expect = opts.expect ?? sc.expect;
  if (expect.length) {
    out.push('expect:');
    for (const e of expect) out.push(`  - ${fmtExpectation(e)}`);
  }
  return out.join('\n') + '\n';
}
