// `redsim conform FILE...`: runs each scenario on the simulator, on the core over real sockets and
// on a real redis-server, and prints what differs (side by side, naming client and step) and a
// table of scenario × arm. Exit 0 when nothing unexpected differs, 1 otherwise, 2 bad input.
// Not here: the harness (src/real/conform.ts) and the comparison (src/real/compare.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import type { Argv, CommandModule } from 'yargs';
import { renderMismatches } from '../real/compare.ts';
import { ConformanceConfigError, loadConformanceConfig, type Arm, type ConformanceConfig, type KnownMismatch } from '../real/conformance-config.ts';
import { conformScenario, type ConformResult } from '../real/conform.ts';
import { findRedisServer, killAllRedis, redisServerVersion } from '../real/redis-process.ts';
import { formatIssue, loadScenario, ScenarioError } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { canonicalTimeline } from '../timeline/recorder.ts';

export interface ConformArgs {
  files: string[];
  arms?: Arm[];
  json: boolean;
  out?: string;
  redisServer?: string;
  requireRedis: boolean;
  parallel: boolean;
  verbose: boolean;
  color: boolean;
}

function statusCell(r: ConformResult, arm: Arm, c: ChalkInstance): string {
  const o = r.arms.find((a) => a.arm === arm);
  if (!o || o.status === 'skipped') return c.dim('skip');
  if (o.status === 'error') return c.red('ERROR');
  if (arm === 'redis') return c.green('ran');
  const cmp = r.comparisons.find((x) => x.arm === arm);
  if (!cmp) return c.dim('ran');
  if (cmp.unexpected.length || cmp.stale.length) return c.red(`FAIL ${cmp.unexpected.length}${cmp.stale.length ? `+${cmp.stale.length} stale` : ''}`);
  return cmp.mismatches.length ? c.yellow(`pass (${cmp.mismatches.length} known)`) : c.green('pass');
}

/** The per-scenario report: arms, notes, mismatches. */
export function renderResult(r: ConformResult, c: ChalkInstance, verbose = false): string {
  const lines: string[] = [];
  lines.push(`${r.passed ? c.green('PASS') : c.red('FAIL')} ${c.bold(r.scenario)} ${c.dim(`(${r.file}, ${(r.wallMs / 1000).toFixed(1)} s)`)}`);
  for (const o of r.arms) {
    const what = o.status === 'ran' ? `ran in ${o.wallMs.toFixed(0)} ms${o.run?.ended === 'horizon' ? ' (stopped at the horizon)' : ''}` : `${o.status}: ${o.why}`;
    lines.push(`  ${o.arm.padEnd(5)} ${o.status === 'error' ? c.red(what) : c.dim(what)}`);
  }
  for (const n of r.notes) lines.push(c.dim(`  note: ${n}`));
  for (const cmp of r.comparisons) {
    if (!cmp.mismatches.length && !cmp.stale.length) {
      lines.push(`  ${cmp.arm} vs ${cmp.against}: ${c.green('every client observed the same')}`);
      continue;
    }
    lines.push(`  ${cmp.arm} vs ${cmp.against}: ${cmp.unexpected.length ? c.red(`${cmp.unexpected.length} unexpected`) : c.green('0 unexpected')}, ${cmp.mismatches.length - cmp.unexpected.length} known mismatches`);
    const diff = renderMismatches(verbose ? cmp.mismatches : cmp.unexpected, { mark: (s) => c.red(s) });
    if (diff) lines.push(diff);
    if (!verbose) {
      // Known mismatches: one line per entry with how often it was seen.
      const seen = new Map<KnownMismatch, number>();
      for (const m of cmp.mismatches) if (m.known) seen.set(m.known, (seen.get(m.known) ?? 0) + 1);
      for (const [k, n] of seen) {
        const what = [k.kind, k.field, k.client && `client ${k.client}`, k.index !== undefined && `reply #${k.index}`].filter(Boolean).join(' ');
        lines.push(c.yellow(`    known (${n}×${what ? ` ${what}` : ''}): ${k.reason}`));
      }
    }
    for (const k of cmp.stale) lines.push(c.red(`    known mismatch no longer seen (remove it from x-conformance): ${JSON.stringify(k)}`));
  }
  return lines.join('\n');
}

