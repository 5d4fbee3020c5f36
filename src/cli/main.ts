// The `redsim` command line (yargs): run, start, validate, replay, diff, sweep, schema. The only layer, with real/, that touches
// the process, the file system and the wall clock. Exit codes: 0 every expectation held, 1 one
// failed, 2 bad input (unreadable or invalid scenario, bad flags), 3 internal error.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatIssue, loadScenario, ScenarioError } from '../scenario/load.ts';
import { runScenario, type RunResult } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { canonicalTimeline } from '../timeline/recorder.ts';
import { fmtTime, renderSummary, renderTimeline } from '../report/text.ts';
import { renderHtml } from '../report/html.ts';
import { renderTrace } from '../report/perfetto.ts';
import { cmdDiff } from './diff.ts';
import { cmdCheckDeterminism, cmdReplay, scenarioDigest } from './replay.ts';
import { cmdSchema } from './schema.ts';
import { cmdMerge, cmdSweep } from './sweep.ts';
import { conformCommand } from './conform.ts';
import { serveCommand } from './serve.ts';
import { checkCommand } from './check.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;

function colours(noColor: boolean): ChalkInstance {
  return noColor || process.env.NO_COLOR ? new Chalk({ level: 0 }) : chalk;
}

/** Loads scenarios, printing every issue of every file; returns null if any file is bad. */
function loadAll(files: string[], err: (s: string) => void): Scenario[] | null {
  const out: Scenario[] = [];
  let bad = false;
  for (const f of files) {
    try {
      out.push(loadScenario(f));
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      bad = true;
      for (const i of e.issues) err(formatIssue(i));
    }
  }
  if (bad) err('fix the problems above (the format is described in docs/scenarios.md) and run again');
  return bad ? null : out;
}

/** Writes a file whole or not at all: a temporary sibling renamed into place. */
export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** The JSON form of a run printed by --json and written as run.json. */
export function runJson(r: RunResult): object {
  return {
    scenario: r.scenario,
    file: r.file,
    seed: r.seed,
    passed: r.passed,
    hash: r.hash,
    scenarioSha256: scenarioDigest(r.file),
    ended: r.ended,
    endUs: r.endUs,
    unfinished: r.unfinished,
    serverExit: r.serverExit,
    expectations: r.expectations,
    clients: r.clients,
    events: r.events,
  };
}

/** redsim's version, from package.json (shown in the HTML report). */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Writes the Chrome trace-event JSON of a run (Perfetto UI opens it). */
function writeTrace(r: RunResult, path: string): void {
  writeAtomic(path, JSON.stringify(renderTrace(r)) + '\n');
}

/** Writes run.json, timeline.ndjson, report.txt, index.html and trace.json under `dir/<scenario>/`. */
function writeReports(r: RunResult, dir: string, description?: string): string {
  const out = join(dir, r.scenario);
  mkdirSync(out, { recursive: true });
  const plain = new Chalk({ level: 0 });
  writeAtomic(join(out, 'run.json'), JSON.stringify(runJson(r), null, 1) + '\n');
  writeAtomic(join(out, 'timeline.ndjson'), canonicalTimeline(r.events));
  writeAtomic(join(out, 'report.txt'), `${renderSummary(r, plain)}\n\n${renderTimeline(r.events, plain)}\n`);
  writeAtomic(join(out, 'index.html'), renderHtml(r, { version: version(), ...(description ? { description } : {}) }));
  writeTrace(r, join(out, 'trace.json'));
  return out;
}

