// `redsim check FILE --property NAME`, and the property-test helpers built on the same code.
// This is the layer that may read the environment and write files: the checking itself is
// scenario/check.ts (pure). Environment (test helpers; the CLI takes flags, and REDSIM_PROP_OUT):
//   REDSIM_PROP_SEED  fast-check seed (default 424242), so CI runs are reproducible
//   REDSIM_PROP_RUNS  number of scenarios per property (default: each test's own, 20–60)
//   REDSIM_PROP_PATH  replay one fast-check path (use with a test filter: -t NAME)
//   REDSIM_PROP_OUT   folder for counterexample files (default: <tmpdir>/redsim-props)
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type fc from 'fast-check';
import type { Argv, CommandModule } from 'yargs';
import { checkProperty, checkScenario, counterexampleYaml, type CheckOutcome } from '../scenario/check.ts';
import { formatIssue, loadScenario, parseScenario, ScenarioError } from '../scenario/load.ts';
import { PROPERTIES, type ScenarioProperty } from '../scenario/properties.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';

export const DEFAULT_PROP_SEED = 424242;

/** Seed, runs, replay path and output folder, from the environment over the given defaults. */
export interface PropertyRunConfig {
  seed: number;
  numRuns: number;
  path?: string;
  outDir: string;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

export function propertyRunConfig(defaults: { numRuns: number; seed?: number; minRuns?: number }): PropertyRunConfig {
  const path = process.env.REDSIM_PROP_PATH;
  return {
    seed: envInt('REDSIM_PROP_SEED') ?? defaults.seed ?? DEFAULT_PROP_SEED,
    numRuns: Math.max(envInt('REDSIM_PROP_RUNS') ?? defaults.numRuns, defaults.minRuns ?? 1),
    ...(path ? { path } : {}),
    outDir: process.env.REDSIM_PROP_OUT || join(tmpdir(), 'redsim-props'),
  };
}

/** A file name from a label: letters, digits, '-'. */
function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'property';
}

export interface SavedOutcome extends CheckOutcome {
  /** Where the counterexample was written (when the check failed). */
  file?: string;
  /** Whether the saved file, loaded again, still fails the property. */
  reproduced?: boolean;
  /** Whether `npx redsim run FILE` fails (the file's expectations fail), when it has expectations. */
  runFails?: boolean;
  /** A multi-line report: property, seed, path, violation, file, commands. */
  report: string;
}

/**
 * Writes the counterexample of a failed outcome to `file`, checks that the file reproduces it
 * (loaded again, the property fails again, and its expectations fail under a plain run), and
 * returns the outcome with a report naming the file, the seed and the path.
 */
export function saveCounterexample(o: CheckOutcome, property: ScenarioProperty, file: string, label = property.name, replay?: string): SavedOutcome {
  if (!o.failed) return { ...o, report: `${label}: property '${o.property}' holds for ${o.runs} scenarios (fast-check seed ${o.seed})` };
  const lines = [`${label}: property '${o.property}' FAILED (fast-check seed ${o.seed}, path ${o.path ?? '?'}, after ${o.runs} runs, ${o.shrinks ?? 0} shrinks)`];
  lines.push(`  violation: ${o.violation?.message ?? '?'}`);
  if (!o.counterexample) return { ...o, report: lines.join('\n') };
  mkdirSync(dirname(file), { recursive: true });
  const registered = PROPERTIES[property.name] === property;
  const text = counterexampleYaml(o, file, { summary: property.summary, recheck: registered });
  writeFileSync(file, text);
  let reproduced = false;
  let runFails: boolean | undefined;
  const parsed = parseScenario(text, file);
  if (parsed.ok) {
    reproduced = property.check(parsed.scenario) !== null;
    if (parsed.scenario.expect.length) {
      runFails = !runScenario(parsed.scenario).passed;
    }
  } else {
    lines.push(`  (the saved file does not load: ${parsed.issues.map(formatIssue).join('; ')})`);
  }
  lines.push(`  counterexample: ${file}${reproduced ? '' : ' (WARNING: the saved file does not reproduce the failure)'}`);
  lines.push(`  reproduce: npx redsim run ${file}${runFails === false ? ' (its expectations pass: look at the timeline)' : ''}`);
  if (registered) lines.push(`  re-check:  npx redsim check ${file} --property ${o.property} --runs 1`);
  lines.push(`  replay:    ${replay ?? `REDSIM_PROP_SEED=${o.seed} REDSIM_PROP_PATH=${o.path ?? '?'} npx vitest run <this test file> -t '<this test>'`}`);
  return { ...o, file, reproduced, ...(runFails !== undefined ? { runFails } : {}), report: lines.join('\n') };
}

/** Per-test defaults of runPropertyCheck (the environment overrides seed and numRuns). */
export interface PropertyCheckDefaults {
  numRuns: number;
  seed?: number;
  /** Evaluations spent reducing the counterexample after shrinking (default 40). */
  reduceBudget?: number;
  /** fast-check shrinking steps at most (default 200). */
  maxShrinks?: number;
  /** REDSIM_PROP_RUNS cannot lower the runs below this (a search for a counterexample needs its runs). */
  minRuns?: number;
}

/**
 * Checks `property` on scenarios from `arb` with the environment's seed and runs. On failure the
 * minimal counterexample is saved under REDSIM_PROP_OUT (or the temp folder) and the outcome's
 * report names the file, the seed and the path. Throws nothing: see `assertProperty`.
 */
