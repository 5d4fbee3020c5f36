// The scenario generators of the property tests, one per area, built from the exported
// arbitraries of src/scenario/arbitraries.ts. Kept apart from the tests so that other suites (and
// ad-hoc explorations with more runs) can import them without registering the tests.
import fc from 'fast-check';
import {
  blockedScriptArb, churnScriptArb, clientArb, clientsArb, faultsArb, idleScriptArb, linkArb, nofileArb, parserScriptArb,
  pipelineScriptArb, publisherScriptArb, requestResponseScriptArb, scenarioArb, sliceFaultArb, slowReaderScriptArb,
  smallCommandArb, subscriberScriptArb,
} from '../../src/scenario/arbitraries.ts';
import type { ArgSpec, Direction, FaultSpec, Step } from '../../src/scenario/types.ts';

const MS = 1000;
const S = 1_000_000;
const MB = 1 << 20;
/** omem of one reply block of the 16 KiB class: capacity 20464 (a 20480-byte allocation) + 40. */
export const BLOCK_OMEM = 20464 + 40;
/** Small socket buffers so that output piles up on the server after a few KB. */
export const SMALL_BUFFERS = { sndbuf: 4096, rcvbuf: 4096 };

/** 1–3 busy clients pipelining 100–4000 small commands, and one light client making a few calls. */
export function fairnessScenario(readPolicy: 'single' | 'drain') {
  const heavy = (i: number) => clientArb(`busy${i}`, pipelineScriptArb({ commands: smallCommandArb(`busy${i}`), repeat: fc.integer({ min: 100, max: 4000 }) }), { connectAtUs: fc.integer({ min: 0, max: 1 * MS }) });
  return scenarioArb({
    name: 'fairness',
    horizonUs: 10_000_000,
    server: {
      directives: fc.constant({ 'read-policy': readPolicy }),
      cost: fc.record({ commandUs: fc.integer({ min: 1, max: 4 }), byteNs: fc.integer({ min: 0, max: 2 }) }),
    },
    network: linkArb({ latencyUs: fc.integer({ min: 10, max: 200 }), jitterUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })) }),
    clients: fc
      .tuple(
        fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => heavy(i + 1)))),
        clientArb('light', requestResponseScriptArb({ commands: fc.constantFrom(['PING'], ['GET', 'light:k'], ['INCR', 'light:n']), calls: { min: 1, max: 4 }, pauseUs: fc.integer({ min: 0, max: 3 * MS }) }), { connectAtUs: fc.integer({ min: 0, max: 2 * MS }) }),
      )
      .map(([h, l]) => [...h, l]),
  });
}

/**
 * Up to 12 clients connecting over 100 ms against maxclients 1–8 and a small fd limit. Every script
 * starts with a pause (≥ 1 ms), so a refused client has sent nothing when it is refused (Linux
 * would answer unread input with RST, and the error could be lost).
 */
export function limitsScenario(policy: '2.6' | '2.4') {
  const script = () =>
    fc
      .tuple(fc.integer({ min: 1 * MS, max: 5 * MS }), fc.oneof(idleScriptArb({ idleUs: fc.integer({ min: 0, max: 300 * MS }) }), churnScriptArb()))
      .map(([pause, rest]): Step[] => [{ op: 'wait', us: pause }, ...rest]);
  return scenarioArb({
    name: 'client-limits',
    horizonUs: 1_000_000,
    server: {
      directives: fc.record({ maxclients: fc.integer({ min: 1, max: 8 }).map(String), 'client-limit-policy': fc.constant(policy) }),
      nofile: nofileArb({ soft: fc.integer({ min: 33, max: 40 }), hard: fc.integer({ min: 33, max: 38 }) }),
    },
    clients: clientsArb('c', script, { min: 1, max: 12, connectAtUs: fc.integer({ min: 0, max: 100 * MS }) }),
  });
}

/** Slow readers (normal class) and a subscriber fed by a publisher (pubsub class), at most 4 clients. */
export function obufClients(o: { replyBytes: fc.Arbitrary<number>; count: fc.Arbitrary<number>; burst: fc.Arbitrary<number> }) {
  const script = (name: string): fc.Arbitrary<Step[]> =>
    name === 'c1' || name === 'c2'
      ? slowReaderScriptArb({
          replyBytes: o.replyBytes,
          count: o.count,
          resumeAfterUs: fc.option(fc.integer({ min: 50 * MS, max: 2500 * MS }), { nil: undefined }),
          burstAfterUs: fc.integer({ min: 0, max: 3 * S }),
          burstBytes: o.burst,
          holdUs: fc.integer({ min: 500 * MS, max: 3 * S }),
        })
      : name === 'c3'
        ? subscriberScriptArb({ channels: ['news'], holdUs: fc.integer({ min: 1 * S, max: 4 * S }) }).map((s): Step[] => [s[0]!, { op: 'stop-reading' }, ...s.slice(1)])
        : publisherScriptArb({ channels: ['news'], count: fc.integer({ min: 1, max: 30 }), payload: o.replyBytes, everyUs: fc.integer({ min: 0, max: 100 * MS }) });
  return clientsArb('c', script, { min: 1, max: 4, connectAtUs: fc.integer({ min: 0, max: 5 * MS }) });
}

