// The conformance comparison and settings as data: what counts as a mismatch, how exclusions and
// known mismatches apply, and the harness on a scenario it can run without redis-server.
import { describe, expect, it } from 'vitest';
import { compareRuns, normaliseRendered, parseClientList, parseInfo, renderMismatches, replySteps, staleKnown, type ArmRun } from '../../src/real/compare.ts';
import { conformScenario, redisDirectives, simulatorOnlyReason } from '../../src/real/conform.ts';
import { ConformanceConfigError, globMatch, parseConformanceConfig } from '../../src/real/conformance-config.ts';
import type { ClientObservation } from '../../src/scenario/actor.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';

function scenario(yaml: string): Scenario {
  const r = parseScenario(yaml, 'inline.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.scenario;
}

const SC = scenario(`
clients:
  - name: a
    script:
      - call: PING
      - pipeline: {commands: [[SUBSCRIBE, x, y]], repeat: 1}
      - call: [CLIENT, LIST]
      - wait-closed: true
`);

function obs(replies: string[], ended: ClientObservation['ended'] = null, endedAtUs: number | null = null): ClientObservation {
  return { name: 'a', replies, ended, endedAtUs, stepsLeft: 0 };
}
function run(arm: ArmRun['arm'], o: ClientObservation): ArmRun {
  return { arm, clients: [o], ended: 'settled', endUs: 0 };
}

const LIST_REDIS = '$id=3 addr=127.0.0.1:41000 laddr=127.0.0.1:7000 fd=7 name= qbuf=26 tot-mem=37658\\n';
const LIST_SIM = '$id=3 addr=127.0.0.1:40000 laddr=127.0.0.1:6379 fd=4 name= qbuf=26 tot-mem=37652\\n';

describe('compareRuns', () => {
  it('finds nothing when every client observed the same', () => {
    const o = obs(['+PONG', '[$subscribe, $x, :1]'], 'eof', 1000);
    expect(compareRuns(SC, parseConformanceConfig(undefined), run('redis', o), run('sim', { ...o }))).toEqual([]);
  });

  it('names the client, the reply, the step and both observations of a differing reply', () => {
    const [m, ...rest] = compareRuns(SC, parseConformanceConfig(undefined), run('redis', obs(['+PONG', '[$subscribe, $x, :1]'])), run('sim', obs(['+PONG', '[$subscribe, $x, :2]'])));
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ arm: 'sim', against: 'redis', client: 'a', kind: 'reply', index: 1, ours: '[$subscribe, $x, :2]', theirs: '[$subscribe, $x, :1]' });
    expect(m!.step).toBe('reply #1, step 2 (pipeline [SUBSCRIBE x y])');
    const text = renderMismatches([m!]);
    expect(text).toContain('client a: sim vs redis');
    expect(text).toContain('[$subscribe, $x, :1]');
  });

  it('compares CLIENT LIST field by field, minus excluded fields, and marks known mismatches', () => {
    const cfg = parseConformanceConfig({
      exclude: { 'client-list': { addr: 'ports', laddr: 'ports' } },
      'known-mismatches': [{ arm: 'sim', field: 'fd', reason: 'fd numbering' }, { field: 'qbuf', reason: 'never seen' }],
    });
    const ms = compareRuns(SC, cfg, run('redis', obs(['+PONG', 'x', 'y', LIST_REDIS])), run('sim', obs(['+PONG', 'x', 'y', LIST_SIM])));
    expect(ms.map((m) => [m.field, m.ours, m.theirs, m.known?.reason ?? null])).toEqual([
      ['fd', 'fd=4', 'fd=7', 'fd numbering'],
      ['tot-mem', 'tot-mem=37652', 'tot-mem=37658', null],
    ]);
    expect(staleKnown(cfg, 'sim', ms).map((k) => k.reason)).toEqual(['never seen']);
  });

  it('compares only the chosen INFO fields when a list is given', () => {
    const cfg = parseConformanceConfig({ compare: { info: ['connected_clients'] } });
    const a = '$# Clients\\r\\nconnected_clients:2\\r\\nclient_recent_max_input_buffer:8\\r\\n';
    const b = '$# Clients\\r\\nconnected_clients:2\\r\\nclient_recent_max_input_buffer:20480\\r\\n';
    expect(compareRuns(SC, cfg, run('redis', obs([a])), run('sim', obs([b])))).toEqual([]);
    expect(parseInfo(a)!.get('client_recent_max_input_buffer')).toBe('8');
  });

  it('skips excluded replies and reports a close only beyond the tolerance', () => {
    const cfg = parseConformanceConfig({ 'close-tolerance': '100ms', exclude: { replies: [{ client: 'a', from: 1, reason: 'kernel buffers' }] } });
    const redis = run('redis', obs(['+PONG', 'm1', 'm2'], 'reset', 1_000_000));
    expect(compareRuns(SC, cfg, redis, run('sim', obs(['+PONG'], 'eof', 1_050_000)))).toEqual([]);
    const late = compareRuns(SC, cfg, redis, run('sim', obs(['+PONG'], 'eof', 1_300_000)));
    expect(late.map((m) => m.kind)).toEqual(['close-time']);
    const open = compareRuns(SC, cfg, redis, run('serve', obs(['+PONG'])));
    expect(open.map((m) => [m.kind, m.ours, m.theirs])).toEqual([['close', 'open', 'closed by the server (RST) at 1000.0ms']]);
  });

  it('shows long runs of x the way the simulator shows virtual bytes', () => {
    expect(normaliseRendered(`[$message, $ch, $${'x'.repeat(40)}]`)).toBe('[$message, $ch, $<40×"x">]');
    expect(normaliseRendered('$xxxx')).toBe('$xxxx');
    expect(parseClientList('$hello')).toBeNull();
  });

  it('attributes replies to the steps expected to produce them', () => {
    expect(replySteps(SC.clients[0]!).map((r) => r.step)).toEqual([1, 2, 2, 3]);
  });
});

