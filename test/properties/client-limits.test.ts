// Client limits: connected clients never exceed maxclients; with client-limit-policy 2.6 (Redis
// since 2.6) maxclients after start-up is at most the fd soft limit − 32; refusals happen only at
// the limit and each refused client reads `-ERR max number of clients reached` before its EOF.
// With client-limit-policy 2.4 (a fixed maxclients, fd limit not consulted) fast-check finds a
// configuration where maxclients exceeds what the fd limit allows.
import { describe, it } from 'vitest';
import { clientLimits } from '../../src/scenario/properties.ts';
import { limitsScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

describe('client limits (client-limit-policy 2.6 vs 2.4)', () => {
  it('2.6: connected ≤ maxclients ≤ fd soft limit − 32, refusals only at the limit, each with the error before EOF', () => {
    holds('client limits 2.6', limitsScenario('2.6'), clientLimits, 50);
  });

  it('2.4: fast-check finds maxclients above what the fd limit allows', () => {
    findsCounterexample('client limits under 2.4', limitsScenario('2.4'), clientLimits, 50);
  });
});
