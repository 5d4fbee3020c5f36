// Checking a property against many scenarios with fast-check, and turning a failure into a
// minimal scenario file. Pure: no environment, no files, no clock (the CLI and the test helpers in
// cli/check.ts choose seeds and paths and write the file).
//
//   checkProperty(arb, property, {seed, numRuns})  → CheckOutcome (failed?, seed, path, the minimal
//                                                    counterexample, its violation and YAML)
//   checkScenario(sc, property, {seed, numRuns})    → the same over variations of one scenario
//                                                    (seed, poll order, latency/jitter, slicing):
//                                                    what `redsim check FILE --property NAME` runs
//
// A failure is minimised twice: fast-check shrinks the generated input, then `reduceScenario`
// removes clients, faults, steps, config directives … while the property still fails.
import fc from 'fast-check';
import { scenarioVariationArb, type VariationOptions } from './arbitraries.ts';
import { scenarioToYaml, withChanges } from './build.ts';
import type { ScenarioProperty, Violation } from './properties.ts';
import type { Scenario, Step } from './types.ts';

export interface CheckOptions {
  /** fast-check seed (the run is the same for the same seed). */
  seed: number;
  numRuns: number;
  /** Replay only this fast-check path (from a previous failure). */
  path?: string;
  /** Property evaluations spent reducing the shrunk counterexample further. Default 40; 0 = none. */
  reduceBudget?: number;
  /** At most this many fast-check shrinking steps (fc.limitShrink). Default 200. */
  maxShrinks?: number;
}

export interface CheckOutcome {
  property: string;
  failed: boolean;
  seed: number;
  numRuns: number;
  /** Scenarios tried before the failure (or all of them). */
  runs: number;
  /** fast-check's path of the shrunk counterexample (replay with `path`). */
  path?: string;
  /** Shrinking steps fast-check took. */
  shrinks?: number;
  /** The minimal failing scenario: the one the saved file holds. */
  counterexample?: Scenario;
  violation?: Violation;
}

/** Runs `property` on scenarios from `arb`; on failure returns the minimal counterexample and its violation. */
export function checkProperty(arb: fc.Arbitrary<Scenario>, property: ScenarioProperty, opts: CheckOptions): CheckOutcome {
  const d = fc.check(
    fc.property(fc.limitShrink(arb, opts.maxShrinks ?? 200), (sc) => property.check(sc) === null),
    { seed: opts.seed, numRuns: opts.numRuns, ...(opts.path ? { path: opts.path } : {}) },
  );
  const base = { property: property.name, seed: opts.seed, numRuns: opts.numRuns, runs: d.numRuns };
  if (!d.failed) return { ...base, failed: false };
  const shrunk = d.counterexample?.[0];
  if (!shrunk) {
    const err = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
    return { ...base, failed: true, path: d.counterexamplePath ?? undefined, shrinks: d.numShrinks, violation: { message: `fast-check failed without a counterexample: ${err}`, expect: [] } };
  }
  const first = property.check(shrunk) ?? { message: 'the property failed during the search but holds when re-run: the run is not deterministic', expect: [] };
  const r = reduceScenario(shrunk, first, (sc) => property.check(sc), opts.reduceBudget ?? 40);
  return {
    ...base,
    failed: true,
    path: d.counterexamplePath ?? undefined,
    shrinks: d.numShrinks,
    counterexample: r.violation.scenario ?? r.scenario,
    violation: r.violation,
  };
}

/**
 * Explores variations of one scenario (seed, poll order, latency and jitter, slicing — see
 * `VariationOptions`) against `property`, shrinking a failure toward the unchanged scenario and
 * then reducing the scenario itself.
 */
export function checkScenario(sc: Scenario, property: ScenarioProperty, opts: CheckOptions & { vary?: VariationOptions }): CheckOutcome {
  return checkProperty(scenarioVariationArb(sc, opts.vary), property, opts);
}

// ---------------------------------------------------------------------------------------------
// Reduction

