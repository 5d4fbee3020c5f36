// Fairness: with one read per readable event (read-policy single, Redis's behaviour) a
// request-response client's latency is bounded by 2 × busy clients × one read's worth of their
// commands, however long their pipelines; with read-policy drain (read until EAGAIN) a busy client
// holds the loop for its whole backlog and fast-check finds a light client waiting longer.
import { describe, it } from 'vitest';
import { fairness } from '../../src/scenario/properties.ts';
import { fairnessScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

describe('fairness (read-policy single vs drain)', () => {
  it('with read-policy single a light client waits at most 2 × busy clients × one read of their commands', () => {
    holds('fairness single', fairnessScenario('single'), fairness, 25, { maxShrinks: 40, reduceBudget: 10 });
  });

  it('with read-policy drain fast-check finds a light client waiting for a whole pipeline', () => {
    findsCounterexample('fairness under drain', fairnessScenario('drain'), fairness, 40, { maxShrinks: 40, reduceBudget: 10 });
  });
});
