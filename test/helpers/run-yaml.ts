// Test helper: run a scenario written inline as YAML through the whole stack (loader, kernel,
// core, clients) and look at what each client saw.
import { parseScenario, formatIssue } from '../../src/scenario/load.ts';
import { runScenario, type RunOptions, type RunResult } from '../../src/scenario/run.ts';

/** Parses and runs `yaml`; throws with every issue if the scenario is invalid. */
export function runYaml(yaml: string, opts: RunOptions = {}): RunResult {
  const r = parseScenario(yaml, 'inline.yaml');
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return runScenario(r.scenario, opts);
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