export async function cmdConform(a: ConformArgs): Promise<number> {
  const c = a.color && !process.env.NO_COLOR ? chalk : new Chalk({ level: 0 });
  const loaded: Array<{ sc: Scenario; cfg: ConformanceConfig }> = [];
  let bad = false;
  for (const f of a.files) {
    try {
      loaded.push({ sc: loadScenario(f), cfg: loadConformanceConfig(f) });
    } catch (e) {
      bad = true;
      if (e instanceof ScenarioError) for (const i of e.issues) console.error(c.red(formatIssue(i)));
      else if (e instanceof ConformanceConfigError) console.error(c.red(e.message));
      else console.error(c.red(`${f}: ${(e as Error).message}`));
    }
  }
  if (bad) return 2;
  const bin = a.redisServer ?? findRedisServer();
  let noRedisWhy: string | undefined;
  if (!bin) noRedisWhy = 'redis-server not found on PATH (apt-get install redis-server, or set REDIS_SERVER)';
  else if (!redisServerVersion(bin)) noRedisWhy = `${bin} --version failed`;
  if (noRedisWhy && a.requireRedis && (!a.arms || a.arms.includes('redis'))) {
    console.error(c.red(`${noRedisWhy}; --require-redis (or REDSIM_REQUIRE_REDIS=1) makes this an error`));
    return 2;
  }
  if (!a.json && bin && !noRedisWhy) console.log(c.dim(`reference: ${redisServerVersion(bin)}`));
  // Interrupted: stop the redis-servers started so far before going (SIGTERM skips 'exit' hooks).
  const onSignal = (sig: NodeJS.Signals) => {
    killAllRedis();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: ConformResult[] = [];
  for (const { sc, cfg } of loaded) {
    const r = await conformScenario(sc, cfg, { redisBin: noRedisWhy ? null : bin, ...(noRedisWhy ? { noRedisWhy } : {}), ...(a.arms ? { arms: a.arms } : {}), parallel: a.parallel });
    results.push(r);
    if (a.json) process.stdout.write(JSON.stringify({ ...r, arms: r.arms.map(({ timeline: _t, log: _l, ...rest }) => rest) }) + '\n');
    else console.log(renderResult(r, c, a.verbose) + '\n');
    if (a.out) {
      const dir = join(a.out, sc.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'conform.json'), JSON.stringify({ ...r, arms: r.arms.map(({ timeline: _t, log: _l, ...rest }) => rest) }, null, 1) + '\n');
      for (const o of r.arms) {
        if (o.timeline) writeFileSync(join(dir, `${o.arm}.timeline.ndjson`), canonicalTimeline(o.timeline));
        if (o.log) writeFileSync(join(dir, `${o.arm}.log`), o.log);
      }
    }
  }
  if (!a.json) {
    const rows = results.map((r) => [r.scenario, statusCell(r, 'sim', c), statusCell(r, 'serve', c), statusCell(r, 'redis', c)]);
    const header = ['scenario', 'sim vs redis', 'serve vs redis', 'redis'];
    const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
    const w = header.map((h, k) => Math.max(h.length, ...rows.map((r) => strip(r[k]!).length)));
    const line = (r: string[]) => r.map((cell, k) => cell + ' '.repeat(w[k]! - strip(cell).length)).join('  ');
    console.log(c.bold(line(header)));
    for (const r of rows) console.log(line(r));
    const failed = results.filter((r) => !r.passed).length;
    console.log(`\n${results.length - failed}/${results.length} scenarios conform${failed ? c.red(` (${failed} with unexpected differences)`) : ''}`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return results.every((r) => r.passed) ? 0 : 1;
}

/** The yargs command; `setCode` receives the exit code. */
export function conformCommand(setCode: (code: number) => void): CommandModule {
  return {
    command: 'conform <files..>',
    describe: 'Run scenarios on the simulator, on the core over real sockets and on a real redis-server, and compare what the clients saw',
    builder: (y: Argv) => y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'scenario files (YAML), with optional x-conformance settings' })
      .option('arms', { type: 'string', describe: 'comma-separated subset of sim,serve,redis' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per scenario' })
      .option('out', { type: 'string', describe: 'write DIR/<scenario>/conform.json, the core\'s timeline and the redis log' })
      .option('redis-server', { type: 'string', describe: 'redis-server binary (default: $REDIS_SERVER, then PATH)' })
      .option('require-redis', { type: 'boolean', default: process.env.REDSIM_REQUIRE_REDIS === '1', describe: 'fail when redis-server is missing instead of skipping its arm' })
      .option('parallel', { type: 'boolean', default: false, describe: 'run the two real arms at the same time' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'list every known mismatch too, not one line per known entry' })
      .example('$0 conform test/conformance/*.yaml', 'the conformance suite')
      .example('$0 conform test/conformance/quit-pipelined.yaml --out conform/', 'one scenario, keeping timelines and logs'),
    handler: async (argv) => {
      const arms = typeof argv.arms === 'string' ? (argv.arms.split(',').map((s) => s.trim()).filter(Boolean) as Arm[]) : undefined;
      if (arms && arms.some((x) => !['sim', 'serve', 'redis'].includes(x))) {
        console.error(`--arms: a comma-separated subset of sim,serve,redis (got ${argv.arms})`);
        setCode(2);
        return;
      }
      setCode(await cmdConform({
        files: argv.files as string[],
        ...(arms ? { arms } : {}),
        json: argv.json as boolean,
        out: argv.out as string | undefined,
        redisServer: argv['redis-server'] as string | undefined,
        requireRedis: argv['require-redis'] as boolean,
        parallel: argv.parallel as boolean,
        verbose: argv.verbose as boolean,
        color: argv.color as boolean,
      }));
    },
  };
}
