// serverCron and clientsCron: idle timeouts (strict, whole seconds, lazy), exemptions, lateness with
// many clients, list rotation, dynamic hz, the exact-timer switch, and TCP keepalive at accept.
import { describe, expect, it } from 'vitest';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

describe('idle timeout', () => {
  const idle = (timeout: number, waitMs: number, extra = '') => runYaml(`
horizon: 20s
server: {config: {timeout: ${timeout}${extra}}}
clients:
  - name: c1
    script:
      - call: PING
      - wait: ${waitMs}ms
      - call: PING
`);

  it('a client idle exactly the timeout in whole seconds is not closed; one more second closes it', () => {
    // Last activity at t≈0 s (second 0). At second 2 idle = 2, not > 2; at second 3 it is.
    const r = idle(2, 2900);
    expect(closeOf(r, 'c1')).toBeUndefined();
    const late = idle(2, 3200);
    expect(closeOf(late, 'c1')).toMatchObject({ reason: 'idle-timeout' });
    expect(closeOf(late, 'c1')!.t).toBeGreaterThanOrEqual(3_000_000);
    expect(logLines(late)).toContain('Closing idle client');
  });

  it('the close comes at the first cron visit after the boundary (within one cron period)', () => {
    const r = idle(2, 10_000);
    const t = closeOf(r, 'c1')!.t;
    expect(t).toBeGreaterThanOrEqual(3_000_000);
    expect(t).toBeLessThan(3_100_000);
  });

  it('with exact timers the client is closed as soon as its idle time exceeds the timeout', () => {
    const r = idle(2, 10_000, ', timeout-policy: exact');
    const c = closeOf(r, 'c1')!;
    const lastWrite = r.events.filter((e) => e.kind === 'write').at(0)!.t;
    expect(c).toMatchObject({ reason: 'idle-timeout' });
    expect(c.t - lastWrite).toBeGreaterThan(2_000_000);
    expect(c.t - lastWrite).toBeLessThan(2_000_010);
  });

  it('timeout 0 never closes anyone', () => {
    expect(closeOf(idle(0, 15_000), 'c1')).toBeUndefined();
  });

  it('a client inside MULTI is not exempt', () => {
    const r = runYaml(`
horizon: 10s
server: {config: {timeout: 1}}
clients:
  - name: c1
    script: [{call: MULTI}, {wait: 5s}]
`);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'idle-timeout' });
  });

  it('a MONITOR client is never timed out', () => {
    const r = runYaml(`
horizon: 10s
server: {config: {timeout: 1}}
clients:
  - name: mon
    script: [{call: MONITOR}, {wait: 5s}]
`);
    expect(closeOf(r, 'mon')).toBeUndefined();
  });

  it('with many clients the lazy cron closes late: a 10 s timeout closes some idle clients after 12 s and more', () => {
    // Each tick visits clients/hz of them, counted at the start of the tick. As idle clients are
    // freed the count shrinks, so each tick closes a tenth of those left and the tail stretches
    // out: the seed's "closed after 12 seconds if many clients are connected".
    const r = runYaml(`
horizon: 40s
server: {config: {timeout: 10, tcp-backlog: 4096}}
clients:
  - name: c
    count: 2000
    script: [{call: PING}, {wait: 30s}]
`);
    const times = r.events.filter((e) => e.kind === 'close').map((e) => e.t);
    expect(times).toHaveLength(2000);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(11_000_000);
    expect(times.filter((t) => t < 11_100_000)).toHaveLength(200); // the first tick: 2000 / 10
    expect(times.filter((t) => t >= 12_000_000).length).toBeGreaterThan(300);
  });
});

describe('clientsCron', () => {
  it('visits max(5, clients/hz) clients per tick', () => {
    const r = runYaml(`
horizon: 2s
server: {config: {hz: 10, dynamic-hz: "no"}}
clients:
  - name: c
    count: 120
    script: [{call: PING}, {wait: 1500ms}]
`);
    const ticks = r.events.filter((e) => e.kind === 'cron' && e.clients === 120);
    expect(ticks.length).toBeGreaterThan(5);
    for (const t of ticks) expect(t).toMatchObject({ visited: 12 });
  });

  it('dynamic hz doubles while clients/hz exceeds 200, up to 500', () => {
    const r = runYaml(`
horizon: 1s
server: {config: {hz: 10, tcp-backlog: 4096}}
clients:
  - name: c
    count: 2500
    script: [{call: PING}, {wait: 900ms}]
`);
    const tick = r.events.filter((e) => e.kind === 'cron' && e.clients === 2500).at(-1)!;
    expect(tick).toMatchObject({ hz: 20 }); // 2500/10 = 250 > 200 -> 20; 2500/20 = 125
  });
});

describe('TCP keepalive', () => {
  const vanish = (ka: number, horizon: string) => runYaml(`
horizon: ${horizon}
server: {config: {tcp-keepalive: ${ka}}}
clients:
  - name: c1
    script: [{call: PING}, {vanish: true}]
`);

  it('a vanished peer is found after idle + 3 × idle/3 seconds and the client is freed', () => {
    const r = vanish(60, '300s');
    const c = closeOf(r, 'c1')!;
    expect(c).toMatchObject({ reason: 'keepalive' });
    // Last heard at about 0.0002 s; detection at 60 + 3 × 20 = 120 s after that.
    expect(c.t).toBeGreaterThanOrEqual(120_000_000);
    expect(c.t).toBeLessThan(120_001_000);
    expect(logLines(r)).toContain('Reading from client: Connection timed out');
  });

  it('with tcp-keepalive 0 a vanished peer stays connected forever', () => {
    const r = vanish(0, '2000s');
    expect(closeOf(r, 'c1')).toBeUndefined();
  });

  it('the default of 300 s finds a dead peer after 600 s', () => {
    const c = closeOf(vanish(300, '700s'), 'c1')!;
    expect(c.t).toBeGreaterThanOrEqual(600_000_000);
    expect(c.t).toBeLessThan(600_001_000);
  });
});

describe('CONFIG SET tcp-keepalive', () => {
  it('affects only connections accepted afterwards', () => {
    const r = runYaml(`
horizon: 400s
server: {config: {tcp-keepalive: 0}}
clients:
  - name: before
    script: [{call: PING}, {wait: 10ms}, {vanish: true}]
  - name: admin
    connect-at: 1ms
    script: [{call: [CONFIG, SET, tcp-keepalive, "30"]}]
  - name: after
    connect-at: 5ms
    script: [{call: PING}, {wait: 10ms}, {vanish: true}]
`);
    expect(closeOf(r, 'before')).toBeUndefined();
    expect(closeOf(r, 'after')).toMatchObject({ reason: 'keepalive' });
    expect(closeOf(r, 'after')!.t).toBeLessThan(61_000_000);
  });
});

describe('clients list rotation', () => {
  it('with more than 5 clients CLIENT LIST order rotates by the cron visits (7 clients, 5 per tick at hz 10)', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: c
    count: 6
    script: [{call: PING}, {wait: 1s}]
  - name: viewer
    connect-at: 1ms
    script: [{call: [CLIENT, LIST]}, {wait: 100ms}, {call: [CLIENT, LIST]}]
`);
    const ids = (s: string) => [...s.matchAll(/id=(\d+) /g)].map((m) => Number(m[1]));
    const [first, second] = repliesOf(r, 'viewer').map(ids);
    expect(first).toHaveLength(7);
    expect(new Set(second)).toEqual(new Set(first));
    // One tick moved the 5 last clients to the front, one at a time.
    expect(second).toEqual([...first!.slice(2), ...first!.slice(0, 2)]);
  });
});