function* candidates(sc: Scenario): Generator<Scenario> {
  // Whole clients (and the faults on them), last first.
  for (let i = sc.clients.length - 1; i >= 0; i--) {
    const name = sc.clients[i]!.name;
    yield withChanges(sc, { clients: sc.clients.filter((_, k) => k !== i), faults: sc.faults.filter((f) => f.client !== name), expect: [] });
  }
  for (let i = sc.faults.length - 1; i >= 0; i--) yield withChanges(sc, { faults: sc.faults.filter((_, k) => k !== i) });
  // Steps, last first; then smaller pipelines and payloads.
  for (let i = sc.clients.length - 1; i >= 0; i--) {
    const script = sc.clients[i]!.script;
    for (let j = script.length - 1; j >= 0; j--) yield withScript(sc, i, script.filter((_, k) => k !== j));
    for (let j = 0; j < script.length; j++) {
      const s = script[j]!;
      if (s.op === 'pipeline' && s.repeat > 1) yield withScript(sc, i, script.map((x, k) => (k === j ? { ...s, repeat: Math.ceil(s.repeat / 2) } : x)));
      if (s.op === 'pipeline' && s.commands.length > 1) yield withScript(sc, i, script.map((x, k) => (k === j ? { ...s, commands: s.commands.slice(0, -1) } : x)));
      if (s.op === 'wait' && s.us > 1) yield withScript(sc, i, script.map((x, k) => (k === j ? { ...s, us: Math.floor(s.us / 2) } : x)));
    }
  }
  for (const k of Object.keys(sc.server.config)) {
    const config = { ...sc.server.config };
    delete config[k];
    yield withChanges(sc, { server: { ...sc.server, config } });
  }
  if (sc.network.jitterUs > 0 || sc.clients.some((c) => c.network.jitterUs > 0)) {
    yield withChanges(sc, { network: { ...sc.network, jitterUs: 0 }, clients: sc.clients.map((c) => ({ ...c, network: { ...c.network, jitterUs: 0 } })) });
  }
  if (sc.horizonUs > 1000) yield withChanges(sc, { horizonUs: Math.ceil(sc.horizonUs / 2) });
}

function withScript(sc: Scenario, i: number, script: Step[]): Scenario {
  return withChanges(sc, { clients: sc.clients.map((c, k) => (k === i ? { ...c, script } : c)) });
}

/**
 * Greedy reduction: tries smaller versions of `sc` (fewer clients, faults, steps, directives;
 * shorter pipelines, waits and horizon; no jitter) and keeps any on which `fails` still returns a
 * violation, until nothing smaller fails or `budget` evaluations are spent.
 */
export function reduceScenario(sc: Scenario, violation: Violation, fails: (sc: Scenario) => Violation | null, budget: number): { scenario: Scenario; violation: Violation; evaluations: number } {
  let cur = sc;
  let v = violation;
  let spent = 0;
  // After a success, resume at the same position among the new scenario's candidates (those
  // before it were just tried); when a pass from there finds nothing, make one pass from the start.
  let start = 0;
  while (spent < budget) {
    let improved = false;
    let i = 0;
    for (const cand of candidates(cur)) {
      if (i++ < start) continue;
      if (spent >= budget) break;
      spent++;
      const cv = fails(cand);
      if (cv) {
        cur = cand;
        v = cv;
        start = i - 1;
        improved = true;
        break;
      }
    }
    if (!improved) {
      if (start === 0) break;
      start = 0;
    }
  }
  return { scenario: cur, violation: v, evaluations: spent };
}

// ---------------------------------------------------------------------------------------------
// The counterexample as a file

function wrap(text: string, width = 96): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The scenario file of a failed check, to be written at `file`: a header naming the property, the
 * violation, the fast-check seed and path and the commands that reproduce it; the scenario with
 * every default written out; the expectations that fail as the property did; and the same facts
 * under `x-redsim-check` (ignored by the loader).
 */
export function counterexampleYaml(o: CheckOutcome, file: string, opts: { summary?: string; recheck?: boolean } = {}): string {
  const summary = opts.summary ?? '';
  if (!o.failed || !o.counterexample || !o.violation) throw new Error('counterexampleYaml: the check did not fail');
  const v = o.violation;
  const header = [
    `Counterexample to the redsim property '${o.property}'${summary ? `: ${summary}` : ''}.`,
    `Found by fast-check with seed ${o.seed}, path ${o.path ?? '?'} (after ${o.runs} of ${o.numRuns} runs, ${o.shrinks ?? 0} shrinks), then reduced.`,
    '',
    ...wrap(`Violation: ${v.message}`),
    ...(v.note ? wrap(`Note: ${v.note}`) : []),
    '',
    v.expect.length ? `Reproduce: npx redsim run ${file}   (the expectations below fail as the property did)` : `Reproduce: npx redsim run ${file} -t   (no single-run expectation expresses this property)`,
    ...(opts.recheck === false
      ? [`(property '${o.property}' is a variant defined in a test, not one of redsim check's properties)`]
      : [`Re-check:  npx redsim check ${file} --property ${o.property} --runs 1`]),
  ];
  const sc = withChanges(o.counterexample, { name: `${o.property}-counterexample`, description: '', expect: [] });
  return scenarioToYaml(sc, {
    header,
    expect: v.expect,
    extra: { 'x-redsim-check': { property: o.property, seed: o.seed, path: o.path ?? '', violation: v.message } },
  });
}
