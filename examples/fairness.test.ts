// An example property test to copy into your own vitest suite (docs/properties.md).
//
// The question: "our batch jobs pipeline thousands of writes; does our interactive client stay
// responsive?" Two ways to ask it:
//   1. with a property redsim ships (`fairness`), over scenarios shaped like your workload;
//   2. with your own property over the same scenarios (here: a fixed latency budget).
// On failure both print the fast-check seed and path, and the first saves the minimal scenario
// as a file that `npx redsim run FILE` reproduces.
//
// Run it from the redsim checkout with:
//   npx vitest run --config examples/vitest.config.ts
// In your own project, change the '../src/...' imports to where redsim lives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertProperty } from '../src/cli/check.ts';
import { clientArb, linkArb, pipelineScriptArb, requestResponseScriptArb, scenarioArb } from '../src/scenario/arbitraries.ts';
import { fairness } from '../src/scenario/properties.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { ArgSpec } from '../src/scenario/types.ts';

/** Our workload: 1–2 batch jobs pipelining writes, one interactive client making a few reads. */
const workload = scenarioArb({
  name: 'our-workload',
  horizonUs: 10_000_000,
  server: {
    // Our redis.conf, as it is in production; let the read policy vary to see the difference.
    directives: fc.record({ 'read-policy': fc.constant('single'), timeout: fc.constant('300') }),
    cost: fc.constant({ commandUs: 2, byteNs: 1 }),
  },
  network: linkArb({ latencyUs: fc.integer({ min: 50, max: 300 }), jitterUs: fc.integer({ min: 0, max: 50 }) }),
  clients: fc
    .tuple(
      fc.integer({ min: 1, max: 2 }).chain((n) =>
        fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            clientArb(`batch${i + 1}`, pipelineScriptArb({ commands: fc.constantFrom<ArgSpec[]>(['SET', `job${i}:k`, 'v'], ['INCR', `job${i}:n`], ['RPUSH', `job${i}:q`, 'item']), repeat: fc.integer({ min: 100, max: 3000 }) })),
          ),
        ),
      ),
      clientArb('web', requestResponseScriptArb({ commands: fc.constantFrom<ArgSpec[]>(['GET', 'web:session'], ['INCR', 'web:hits']), calls: { min: 1, max: 3 }, pauseUs: 0 }), { connectAtUs: fc.integer({ min: 0, max: 2000 }) }),
    )
    .map(([batch, web]) => [...batch, web]),
});

describe('our interactive client under batch load', () => {
  it("redsim's fairness property holds for our workload", () => {
    // Seed and runs come from REDSIM_PROP_SEED / REDSIM_PROP_RUNS when set (CI can pin or vary them).
    assertProperty('our workload is fair', workload, fairness, { numRuns: 15 });
  });

  it('our own budget: every interactive request answered within 15 ms', () => {
    fc.assert(
      fc.property(workload, (sc) => {
        const r = runScenario(sc);
        const ev = (what: string) => r.events.filter((e) => e.client === 'web' && e.kind === 'client' && e.what === what).map((e) => e.t);
        const accepted = r.events.find((e) => e.client === 'web' && e.kind === 'accept');
        // The web client makes its calls back to back: each request leaves when the previous
        // reply arrives (the first once connected and accepted).
        let sent = Math.max(ev('connected')[0] ?? 0, accepted?.t ?? 0);
        for (const t of ev('reply')) {
          expect(t - sent, `a request sent at ${sent} µs was answered at ${t} µs`).toBeLessThan(15_000);
          sent = t;
        }
      }),
      { seed: Number(process.env.REDSIM_PROP_SEED ?? 424242), numRuns: 15 },
    );
  });
});