describe('x-conformance settings', () => {
  it('gathers every problem with its path', () => {
    try {
      parseConformanceConfig({ 'close-tolerance': 5, exclude: { info: { x: '' } }, 'known-mismatches': [{ arm: 'redis' }], bogus: 1 }, 'f.yaml');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConformanceConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain('f.yaml: x-conformance.bogus: unknown key');
      expect(msg).toContain('close-tolerance: the duration 5 has no unit');
      expect(msg).toContain('exclude.info.x: give the reason');
      expect(msg).toContain('known-mismatches[0].reason');
      expect(msg).toContain('known-mismatches[0].arm: sim or serve');
    }
  });

  it('matches exclusions with * wildcards', () => {
    expect(globMatch('client_recent_max_*', 'client_recent_max_input_buffer')).toBe(true);
    expect(globMatch('qbuf', 'qbuf-free')).toBe(false);
  });
});

describe('the harness', () => {
  it('refuses to play faults and vanishing clients on real sockets, and says why', () => {
    const cfg = parseConformanceConfig(undefined);
    expect(simulatorOnlyReason(scenario('clients: [{name: a, script: [{vanish: true}]}]'), cfg)).toMatch(/vanishes/);
    expect(simulatorOnlyReason(scenario('clients: [{name: a}]\nfaults: [{at: 0, client: a, rst: server}]'), cfg)).toMatch(/faults \(rst\)/);
    expect(simulatorOnlyReason(scenario('clients: [{name: a}]'), cfg)).toBeNull();
  });

  it('refuses to play a scenario with firewall rules on real sockets', () => {
    const cfg = parseConformanceConfig(undefined);
    expect(simulatorOnlyReason(scenario('clients: [{name: a}]\nfirewall: [{action: drop}]'), cfg)).toMatch(/firewall rules/);
  });

  it('drops redsim switches at their Redis value and refuses the real server for other values', () => {
    expect(redisDirectives({ profile: 'debian', maxclients: '5' })).toEqual({ directives: { maxclients: '5' }, why: null });
    expect(redisDirectives({ 'read-policy': 'drain' }).why).toMatch(/read-policy drain has no counterpart/);
  });

  it('without redis-server, compares the core on real sockets with the simulator', async () => {
    const sc = scenario(`
horizon: 2s
clients:
  - name: a
    script:
      - call: PING
      - pipeline: [[SET, k, v], [GET, k], [QUIT], [PING]]
      - wait-closed: true
`);
    const r = await conformScenario(sc, parseConformanceConfig({ settle: '50ms' }), { redisBin: null, noRedisWhy: 'not installed' });
    expect(r.arms.map((a) => [a.arm, a.status])).toEqual([['sim', 'ran'], ['serve', 'ran'], ['redis', 'skipped']]);
    expect(r.comparisons.map((c) => [c.arm, c.against, c.mismatches.length])).toEqual([['serve', 'sim', 0]]);
    expect(r.passed).toBe(true);
    const serve = r.arms.find((a) => a.arm === 'serve')!;
    expect(serve.run!.clients[0]).toMatchObject({ replies: ['+PONG', '+OK', '$v', '+OK'], ended: 'eof' });
    expect(serve.timeline!.some((e) => e.kind === 'close' && e.client === 'a' && e.reason === 'quit')).toBe(true);
  });
});
