// Helpers of the property tests: run a property with the suite's seed and run count (fixed by
// default; REDSIM_PROP_SEED / REDSIM_PROP_RUNS override them, REDSIM_PROP_PATH replays one path),
// and on failure save the minimal counterexample as a scenario file whose path, with the seed and
// path, is in the failure message. See docs/properties.md.
import type fc from 'fast-check';
import { expect } from 'vitest';
import { runPropertyCheck, type PropertyCheckDefaults, type SavedOutcome } from '../../src/cli/check.ts';
import type { ScenarioProperty } from '../../src/scenario/properties.ts';
import type { Scenario } from '../../src/scenario/types.ts';

/** Asserts that `property` holds on `numRuns` scenarios from `arb`; the error names the counterexample file, seed and path. */
export function holds(label: string, arb: fc.Arbitrary<Scenario>, property: ScenarioProperty, numRuns: number, more: Partial<PropertyCheckDefaults> = {}): SavedOutcome {
  const o = runPropertyCheck(label, arb, property, { ...more, numRuns });
  if (o.failed) throw new Error(o.report);
  expect(o.runs).toBe(o.numRuns);
  return o;
}

/**
 * Asserts that fast-check FINDS a counterexample to `property` among `numRuns` scenarios of `arb`
 * (the behaviour switched the other way, or a deliberately wrong expectation), that the saved file
 * reproduces it, and prints the counterexample's report (file, seed, path, violation).
 */
export function findsCounterexample(label: string, arb: fc.Arbitrary<Scenario>, property: ScenarioProperty, numRuns: number, more: Partial<PropertyCheckDefaults> = {}): SavedOutcome {
  // REDSIM_PROP_RUNS may raise the runs of a search, not lower them below what it needs.
  const o = runPropertyCheck(label, arb, property, { ...more, numRuns, minRuns: numRuns });
  expect(o.failed, `fast-check should find a counterexample to '${property.name}' (${label}) within ${o.numRuns} runs with seed ${o.seed}`).toBe(true);
  console.log(`[counterexample] ${o.report}`);
  expect(o.file).toBeDefined();
  expect(o.reproduced, `the saved file ${o.file} should fail '${property.name}' again`).toBe(true);
  if (o.violation && o.violation.expect.length > 0) expect(o.runFails, `npx redsim run ${o.file} should fail`).toBe(true);
  return o;
}