/** Hard limits that omem can land on exactly (k blocks, ± 1 byte), for both classes. */
export function hardScenario() {
  const hard = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => k * BLOCK_OMEM + d);
  return scenarioArb({
    name: 'obuf-hard',
    horizonUs: 5 * S,
    server: {
      directives: fc.record({ 'client-output-buffer-limit': fc.tuple(hard, hard).map(([n, p]) => `normal ${n} 0 0 pubsub ${p} 0 0`), hz: fc.constantFrom('1', '10', '50') }),
    },
    network: fc.constant(SMALL_BUFFERS),
    clients: obufClients({ replyBytes: fc.integer({ min: 100, max: 4000 }), count: fc.integer({ min: 5, max: 200 }), burst: fc.integer({ min: 0, max: 200_000 }) }),
  });
}

/** Soft limits of 32–256 KiB for 1–2 s; slow readers that may drain and later get one big reply. */
export function softScenario(timer: '7.0.15' | 'fixed') {
  return fc.record({ soft: fc.integer({ min: 32 * 1024, max: 256 * 1024 }), secs: fc.integer({ min: 1, max: 2 }) }).chain(({ soft, secs }) =>
    scenarioArb({
      name: 'obuf-soft',
      horizonUs: 8 * S,
      server: {
        directives: fc.record({
          'client-output-buffer-limit': fc.constant(`normal 0 ${soft} ${secs} pubsub 0 ${soft} ${secs}`),
          'obuf-soft-timer': fc.constant(timer),
          hz: fc.constantFrom('10', '50'),
        }),
      },
      clients: obufClients({ replyBytes: fc.integer({ min: 4 * 1024, max: 64 * 1024 }), count: fc.integer({ min: 2, max: 40 }), burst: fc.oneof(fc.constant(0), fc.integer({ min: soft, max: 2 * soft })) }),
    }),
  );
}

/** normal 0 0 0 (the default); maybe a password that the slow readers never send. */
export function normalScenario(profile: fc.Arbitrary<{ profile: string; requirepass?: string }>) {
  return scenarioArb({
    name: 'obuf-normal',
    horizonUs: 3 * S,
    server: { directives: profile.map((p) => ({ ...p, 'client-output-buffer-limit': 'normal 0 0 0' })) },
    network: fc.constant(SMALL_BUFFERS),
    clients: clientsArb(
      'c',
      (name) =>
        name === 'c3'
          ? requestResponseScriptArb()
          : slowReaderScriptArb({ replyBytes: fc.integer({ min: 100, max: 8000 }), count: fc.integer({ min: 1, max: 1500 }), resumeAfterUs: fc.option(fc.integer({ min: 10 * MS, max: 1 * S }), { nil: undefined }), holdUs: fc.integer({ min: 100 * MS, max: 1 * S }) }),
      { min: 1, max: 3 },
    ),
  });
}

/** A limit of 1–2 MiB; clients sending one big SET near the limit, medium arguments, or small pipelines. */
export function querybufScenario() {
  return fc.integer({ min: MB, max: 2 * MB }).chain((limit) =>
    scenarioArb({
      name: 'querybuf',
      horizonUs: 1_000_000,
      server: { directives: fc.constant({ 'client-query-buffer-limit': String(limit) }) },
      clients: clientsArb(
        'c',
        () =>
          fc.oneof(
            // One argument within ±64 bytes of the limit (and sometimes farther).
            fc.oneof(fc.integer({ min: -64, max: 64 }), fc.integer({ min: -200_000, max: 200_000 })).map((d): Step[] => [
              { op: 'send', args: ['SET', 'big', { fill: Math.max(1, limit + d) }] },
              { op: 'wait', us: 200_000 },
            ]),
            // Many medium arguments in one command (each under the 32 KiB big-argument threshold).
            fc.integer({ min: 1, max: 80 }).map((n): Step[] => [
              { op: 'call', args: ['RPUSH', 'l', ...Array.from({ length: n }, () => ({ fill: 20_000 }))] },
            ]),
            // A pipeline of small commands.
            fc.tuple(fc.array(smallCommandArb(), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3000 })).map(([commands, repeat]): Step[] => [
              { op: 'pipeline', commands, repeat },
              { op: 'wait-replies', count: commands.length * repeat },
            ]),
          ),
        { min: 1, max: 3 },
      ),
    }),
  );
}

