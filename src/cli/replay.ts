// Reruns and comparisons that check a run's identity: `redsim replay REPORT.json` (does the
// recorded scenario and seed still give the recorded timeline?) and `redsim run --check-determinism`
// (do repeated runs, in this process and in a fresh one, give the same timeline?).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChalkInstance } from 'chalk';
import { reproduceCommand, renderSummary } from '../report/text.ts';
import { formatIssue, loadScenario, ScenarioError } from '../scenario/load.ts';
import { runScenario, type RunResult } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import type { TimelineEvent } from '../timeline/events.ts';
import { timelineHash } from '../timeline/recorder.ts';
import { firstDivergence, palette, readTimeline, renderDivergence, TimelineFileError, type LoadedTimeline } from './diff.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

/** sha256 (hex) of a scenario file's bytes, or null when it cannot be read. Recorded in run.json. */
export function scenarioDigest(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** Prints a scenario's issues; returns the scenario or null. */
function load(file: string, c: ChalkInstance): Scenario | null {
  try {
    return loadScenario(file);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    for (const i of e.issues) console.error(c.red(formatIssue(i)));
    return null;
  }
}

/** Runs a scenario; prints the issues of a config the server refuses and returns null. */
function run(sc: Scenario, seed: number | undefined, c: ChalkInstance): RunResult | null {
  try {
    return runScenario(sc, seed === undefined ? {} : { seed });
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    for (const i of e.issues) console.error(c.red(formatIssue(i)));
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// replay

export interface ReplayArgs {
  report: string;
  /** Use this scenario file instead of the one the report names (moved or renamed). */
  scenario?: string;
  context: number;
  color: boolean;
}

/** `redsim replay`: 0 the report reproduces, 1 it does not, 2 bad input (report or scenario file). */
export function cmdReplay(a: ReplayArgs): number {
  const c = palette(a.color);
  let rep: LoadedTimeline;
  try {
    rep = readTimeline(a.report);
  } catch (e) {
    if (!(e instanceof TimelineFileError)) throw e;
    console.error(c.red(e.message));
    return EXIT_BAD_INPUT;
  }
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(a.report, 'utf8')) as Record<string, unknown>;
  } catch {
    // NDJSON (a timeline.ndjson): no file or seed, reported just below
  }
  if (rep.file === undefined || rep.seed === undefined || rep.hash === undefined) {
    console.error(c.red(`${a.report}: not a run report: replay needs the run.json written by \`redsim run --out DIR\` or \`npm start\` (with file, seed, hash and events)`));
    return EXIT_BAD_INPUT;
  }
  const file = a.scenario ?? rep.file;
  const recordedDigest = typeof raw.scenarioSha256 === 'string' ? raw.scenarioSha256 : undefined;
  if (!existsSync(file)) {
    console.error(
      c.red(
        a.scenario
          ? `the scenario file ${file} (--scenario) does not exist`
          : `the scenario file ${file} named by ${a.report} does not exist: paths in a report are relative to the folder it was run from; replay from there, or give the file with --scenario PATH`,
      ),
    );
    return EXIT_BAD_INPUT;
  }
  const digest = scenarioDigest(file);
  if (recordedDigest !== undefined && digest !== recordedDigest) {
    console.error(
      c.red(`the scenario file ${file} has changed since ${a.report} was written (sha256 ${recordedDigest.slice(0, 12)}… then, ${digest?.slice(0, 12)}… now), so its timeline cannot be compared.`),
    );
    console.error(`  restore the file (e.g. git checkout it) to replay this report, or make a fresh one: ${c.cyan(`npx redsim run ${file} --seed ${rep.seed} --out reports`)}`);
    return EXIT_BAD_INPUT;
  }
  const sc = load(file, c);
  if (!sc) {
    console.error(c.red(`the scenario file ${file} no longer loads (above), so ${a.report} cannot be replayed`));
    return EXIT_BAD_INPUT;
  }
  if (rep.scenario !== undefined && sc.name !== rep.scenario) {
    console.error(c.red(`${file} now holds the scenario '${sc.name}', but ${a.report} is a run of '${rep.scenario}': the file was changed or replaced`));
    return EXIT_BAD_INPUT;
  }
  const r = run(sc, rep.seed, c);
  if (!r) return EXIT_BAD_INPUT;

  const what = `${sc.name} (seed ${rep.seed}) from ${file}`;
  const d = firstDivergence(rep.events, r.events, a.context);
  if (!d && r.hash === rep.hash) {
    console.log(`${c.green('confirmed')}: ${a.report} reproduces: ${what} gives the same ${r.events.length} events, hash ${r.hash.slice(0, 16)}`);
    return EXIT_OK;
  }
  console.log(`${c.red('DIVERGED')}: ${a.report} does not reproduce: ${what}`);
  console.log(`  hash: report ${rep.hash.slice(0, 16)}, rerun ${r.hash.slice(0, 16)}`);
  const selfConsistent = rep.events.length === 0 || timelineHash(rep.events) === rep.hash;
  if (d) console.log(renderDivergence(d, c, ['report', 'rerun']).replace(/^/gm, '  '));
  else console.log(`  the events are identical, but the report's hash is not theirs (${timelineHash(rep.events).slice(0, 16)})`);
  if (!selfConsistent) {
    console.log(c.yellow(`  the report's events do not match its own hash: the report was edited or damaged after it was written`));
  } else if (recordedDigest !== undefined) {
    console.log(
      c.yellow(
        `  the scenario file is unchanged, so the simulator now gives another timeline: a code change since the report, or nondeterminism (check: npx redsim run ${file} --seed ${rep.seed} --check-determinism)`,
      ),
    );
  } else {
    console.log(c.yellow(`  the report records no checksum of the scenario file, so either the file or the simulator changed since it was written`));
  }
  console.log(`  reproduce: ${c.cyan(`npx redsim replay ${a.report}`)}   rerun: ${c.cyan(`${reproduceCommand({ file, seed: rep.seed })} -t`)}`);
  return EXIT_FAILED;
}

// ---------------------------------------------------------------------------------------------
// run --check-determinism

export interface DeterminismArgs {
  files: string[];
  seed?: number;
  /** Also run once in a fresh child process. */
  child: boolean;
  context: number;
  color: boolean;
}

const BIN = fileURLToPath(new URL('../../bin/redsim.js', import.meta.url));

interface ChildRuns {
  runs?: Array<{ scenario: string; seed: number; hash: string; events: TimelineEvent[] }>;
  error?: string;
}

/**
 * Runs the scenarios once more in a fresh Node process (`redsim run --json`), with another time
 * zone and locale, so that state kept in modules, the environment or the clock would show.
 */
function runInChild(files: string[], seed: number | undefined): Promise<ChildRuns> {
  const args = [BIN, 'run', ...files, '--json', '--no-color', ...(seed === undefined ? [] : ['--seed', String(seed)])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', TZ: 'Pacific/Chatham', LC_ALL: 'C', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ error: e.message }));
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) {
        resolve({ error: `exit code ${code}: ${Buffer.concat(err).toString('utf8').trim().split('\n').slice(0, 5).join('\n')}` });
        return;
      }
      try {
        const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l.trim() !== '');
        resolve({ runs: lines.map((l) => JSON.parse(l) as { scenario: string; seed: number; hash: string; events: TimelineEvent[] }) });
      } catch (e) {
        resolve({ error: `unreadable output: ${(e as Error).message}` });
      }
    });
  });
}

