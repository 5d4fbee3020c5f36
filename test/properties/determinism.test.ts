// Determinism: the same scenario and seed give the same timeline hash, even with another run in
// between (no state leaks from one run to the next). Shown to bite: rerunning with another seed
// (a deliberately broken "same run") is caught as soon as the scenario uses randomness.
//
// Order independence: under every poll order (fd, fifo, random) each client whose commands touch
// only its own keys receives the same replies. Shown to bite: clients sharing keys do not.
import { describe, it } from 'vitest';
import { anyScenarioArb, independentCommandArb, sharedCommandArb } from '../../src/scenario/arbitraries.ts';
import { withChanges } from '../../src/scenario/build.ts';
import { determinism, renamed, repliesIndependentOfOrder, type ScenarioProperty } from '../../src/scenario/properties.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { orderScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

/** The broken variant: "a rerun" that in fact uses the next seed. */
const rerunWithAnotherSeed: ScenarioProperty = renamed(
  {
    name: 'x',
    summary: '',
    check(sc) {
      const a = runScenario(sc);
      const b = runScenario(withChanges(sc, { seed: sc.seed + 1 }));
      return a.hash === b.hash ? null : { message: `seed ${sc.seed} gives hash ${a.hash.slice(0, 12)}, seed ${sc.seed + 1} gives ${b.hash.slice(0, 12)}`, expect: [], note: 'run the file with --seed N and --seed N+1 and compare the hashes' };
    },
  },
  'determinism-across-seeds',
  'the timeline does not depend on the seed (wrong: jitter, random slicing and poll-order random draw from it)',
);

describe('determinism', () => {
  it('the same scenario and seed give the same hash, with another run in between', () => {
    holds('determinism', anyScenarioArb(), determinism, 30);
  });

  it('a "rerun" with another seed is caught once the scenario draws from the seed', () => {
    findsCounterexample('rerun with another seed', anyScenarioArb(), rerunWithAnotherSeed, 40);
  });
});

describe('replies independent of the poll order', () => {
  it('each client touching only its own keys receives the same replies under fd, fifo and random', () => {
    holds('replies independent of order', orderScenario((ns) => independentCommandArb(ns, { maxFill: 300 })), repliesIndependentOfOrder, 30);
  });

  it('clients sharing keys: fast-check finds replies that depend on the order', () => {
    findsCounterexample('shared keys depend on order', orderScenario(() => sharedCommandArb()), repliesIndependentOfOrder, 60);
  });
});
