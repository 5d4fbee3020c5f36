// Idle timeouts: nobody is closed before its idle time strictly exceeds `timeout`; pub/sub and
// blocked clients never are; and an idle client is closed within timeout + a slack derived from
// hz and the number of clients (lazy: up to 1 s of whole-second rounding plus the clientsCron
// visit; exact timers: 20 ms). Switched the other way: holding the lazy check to the exact
// policy's bound, fast-check finds a client closed about a second late; and a wrong expectation
// ("a client that ever subscribed is never timed out") is refuted by one that unsubscribed.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { subscriberScriptArb } from '../../src/scenario/arbitraries.ts';
import { noCloseBeforeTimeout, renamed, timeoutBound, timeoutBoundWith, type ScenarioProperty } from '../../src/scenario/properties.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { timeoutScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

const S = 1_000_000;

const eitherPolicy = fc.constantFrom<'lazy' | 'exact'>('lazy', 'exact');

/** The wrong expectation: a client whose script ever subscribed is exempt from `timeout`. */
const everSubscribedExempt: ScenarioProperty = renamed(
  {
    name: 'x',
    summary: '',
    check(sc) {
      const r = runScenario(sc);
      for (const e of r.events) {
        if (e.kind !== 'close' || e.reason !== 'idle-timeout') continue;
        const spec = sc.clients.find((c) => c.name === e.client);
        if (spec?.script.some((s) => s.op === 'call' && String(s.args[0]).toUpperCase() === 'SUBSCRIBE')) {
          return { message: `client ${e.client} subscribed once and was closed for idleness at ${e.t} µs`, client: e.client, expect: [{ kind: 'lacks', pattern: { kind: 'close', client: e.client!, reason: 'idle-timeout' } }] };
        }
      }
      return null;
    },
  },
  'timeout-exempt-once-subscribed',
  'a client that ever subscribed is never closed for idleness (a wrong expectation: only current subscribers are exempt)',
);

describe('idle timeouts (timeout-policy lazy vs exact)', () => {
  it('nobody is closed before its idle time strictly exceeds timeout; pub/sub and blocked clients never are', () => {
    holds('no close before timeout', timeoutScenario(eitherPolicy), noCloseBeforeTimeout, 40);
  });

  it('an idle client is closed within timeout + the documented slack (lazy: 1 s + a clientsCron visit; exact: 20 ms)', () => {
    holds('timeout bound', timeoutScenario(eitherPolicy), timeoutBound, 40);
  });

  it("lazy checks held to the exact policy's 20 ms bound: fast-check finds a client closed about a second late", () => {
    const exactBound = renamed(timeoutBoundWith({ slackUs: () => 20_000 }), 'timeout-bound-exact-20ms');
    findsCounterexample('lazy timeout under the exact bound', timeoutScenario(fc.constant('lazy')), exactBound, 40);
  });

  it('the wrong expectation "a client that ever subscribed is exempt" is refuted by a client that unsubscribed', () => {
    const unsubscribing = subscriberScriptArb({ holdUs: fc.integer({ min: 2 * S, max: 5 * S }), unsubscribeAfterUs: fc.integer({ min: 0, max: 1 * S }) });
    findsCounterexample('once subscribed, exempt forever', timeoutScenario(fc.constant('lazy'), { subscribers: unsubscribing }), everSubscribedExempt, 40);
  });
});