/** `redsim run FILES --check-determinism`: 0 all deterministic and passing, 1 otherwise, 2 bad input. */
export async function cmdCheckDeterminism(a: DeterminismArgs): Promise<number> {
  const c = palette(a.color);
  const scenarios: Scenario[] = [];
  for (const f of a.files) {
    const sc = load(f, c);
    if (!sc) return EXIT_BAD_INPUT;
    scenarios.push(sc);
  }
  // The child starts first so that it works while this process runs its two.
  const child = a.child ? runInChild(a.files, a.seed) : Promise.resolve<ChildRuns>({});
  const local: Array<[RunResult, RunResult]> = [];
  for (const sc of scenarios) {
    const r1 = run(sc, a.seed, c);
    // A fresh load for the second run, so nothing is shared with the first but the process.
    const again = load(sc.file, c);
    const r2 = again && run(again, a.seed, c);
    if (!r1 || !r2) return EXIT_BAD_INPUT;
    local.push([r1, r2]);
    await new Promise((resolve) => setImmediate(resolve)); // let the child's output drain
  }
  const fromChild = await child;
  if (fromChild.error) console.error(c.yellow(`the run in a child process failed (${fromChild.error}); compared the runs in this process only`));

  let bad = false;
  for (const [k, [r1, r2]] of local.entries()) {
    console.log(renderSummary(r1, c));
    if (!r1.passed) bad = true;
    const others: Array<{ label: string; hash: string; events: TimelineEvent[] }> = [{ label: 'run 2 (same process)', hash: r2.hash, events: r2.events }];
    const cr = fromChild.runs?.[k];
    if (cr) others.push({ label: 'run 3 (child process)', hash: cr.hash, events: cr.events });
    const differing = others.filter((o) => o.hash !== r1.hash);
    if (differing.length === 0) {
      const where = others.length === 2 ? '2 in this process, 1 in a child process' : 'in this process';
      console.log(`  ${c.green('deterministic')}: ${others.length + 1} runs (${where}) gave hash ${r1.hash.slice(0, 16)}`);
      continue;
    }
    bad = true;
    for (const o of differing) {
      console.log(`  ${c.red('NONDETERMINISTIC')}: run 1 gave hash ${r1.hash.slice(0, 16)}, ${o.label} gave ${o.hash.slice(0, 16)}`);
      const d = firstDivergence(r1.events, o.events, a.context);
      if (d) console.log(renderDivergence(d, c, ['run 1', o.label.replace(/ \(.*\)$/, '')]).replace(/^/gm, '  '));
    }
    console.log(`  reproduce: ${c.cyan(`${reproduceCommand(r1)} --check-determinism`)}`);
  }
  return bad ? EXIT_FAILED : EXIT_OK;
}