export function runPropertyCheck(label: string, arb: fc.Arbitrary<Scenario>, property: ScenarioProperty, defaults: PropertyCheckDefaults): SavedOutcome {
  const cfg = propertyRunConfig(defaults);
  const o = checkProperty(arb, property, {
    seed: cfg.seed,
    numRuns: cfg.numRuns,
    ...(cfg.path ? { path: cfg.path } : {}),
    reduceBudget: defaults.reduceBudget ?? 40,
    maxShrinks: defaults.maxShrinks ?? 200,
  });
  return saveCounterexample(o, property, join(cfg.outDir, `${slug(label)}-seed${cfg.seed}.yaml`), label);
}

/** runPropertyCheck, throwing an Error with the report (file, seed, path, violation) when the property fails. */
export function assertProperty(label: string, arb: fc.Arbitrary<Scenario>, property: ScenarioProperty, defaults: PropertyCheckDefaults): SavedOutcome {
  const o = runPropertyCheck(label, arb, property, defaults);
  if (o.failed) throw new Error(o.report);
  return o;
}

// ---------------------------------------------------------------------------------------------
// The CLI command

export interface CheckArgs {
  file: string;
  property: string;
  runs: number;
  seed?: number;
  out?: string;
  path?: string;
  /** What to vary (all by default). */
  vary?: { seed?: boolean; pollOrder?: boolean; latency?: boolean; slicing?: boolean };
}

export const CHECK_EXIT = { holds: 0, fails: 1, badInput: 2 } as const;

/** `redsim check`: exit 0 when the property holds for every variation, 1 (with the file) when not, 2 on bad input. */
export function cmdCheck(a: CheckArgs, out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  const property = PROPERTIES[a.property];
  if (!property) {
    err(`unknown property '${a.property}'; properties: ${Object.keys(PROPERTIES).join(', ')}`);
    return CHECK_EXIT.badInput;
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) {
    err(`--runs must be a positive integer, got ${a.runs}`);
    return CHECK_EXIT.badInput;
  }
  let sc: Scenario;
  try {
    sc = loadScenario(a.file);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    for (const i of e.issues) err(formatIssue(i));
    return CHECK_EXIT.badInput;
  }
  const seed = a.seed ?? envInt('REDSIM_PROP_SEED') ?? DEFAULT_PROP_SEED;
  out(`checking '${property.name}' (${property.summary}) on ${a.file}: ${a.runs} variations, fast-check seed ${seed}`);
  const o = checkScenario(sc, property, { seed, numRuns: a.runs, ...(a.path ? { path: a.path } : {}), ...(a.vary ? { vary: a.vary } : {}) });
  if (!o.failed) {
    out(`holds: ${o.runs} variations of ${sc.name} satisfy '${property.name}'`);
    return CHECK_EXIT.holds;
  }
  const dest = a.out ?? join(process.env.REDSIM_PROP_OUT || join(tmpdir(), 'redsim-check'), `${slug(sc.name)}.${property.name}.seed${seed}.yaml`);
  const saved = saveCounterexample(o, property, dest, sc.name, `npx redsim check ${a.file} --property ${property.name} --seed ${seed} --path ${o.path ?? '?'} --runs ${a.runs}`);
  out(saved.report);
  if (saved.file) out(saved.file);
  return CHECK_EXIT.fails;
}

/** The yargs command: `redsim check <file> --property NAME [--runs N] [--seed S] [--out FILE]`. */
export function checkCommand(setCode: (code: number) => void): CommandModule {
  return {
    command: 'check <file>',
    describe: 'Explore variations of a scenario (seed, poll order, latency/jitter, slicing) against a property; save a minimal failing scenario',
    builder: (y: Argv) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (YAML)' })
        .option('property', { alias: 'p', type: 'string', demandOption: true, choices: Object.keys(PROPERTIES), describe: 'the property to check (docs/properties.md)' })
        .option('runs', { alias: 'n', type: 'number', default: 50, describe: 'variations to try' })
        .option('seed', { type: 'number', describe: `fast-check seed (default $REDSIM_PROP_SEED or ${DEFAULT_PROP_SEED})` })
        .option('path', { type: 'string', describe: 'replay one fast-check path printed by an earlier failure' })
        .option('out', { type: 'string', describe: 'where to write the minimal counterexample (default: $REDSIM_PROP_OUT or the temp folder)' })
        .option('vary', { type: 'string', array: true, choices: ['seed', 'poll-order', 'latency', 'slicing'], describe: 'what to vary (default: all)' })
        .example('$0 check scenarios/pipeline-sliced.yaml --property fragmentation --runs 100', 'slice the streams 100 ways; same commands and replies?')
        .example('$0 check my.yaml -p replies-independent-of-order', 'do my clients depend on the order the server serves them in?'),
    handler: (a) => {
      const vary = a.vary as string[] | undefined;
      setCode(
        cmdCheck({
          file: a.file as string,
          property: a.property as string,
          runs: a.runs as number,
          ...(a.seed !== undefined ? { seed: a.seed as number } : {}),
          ...(a.out !== undefined ? { out: a.out as string } : {}),
          ...(a.path !== undefined ? { path: a.path as string } : {}),
          ...(vary ? { vary: { seed: vary.includes('seed'), pollOrder: vary.includes('poll-order'), latency: vary.includes('latency'), slicing: vary.includes('slicing') } } : {}),
        }),
      );
    },
  };
}
