// The machinery of the property suite, checked like the rest: the observing runner gives the same
// timeline as runScenario; scenarioToYaml ∘ parseScenario is the identity; a counterexample file
// reproduces; `redsim check` exits 0 / 1 (with the file) / 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyScenarioArb } from '../../src/scenario/arbitraries.ts';
import { makeScenario, scenarioFromText, scenarioToYaml, steps, withChanges, type ExpectationInput } from '../../src/scenario/build.ts';
import { checkScenario, reduceScenario } from '../../src/scenario/check.ts';
import { observeRun } from '../../src/scenario/observe.ts';
import { PROPERTIES, repliesIndependentOfOrder } from '../../src/scenario/properties.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { DEFAULT_PROP_SEED, propertyRunConfig } from '../../src/cli/check.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/redsim.js');
const cfg = propertyRunConfig({ numRuns: 25 });

/** The data of a scenario, without file positions. */
function data(sc: Scenario): unknown {
  return JSON.parse(JSON.stringify({ ...sc, file: undefined, locate: undefined, clients: sc.clients.map((c) => ({ ...c, line: undefined })), expect: sc.expect.map((e) => ({ ...e, line: undefined })) }));
}

const expectationArb: fc.Arbitrary<ExpectationInput[]> = fc.array(
  fc.oneof(
    fc.array(fc.oneof(fc.string().map((s) => `+${s.replace(/[\r\n]/g, '')}`), fc.constant('*-1'), fc.constant('[$a, :1]'), fc.constant("-ERR x 'y', z: ")), { maxLength: 3 }).map((replies): ExpectationInput => ({ kind: 'replies', client: 'c1', replies })),
    fc.nat(5).map((count): ExpectationInput => ({ kind: 'reply-count', client: 'c1', count })),
    fc.record({ reason: fc.constantFrom('quit', 'idle-timeout', undefined), afterUs: fc.constantFrom(0, 1500, undefined), beforeUs: fc.constantFrom(2_000_000, undefined) }).map((c): ExpectationInput => {
      const e: ExpectationInput = { kind: 'closed', client: 'c1' };
      if (c.reason !== undefined) e.reason = c.reason;
      if (c.afterUs !== undefined) e.afterUs = c.afterUs;
      if (c.beforeUs !== undefined) e.beforeUs = c.beforeUs;
      return e;
    }),
    fc.constant<ExpectationInput>({ kind: 'open', client: 'c1' }),
    fc.constant<ExpectationInput>({ kind: 'lacks', pattern: { kind: 'close', client: 'c1', reason: 'quit', t: 12 } }),
    fc.constant<ExpectationInput>({ kind: 'contains', pattern: { kind: 'log', line: '/max "q"/' } }),
  ),
  { maxLength: 3 },
);

describe('tooling', () => {
  it('observeRun gives the same timeline hash as runScenario', () => {
    fc.assert(
      fc.property(anyScenarioArb(), (sc) => {
        expect(observeRun(sc, { probe: () => undefined }).result.hash).toBe(runScenario(sc).hash);
      }),
      { seed: cfg.seed, numRuns: cfg.numRuns },
    );
  });

  it('scenarioToYaml then parseScenario gives back the same scenario (and the same run)', () => {
    fc.assert(
      fc.property(anyScenarioArb(), expectationArb, (sc0, expect0) => {
        const sc = sc0.clients.some((c) => c.name === 'c1') ? withChanges(sc0, { expect: expect0.map((e) => ({ ...e, line: 0 }) as Scenario['expect'][number]) }) : sc0;
        const text = scenarioToYaml(sc);
        const back = scenarioFromText(text, 'roundtrip.yaml');
        expect(data(back)).toEqual(data(sc));
        expect(scenarioToYaml(back)).toBe(text);
      }),
      { seed: cfg.seed, numRuns: cfg.numRuns * 2 },
    );
  });

  it('raw bytes, inline text and arguments survive the file format exactly', () => {
    const sc = makeScenario({
      clients: [{ name: 'c1', script: [steps.raw('\x00\x7f\x85\x9f\xff\r\n"\\', { fill: 3 }), steps.inline('ECHO "a b"'), steps.call(['SET', '007', '1.50']), steps.call(['ECHO', '', 'null', 'true', '#t', '- x'])] }],
    });
    expect(data(scenarioFromText(scenarioToYaml(sc)))).toEqual(data(sc));
  });

  it('the reducer keeps only what the failure needs', () => {
    const sc = makeScenario({
      horizonUs: 1_000_000,
      server: { config: { hz: 50, timeout: 3 } },
      clients: [
        { name: 'busy', script: [steps.pipeline(['INCR n'], 500), steps.waitReplies(500)] },
        { name: 'a', connectAtUs: 200, script: [steps.call('PING'), steps.pipeline(['INCR n'], 3), steps.waitReplies(4)] },
        { name: 'b', connectAtUs: 200, script: [steps.pipeline(['INCR n'], 3), steps.waitReplies(3)] },
        { name: 'bystander', script: [steps.call('PING'), steps.wait(1000)] },
      ],
    });
    const o = checkScenario(sc, repliesIndependentOfOrder, { seed: DEFAULT_PROP_SEED, numRuns: 30 });
    expect(o.failed).toBe(true);
    const names = o.counterexample!.clients.map((c) => c.name);
    expect(names).not.toContain('bystander');
    expect(Object.keys(o.counterexample!.server.config)).toEqual([]);
    // Reducing a scenario that does not fail changes nothing.
    const r = reduceScenario(sc, { message: '', expect: [] }, () => null, 10);
    expect(r.scenario).toBe(sc);
  });

  it('every registered property holds on a quiet scenario', () => {
    const sc = makeScenario({ horizonUs: 200_000, clients: [{ name: 'c1', script: [steps.call('PING'), steps.call('QUIT'), steps.waitClosed()] }] });
    for (const p of Object.values(PROPERTIES)) expect(p.check(sc), p.name).toBeNull();
  });
});

describe('redsim check (CLI)', () => {
  const redsim = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('exits 0 when the property holds for every variation', () => {
    const r = redsim(['check', 'scenarios/ping-pong.yaml', '--property', 'conservation', '--runs', '5']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/holds: 5 variations of ping-pong satisfy 'conservation'/);
    expect(r.code).toBe(0);
  });

  it('exits 1 with the path of a minimal scenario file that `redsim run` reproduces', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'redsim-check-')), 'min.yaml');
    const r = redsim(['check', 'examples/shared-counter.yaml', '-p', 'replies-independent-of-order', '--runs', '30', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').at(-1)).toBe(out);
    expect(r.out).toMatch(/fast-check seed \d+, path [\d:]+/);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toMatch(/^# Counterexample to the redsim property 'replies-independent-of-order'/);
    const run = redsim(['run', out]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^FAIL replies-independent-of-order-counterexample/);
  });

  it('exits 2 for an unknown property', () => {
    const r = redsim(['check', 'scenarios/ping-pong.yaml', '--property', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/determinism/);
  });
});