/** Every scenario file under `dir` (recursively), sorted so the order never depends on the disk. */
export function findScenarios(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface RunArgs {
  files: string[];
  seed?: number;
  json: boolean;
  out?: string;
  trace?: string;
  timeline: boolean;
  cron: boolean;
  color: boolean;
}

function cmdRun(a: RunArgs): number {
  const c = colours(!a.color);
  const scenarios = loadAll(a.files, (s) => console.error(c.red(s)));
  if (!scenarios) return EXIT_BAD_INPUT;
  let failed = false;
  for (const sc of scenarios) {
    let r: RunResult;
    try {
      r = runScenario(sc, a.seed === undefined ? {} : { seed: a.seed });
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      for (const i of e.issues) console.error(c.red(formatIssue(i)));
      return EXIT_BAD_INPUT;
    }
    if (!r.passed) failed = true;
    if (a.json) {
      process.stdout.write(JSON.stringify(runJson(r)) + '\n');
    } else {
      if (a.timeline) console.log(renderTimeline(r.events, c, a.cron) + '\n');
      console.log(renderSummary(r, c));
    }
    if (a.out) {
      const where = writeReports(r, a.out, sc.description);
      if (!a.json) console.log(c.dim(`  reports written to ${where}/`));
    }
    if (a.trace) {
      // One scenario: the file named; several: one file each, named after the scenario.
      const path = scenarios.length === 1 ? a.trace : join(dirname(a.trace), `${basename(a.trace, extname(a.trace))}.${r.scenario}${extname(a.trace) || '.json'}`);
      writeTrace(r, path);
      if (!a.json) console.log(c.dim(`  trace written to ${path} (open it in ui.perfetto.dev)`));
    }
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

function cmdStart(dir: string, outDir: string, color: boolean): number {
  const c = colours(!color);
  if (!existsSync(dir)) {
    console.error(c.red(`no scenario folder ${dir}: run from the project root or give a folder`));
    return EXIT_BAD_INPUT;
  }
  const files = findScenarios(dir);
  if (!files.length) {
    console.error(c.red(`no scenario files (*.yaml) under ${dir}`));
    return EXIT_BAD_INPUT;
  }
  const scenarios = loadAll(files, (s) => console.error(c.red(s)));
  if (!scenarios) return EXIT_BAD_INPUT;
  const rows: string[][] = [];
  let failed = 0;
  for (const [i, sc] of scenarios.entries()) {
    if (process.stderr.isTTY) process.stderr.write(`\r[${i + 1}/${scenarios.length}] ${sc.name}`.padEnd(60));
    const t0 = performance.now();
    const r = runScenario(sc);
    const wall = performance.now() - t0;
    writeReports(r, outDir, sc.description);
    if (!r.passed) failed++;
    rows.push([r.scenario, String(r.seed), r.passed ? c.green('pass') : c.red('FAIL'), String(r.events.length), r.hash.slice(0, 12), fmtTime(r.endUs), `${wall.toFixed(0)} ms`]);
    if (!r.passed) rows.push(['', '', '', '', '', '', ''], ...renderSummary(r, c).split('\n').slice(1).map((l) => [l, '', '', '', '', '', '']));
  }
  if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(61) + '\r');
  const header = ['scenario', 'seed', 'result', 'events', 'hash', 'virtual time', 'wall time'];
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = header.map((h, k) => Math.max(h.length, ...rows.filter((r) => r[1] !== '').map((r) => strip(r[k]!).length)));
  const line = (r: string[]) => r.map((cell, k) => cell + ' '.repeat(Math.max(0, widths[k]! - strip(cell).length))).join('  ');
  console.log(c.bold(line(header)));
  for (const r of rows) console.log(r[1] === '' ? r[0] : line(r));
  console.log(`\n${scenarios.length - failed}/${scenarios.length} scenarios passed; reports in ${relative(process.cwd(), outDir) || '.'}/<scenario>/ (run.json, timeline.ndjson, report.txt, index.html, trace.json)`);
  return failed ? EXIT_FAILED : EXIT_OK;
}

function cmdValidate(files: string[], color: boolean): number {
  const c = colours(!color);
  const scenarios = loadAll(files, (s) => console.error(c.red(s)));
  if (!scenarios) return EXIT_BAD_INPUT;
  for (const sc of scenarios) console.log(`${c.green('valid')} ${sc.file} (${sc.name}: ${sc.clients.length} clients, ${sc.expect.length} expectations)`);
  return EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const parser = yargs(argv)
    .scriptName('redsim')
    .usage('$0 <command> [options]\n\nDeterministic simulator of how a Redis 7.0 server handles its clients at the network layer.\nA scenario (YAML) scripts clients and faults; a run records a timeline whose hash is the same\nfor the same scenario and seed.')
    .command(
      'run <files..>',
      'Run scenarios and check their expectations',
      (y) => y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'scenario files (YAML)' })
        .option('seed', { type: 'number', describe: 'override the seed in the file' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per scenario: {scenario, seed, passed, hash, expectations, events, …}' })
        .option('out', { type: 'string', describe: 'also write run.json, timeline.ndjson, report.txt, index.html and trace.json under DIR/<scenario>/' })
        .option('trace', { type: 'string', describe: 'write a Chrome trace-event JSON (opens in Perfetto UI) to FILE; with several scenarios, FILE.<scenario>.json' })
        .option('timeline', { alias: 't', type: 'boolean', default: false, describe: 'print the timeline before the summary' })
        .option('cron', { type: 'boolean', default: false, describe: 'include cron ticks in the printed timeline' })
        .option('check-determinism', { type: 'boolean', default: false, describe: 'run each scenario twice in this process and once in a child process; show the first divergence if the timelines differ (exit 1)' })
        .option('child', { type: 'boolean', default: true, describe: 'with --check-determinism: also run in a child process (--no-child: this process only)' })
        .example('$0 run scenarios/*.yaml --check-determinism', 'check that every scenario gives the same timeline, run after run')
        .example('$0 run scenarios/ping-pong.yaml', 'run one scenario')
        .example('$0 run scenarios/*.yaml --seed 7 --json > runs.ndjson', 'rerun with another seed, as data')
        .example('$0 run scenarios/quit-mid-pipeline.yaml -t', 'see what happened, event by event'),
      async (a) => {
        if (a.checkDeterminism) {
          if (a.json || a.out !== undefined || a.timeline) {
            console.error('--check-determinism prints its own summary: leave out --json, --out and --timeline');
            code = EXIT_BAD_INPUT;
            return;
          }
          code = await cmdCheckDeterminism({ files: a.files as string[], seed: a.seed, child: a.child, context: 3, color: a.color as boolean });
          return;
        }
        code = cmdRun({ files: a.files as string[], seed: a.seed, json: a.json, out: a.out, trace: a.trace, timeline: a.timeline, cron: a.cron, color: a.color as boolean });
      },
    )
    .command(
      'start [dir]',
      'Run every scenario under a folder, write reports, print a summary table (what `npm start` does)',
      (y) => y
        .positional('dir', { type: 'string', default: 'scenarios', describe: 'folder of scenario files' })
        .option('out', { type: 'string', default: 'reports', describe: 'folder for the reports' })
        .example('$0 start', 'run scenarios/*.yaml, write reports/<scenario>/')
        .example('$0 start my-scenarios --out /tmp/reports', 'another folder, reports elsewhere'),
      (a) => {
        code = cmdStart(a.dir as string, a.out as string, a.color as boolean);
      },
    )
    .command(
      'validate <files..>',
      'Check scenario files without running them (every problem, with file, line and field)',
      (y) => y
        .positional('files', { type: 'string', array: true, demandOption: true })
        .example('$0 validate scenarios/*.yaml', 'check every bundled scenario')
        .example('$0 validate my-scenario.yaml', 'every problem at once, as file:line:column: field: message'),
      (a) => {
        code = cmdValidate(a.files as string[], a.color as boolean);
      },
    )
    .command(
      'replay <report>',
      'Rerun a recorded run (run.json) with its scenario and seed: confirm its hash, or show where it diverges',
      (y) => y
        .positional('report', { type: 'string', demandOption: true, describe: 'a run.json written by `run --out DIR` or `npm start`' })
        .option('scenario', { type: 'string', describe: 'the scenario file, when it is no longer where the report says' })
        .option('context', { type: 'number', default: 3, describe: 'events shown either side of a divergence' })
        .example('$0 replay reports/ping-pong/run.json', 'does this report still reproduce?')
        .example('$0 replay old/run.json --scenario scenarios/renamed.yaml', 'replay against a moved scenario file'),
      (a) => {
        code = cmdReplay({ report: a.report as string, scenario: a.scenario, context: a.context, color: a.color as boolean });
      },
    )
    .command(
      'diff <a> <b>',
      'Show the first event where two timelines differ (run.json, `run --json` output or timeline.ndjson)',
      (y) => y
        .positional('a', { type: 'string', demandOption: true, describe: 'first run or timeline' })
        .positional('b', { type: 'string', demandOption: true, describe: 'second run or timeline' })
        .option('context', { type: 'number', default: 3, describe: 'events shown either side of the difference' })
        .example('$0 diff yesterday/ping-pong/run.json reports/ping-pong/run.json', 'what changed since yesterday?')
        .example('$0 run s.yaml --seed 1 --json > a.json; $0 run s.yaml --seed 2 --json > b.json; $0 diff a.json b.json', 'where do two seeds part ways?'),
      (a) => {
        code = cmdDiff({ a: a.a as string, b: a.b as string, context: a.context, color: a.color as boolean });
      },
    )
    .command(
      'sweep [file]',
      'Run one scenario over many seeds on all cores: summary, reproduce commands, JSON results; shard and merge large sweeps',
      (y) => y
        .positional('file', { type: 'string', describe: 'scenario file (YAML)' })
        .option('seeds', { type: 'string', default: '1..100', describe: 'seeds to run: A..B (inclusive), N, or a comma-separated mix such as 1..10,42' })
        .option('jobs', { alias: 'j', type: 'number', describe: 'worker threads (default: every core, os.availableParallelism())' })
        .option('shard', { type: 'string', describe: "run shard K of N only: seed s of A..B is in shard ((s - A) mod N) + 1 (docs/sweeps.md)" })
        .option('out', { alias: 'json', type: 'string', describe: 'write the results as JSON to FILE (- for stdout): {scenario, file, range, shard, seeds: [{seed, passed, hash, failed}], passed, failed}' })
        .option('merge', { type: 'string', array: true, describe: 'join result files of shards instead of running (same scenario; every seed exactly once)' })
        .option('allow-gaps', { type: 'boolean', default: false, describe: 'with --merge: merge even when seeds of the range are missing' })
        .option('progress', { type: 'boolean', describe: 'show a progress bar (default: when stderr is a terminal)' })
        .check((a) => {
          if (!a.merge && a.file === undefined) throw new Error('sweep needs a scenario file, or --merge FILES');
          return true;
        })
        .example('$0 sweep scenarios/pipeline-sliced.yaml --seeds 1..1000', 'a thousand seeds on every core')
        .example('$0 sweep scenarios/pipeline-sliced.yaml --seeds 1..100000 --shard 3/8 --out shard-3.json', 'one of eight machines of a CI matrix')
        .example('$0 sweep --merge shard-*.json --out sweep.json', 'join the shards, checking that none is missing'),
      async (a) => {
        if (a.merge) {
          code = cmdMerge({ files: [...(a.file === undefined ? [] : [a.file]), ...a.merge], out: a.out, allowGaps: a.allowGaps, color: a.color as boolean });
          return;
        }
        code = await cmdSweep({ file: a.file as string, seeds: a.seeds, jobs: a.jobs, shard: a.shard, out: a.out, progress: a.progress, color: a.color as boolean });
      },
    )
    .command(
      'schema',
      'Print the JSON Schema of scenario files, for editors (npm run schema writes schema/scenario.schema.json)',
      (y) => y
        .option('out', { type: 'string', describe: 'write it to FILE instead' })
        .option('check', { type: 'boolean', default: false, describe: 'with --out: exit 1 if FILE is not up to date' })
        .example('$0 schema --out schema/scenario.schema.json', 'regenerate the shipped schema'),
      (a) => {
        code = cmdSchema({ out: a.out, check: a.check, color: a.color as boolean });
      },
    )
    .command(serveCommand((c) => { code = c; }))
    .command(conformCommand((c) => { code = c; }))
    .command(checkCommand((c) => { code = c; }))
    .example('$0 run scenarios/ping-pong.yaml', 'run one scenario and check its expectations')
    .example('npm start', 'run every bundled scenario and write reports/')
    .example('$0 replay reports/ping-pong/run.json', 'confirm that a report still reproduces')
    .example('$0 sweep scenarios/pipeline-sliced.yaml --seeds 1..1000', 'look for a seed that fails')
    .option('color', { type: 'boolean', default: true, describe: 'colour output (--no-color or NO_COLOR=1 to turn off)' })
    .demandCommand(1, 'name a command: run, start, validate, replay, diff, sweep, check, schema, serve or conform (see --help)')
    .strict()
    .epilogue('Exit codes: 0 all expectations held, 1 an expectation failed, 2 bad input, 3 internal error.\nScenario format: docs/scenarios.md')
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`${msg}\n\nrun 'redsim --help' for usage`);
      code = EXIT_BAD_INPUT;
    })
    .help()
    .version(false);
  await parser.parseAsync();
  return code;
}

const isEntry = process.argv[1] && /(?:main\.ts|redsim(?:\.js)?)$/.test(basename(process.argv[1]));
if (isEntry || process.env.REDSIM_CLI === '1') {
  // A reader that goes away (`redsim … | head`) is not an error: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
      throw e;
    });
  }
  // exitCode, not exit(): exit() would cut off output still being written to a pipe.
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(`redsim: internal error: ${(e as Error).stack ?? e}`);
      process.exitCode = EXIT_INTERNAL;
    },
  );
}
