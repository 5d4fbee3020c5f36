// Test helper: run a scenario written inline as YAML through the whole stack (loader, kernel,
// core, clients) and look at what each client saw.
import { parseScenario, formatIssue } from '../../src/scenario/load.ts';
import { runScenario, type RunHooks, type RunOptions, type RunResult } from '../../src/scenario/run.ts';

/** Parses and runs `yaml` (with instruments, if given); throws with every issue if the scenario is invalid. */
export function runYaml(yaml: string, opts: RunOptions = {}, hooks: RunHooks = {}): RunResult {
  const r = parseScenario(yaml, 'inline.yaml');
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return runScenario(r.scenario, opts, hooks);
}

/** The rendered replies client `name` received. */
export function repliesOf(r: RunResult, name: string): string[] {
  const c = r.clients.find((x) => x.name === name);
  if (!c) throw new Error(`no client ${name} in ${r.scenario}`);
  return c.replies;
}

/** Log lines the server recorded, in order. */
export function logLines(r: RunResult): string[] {
  return r.events.flatMap((e) => (e.kind === 'log' ? [e.line] : []));
}

/** The server-side close (or reject) event of a client, if any. */
export function closeOf(r: RunResult, name: string) {
  return r.events.find((e) => e.client === name && (e.kind === 'close' || e.kind === 'reject'));
}

/**
 * Runs one client, `c1`, whose script is `steps` (each a YAML flow map such as
 * `{call: [CLIENT, ID]}`), against a server described by `server` (a YAML flow map).
 */
export function runSolo(steps: readonly string[], opts: { server?: string; horizon?: string } = {}): RunResult {
  return runYaml(`
horizon: ${opts.horizon ?? '3s'}
server: ${opts.server ?? '{}'}
clients:
  - name: c1
    script:
${steps.map((s) => `      - ${s}`).join('\n')}
`);
}

/** Virtual times (µs) at which client `name` received each reply. */
export function replyTimes(r: RunResult, name: string): number[] {
  return r.events.flatMap((e) => (e.kind === 'client' && e.client === name && e.what === 'reply' ? [e.t] : []));
}

/** Runs one client, `c1`, whose script is YAML block lines (see `calls`). */
export function runOne(script: string, horizon = '2s'): RunResult {
  return runYaml(`
horizon: ${horizon}
clients:
  - name: c1
    script:
${script}
`);
}

/** Script lines for `runOne`: one `call` step per command, e.g. calls('[SET, k, v]', 'PING'). */
export function calls(...cmds: string[]): string {
  return cmds.map((c) => `      - call: ${c}`).join('\n');
}