/**
 * timeout 1–2 s, hz 1/10/50, up to 6 clients: idle, request-response with pauses, subscribers,
 * blocked, churn. Under timeout-policy exact the subscribers and blocked clients are left out: an
 * exempt client makes the exact timer re-fire at every loop iteration (a core bug, see
 * core-bugs.test.ts), which is correct but costs seconds of wall time per run.
 */
export function timeoutScenario(policy: fc.Arbitrary<'lazy' | 'exact'>, o: { subscribers?: fc.Arbitrary<Step[]> } = {}) {
  return policy.chain((p) =>
    scenarioArb({
      name: 'timeouts',
      horizonUs: 6 * S,
      server: {
        directives: fc.record({ timeout: fc.constantFrom('1', '2'), hz: fc.constantFrom('1', '10', '50'), 'timeout-policy': fc.constant(p) }),
      },
      clients: clientsArb(
        'c',
        () => {
          const always = [
            idleScriptArb({ idleUs: fc.integer({ min: 0, max: 5 * S }) }),
            requestResponseScriptArb({ pauseUs: fc.integer({ min: 0, max: 2500 * MS }) }),
            churnScriptArb({ pauseUs: fc.integer({ min: 0, max: 3 * S }) }),
          ];
          const exempt = [o.subscribers ?? subscriberScriptArb({ holdUs: fc.integer({ min: 1 * S, max: 5 * S }) }), blockedScriptArb({ holdUs: fc.integer({ min: 1 * S, max: 5 * S }) })];
          return fc.oneof(...always, ...(p === 'lazy' ? exempt : []));
        },
        { min: 1, max: 6, connectAtUs: fc.integer({ min: 0, max: 1 * S }) },
      ),
    }),
  );
}

/**
 * A busy client pipelining 100–1500 commands on its own keys, and 2–4 clients running
 * request-response, pipelines and parser scripts over `commands(name)` that connect while it keeps
 * the server busy (so that several of them are ready in the same poll and the order matters);
 * partitions and slicing, no resets.
 */
export function orderScenario(commands: (ns: string) => fc.Arbitrary<ArgSpec[]>) {
  return scenarioArb({
    name: 'order',
    horizonUs: 20_000_000,
    server: { directives: fc.record({ 'read-policy': fc.constantFrom('single', 'drain') }) },
    network: linkArb({ jitterUs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 300 })) }),
    clients: fc
      .tuple(
        clientArb('busy', pipelineScriptArb({ commands: smallCommandArb('busy'), repeat: fc.integer({ min: 100, max: 1500 }) }), { connectAtUs: fc.constant(0) }),
        clientsArb(
          'c',
          (name) =>
            fc.oneof(
              requestResponseScriptArb({ commands: commands(name), pauseUs: fc.integer({ min: 0, max: 2 * MS }) }),
              pipelineScriptArb({ commands: commands(name), repeat: fc.integer({ min: 1, max: 200 }) }),
              parserScriptArb(name),
            ),
          { min: 2, max: 4, connectAtUs: fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 2 * MS })) },
        ),
      )
      .map(([busy, others]) => [busy, ...others]),
    faults: (cs) => faultsArb(cs.map((c) => c.name), { kinds: ['partition', 'slice'], max: 2 }),
  });
}

/** 1–3 clients running parser scripts (calls, pipelines, inline, raw RESP); each maybe sliced. */
export function slicedScenario() {
  return scenarioArb({
    name: 'sliced',
    horizonUs: 30_000_000,
    server: { directives: fc.record({ 'read-policy': fc.constantFrom('single', 'drain') }) },
    network: linkArb({ latencyUs: fc.integer({ min: 10, max: 100 }) }),
    clients: clientsArb('c', (name) => parserScriptArb(name), { min: 1, max: 3 }),
    faults: (cs) =>
      fc
        .tuple(...cs.map((c) => fc.option(sliceFaultArb(c.name, { direction: fc.constantFrom<Direction>('to-server', 'both', 'to-client'), maxSize: 40 }), { freq: 4, nil: undefined })))
        .map((fs) => fs.filter((f): f is FaultSpec => f !== undefined)),
  });
}

/** Slow readers and pipelines under faults (partitions, slicing, resets, vanishing). */
export function slowScenario() {
  return scenarioArb({
    name: 'conservation',
    horizonUs: 2_000_000,
    clients: clientsArb(
      'c',
      () =>
        fc.oneof(
          slowReaderScriptArb({ count: fc.integer({ min: 1, max: 20 }), resumeAfterUs: fc.option(fc.integer({ min: 10 * MS, max: 1_000 * MS }), { nil: undefined }), holdUs: fc.integer({ min: 10 * MS, max: 1_000 * MS }), burstAfterUs: fc.integer({ min: 0, max: 500 * MS }) }),
          pipelineScriptArb({ repeat: fc.integer({ min: 1, max: 500 }) }),
        ),
      { min: 1, max: 3 },
    ),
    faults: (cs) => faultsArb(cs.map((c) => c.name), { max: 2 }),
  });
}
