// The `redsim` command line (yargs): run, start, validate. The only layer, with real/, that touches
// the process, the file system and the wall clock. Exit codes: 0 every expectation held, 1 one
// failed, 2 bad input (unreadable or invalid scenario, bad flags), 3 internal error.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatIssue, loadScenario, ScenarioError } from '../scenario/load.ts';
import { runScenario, type RunResult } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { canonicalTimeline } from '../timeline/recorder.ts';
import { fmtTime, renderSummary, renderTimeline } from '../report/text.ts';

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
  if (bad) err('fix the problems above (the format is described in docs/scenario-format.md) and run again');
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
    ended: r.ended,
    endUs: r.endUs,
    unfinished: r.unfinished,
    serverExit: r.serverExit,
    expectations: r.expectations,
    clients: r.clients,
    events: r.events,
  };
}

/** Writes run.json, timeline.ndjson and report.txt under `dir/<scenario>/`. */
function writeReports(r: RunResult, dir: string): string {
  const out = join(dir, r.scenario);
  mkdirSync(out, { recursive: true });
  const plain = new Chalk({ level: 0 });
  writeAtomic(join(out, 'run.json'), JSON.stringify(runJson(r), null, 1) + '\n');
  writeAtomic(join(out, 'timeline.ndjson'), canonicalTimeline(r.events));
  writeAtomic(join(out, 'report.txt'), `${renderSummary(r, plain)}\n\n${renderTimeline(r.events, plain)}\n`);
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
      const where = writeReports(r, a.out);
      if (!a.json) console.log(c.dim(`  reports written to ${where}/`));
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
    writeReports(r, outDir);
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
  console.log(`\n${scenarios.length - failed}/${scenarios.length} scenarios passed; reports in ${relative(process.cwd(), outDir) || '.'}/<scenario>/ (run.json, timeline.ndjson, report.txt)`);
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
        .option('out', { type: 'string', describe: 'also write run.json, timeline.ndjson and report.txt under DIR/<scenario>/' })
        .option('timeline', { alias: 't', type: 'boolean', default: false, describe: 'print the timeline before the summary' })
        .option('cron', { type: 'boolean', default: false, describe: 'include cron ticks in the printed timeline' })
        .example('$0 run scenarios/ping-pong.yaml', 'run one scenario')
        .example('$0 run scenarios/*.yaml --seed 7 --json > runs.ndjson', 'rerun with another seed, as data')
        .example('$0 run scenarios/quit-mid-pipeline.yaml -t', 'see what happened, event by event'),
      (a) => {
        code = cmdRun({ files: a.files as string[], seed: a.seed, json: a.json, out: a.out, timeline: a.timeline, cron: a.cron, color: a.color as boolean });
      },
    )
    .command(
      'start [dir]',
      'Run every scenario under a folder, write reports, print a summary table (what `npm start` does)',
      (y) => y
        .positional('dir', { type: 'string', default: 'scenarios', describe: 'folder of scenario files' })
        .option('out', { type: 'string', default: 'reports', describe: 'folder for the reports' }),
      (a) => {
        code = cmdStart(a.dir as string, a.out as string, a.color as boolean);
      },
    )
    .command(
      'validate <files..>',
      'Check scenario files without running them (every problem, with file, line and field)',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
      (a) => {
        code = cmdValidate(a.files as string[], a.color as boolean);
      },
    )
    .option('color', { type: 'boolean', default: true, describe: 'colour output (--no-color or NO_COLOR=1 to turn off)' })
    .demandCommand(1, 'name a command: run, start or validate (see --help)')
    .strict()
    .epilogue('Exit codes: 0 all expectations held, 1 an expectation failed, 2 bad input, 3 internal error.\nScenario format: docs/scenario-format.md')
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
