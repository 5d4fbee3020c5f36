import { describe, expect, it } from 'vitest';
import { ECONNREFUSED, ECONNRESET, ETIMEDOUT } from '../../src/base/errno.ts';
import { Firewall, parseCidr } from '../../src/kernel/firewall.ts';
import type { FirewallRuleSpec } from '../../src/kernel/types.ts';
import type { TimelineEvent } from '../../src/timeline/events.ts';
import { IP, PORT, SEC, connectPair, drain, link, listenOn, makeKernel, readNow, recordArrivals, runUntilTrue, startConnect } from './helpers.ts';

function rule(r: Partial<FirewallRuleSpec> & Pick<FirewallRuleSpec, 'action'>): FirewallRuleSpec {
  return { direction: 'in', atUs: 0, ...r };
}

function firewall(...rules: FirewallRuleSpec[]): Firewall {
  const fw = new Firewall();
  rules.forEach((r, i) => fw.install(i, r));
  return fw;
}

/** Whether a rule list drops an `in` packet from `ip` to port 6379. */
function drops(from: string, ip: string): boolean {
  return firewall(rule({ action: 'drop', from })).verdict(ip, PORT, 'in') !== null;
}

describe('address blocks', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['203.0.113.9', '203.0.113.9', true],
    ['203.0.113.9/32', '203.0.113.10', false],
    ['203.0.113.8/31', '203.0.113.9', true],
    ['203.0.113.8/31', '203.0.113.10', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '127.0.0.1', false],
    ['::1', '::1', true],
    ['::1/128', '::2', false],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', true],
    ['2001:db8::/64', '2001:db8:0:1::', false],
    ['::ffff:10.0.0.0/104', '::ffff:10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '::ffff:11.0.0.0', false],
  ] as const)('%s contains %s: %s', (from, ip, want) => {
    expect(drops(from, ip)).toBe(want);
  });

  it.each([
    ['10.0.0.1/8', /bits set after the first 8; the network is 10\.0\.0\.0\/8/],
    ['2001:db8::1/64', /the network is 2001:db8::\/64/],
    ['10.0.0.0/33', /from 0 to 32 for an IPv4 address/],
    ['::/129', /from 0 to 128 for an IPv6 address/],
    ['10.0.0.0/', /prefix length/],
    ['256.0.0.1', /not an IPv4 or IPv6 address/],
    ['10.0.0', /not an IPv4 or IPv6 address/],
    ['010.0.0.1', /not an IPv4 or IPv6 address/],
    ['fe80::1::2', /not an IPv4 or IPv6 address/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6 address/],
    ['localhost', /not an IPv4 or IPv6 address/],
  ])('%s is refused with a reason', (text, message) => {
    const r = parseCidr(text);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
  });

  it('a bare address is a /32 (IPv4) or /128 (IPv6)', () => {
    expect(parseCidr('10.1.2.3')).toEqual({ family: 4, bits: 0x0a010203n, prefix: 32 });
    expect(parseCidr('::1')).toEqual({ family: 6, bits: 1n, prefix: 128 });
  });
});

describe('rule order, port and direction', () => {
  it('the first matching rule wins: an allow before a drop lets its address through', () => {
    const fw = firewall(rule({ action: 'allow', from: '10.0.0.2' }), rule({ action: 'drop', from: '10.0.0.0/8' }));
    expect(fw.verdict('10.0.0.2', PORT, 'in')).toBeNull();
    expect(fw.verdict('10.0.0.3', PORT, 'in')).toEqual({ action: 'drop', rule: 1 });
  });

  it('the same rules in the other order drop the address the allow was for', () => {
    const fw = firewall(rule({ action: 'drop', from: '10.0.0.0/8' }), rule({ action: 'allow', from: '10.0.0.2' }));
    expect(fw.verdict('10.0.0.2', PORT, 'in')).toEqual({ action: 'drop', rule: 0 });
  });

  it('no matching rule allows', () => {
    expect(firewall(rule({ action: 'reject', from: '10.0.0.0/8' })).verdict('192.168.1.1', PORT, 'in')).toBeNull();
    expect(new Firewall().verdict('10.0.0.1', PORT, 'in')).toBeNull();
  });

  it('a rule with a port matches only connections to that server port', () => {
    const fw = firewall(rule({ action: 'reject', port: 6380 }));
    expect(fw.verdict('10.0.0.1', 6379, 'in')).toBeNull();
    expect(fw.verdict('10.0.0.1', 6380, 'in')).toEqual({ action: 'reject', rule: 0 });
  });

  it('an in rule judges client-to-server packets only, out the reverse, both either', () => {
    const inOnly = firewall(rule({ action: 'drop', direction: 'in' }));
    const outOnly = firewall(rule({ action: 'drop', direction: 'out' }));
    const both = firewall(rule({ action: 'drop', direction: 'both' }));
    expect([inOnly.verdict(IP, PORT, 'in') !== null, inOnly.verdict(IP, PORT, 'out') !== null]).toEqual([true, false]);
    expect([outOnly.verdict(IP, PORT, 'in') !== null, outOnly.verdict(IP, PORT, 'out') !== null]).toEqual([false, true]);
    expect([both.verdict(IP, PORT, 'in') !== null, both.verdict(IP, PORT, 'out') !== null]).toEqual([true, true]);
  });

  it('a rule installed later keeps its place in the list, and removing it restores the others', () => {
    const fw = new Firewall();
    fw.install(1, rule({ action: 'drop' }));
    fw.install(0, rule({ action: 'reject', from: '10.0.0.1' }));
    expect(fw.verdict('10.0.0.1', PORT, 'in')).toEqual({ action: 'reject', rule: 0 });
    expect(fw.remove(0)).toBe(true);
    expect(fw.remove(0)).toBe(false);
    expect(fw.verdict('10.0.0.1', PORT, 'in')).toEqual({ action: 'drop', rule: 1 });
  });
});

// ---- in the network ----------------------------------------------------------------------------

const LAT = 1000; // 1 ms one way

function world(rules: FirewallRuleSpec[], clientIp = '203.0.113.9') {
  const k = makeKernel();
  const lfd = listenOn(k.server);
  const client = k.kernel.createClientHost('c1', clientIp, link({ latencyUs: LAT }));
  k.kernel.setFirewall(rules);
  return { ...k, lfd, client };
}

function firewallEvents(events: readonly TimelineEvent[]) {
  return events.filter((e) => e.kind === 'firewall').map((e) => ({ t: e.t, client: e.client, ...(e as object) }));
}

describe('handshakes through the firewall', () => {
  it('a dropped SYN is resent at 1, 3, 7, 15, 31 and 63 s, each lost, and connect fails with ETIMEDOUT at 127 s', () => {
    const k = world([rule({ action: 'drop', from: '203.0.113.0/24' })]);
    const cfd = startConnect(k.client);
    const c = k.client.socketAt(cfd)!;
    expect(runUntilTrue(k.kernel, () => c.error !== 0)).toBe(127 * SEC);
    expect(c.error).toBe(ETIMEDOUT);
    const evs = k.recorder.events.filter((e) => e.kind === 'firewall');
    expect(evs.map((e) => e.t)).toEqual([0, 1, 3, 7, 15, 31, 63].map((s) => s * SEC + LAT));
    expect(evs[0]).toMatchObject({ client: 'c1', kind: 'firewall', action: 'drop', rule: 0, addr: '203.0.113.9:40000', port: PORT, dir: 'in' });
    expect(k.server.socketAt(k.lfd)!.acceptQueue).toHaveLength(0);
  });

  it('a rejected SYN is refused after one round trip (ECONNREFUSED at 2 × latency), with one event', () => {
    const k = world([rule({ action: 'reject', from: '203.0.113.9' })]);
    const cfd = startConnect(k.client);
    const c = k.client.socketAt(cfd)!;
    expect(runUntilTrue(k.kernel, () => c.error !== 0)).toBe(2 * LAT);
    expect(c.error).toBe(ECONNREFUSED);
    drain(k.kernel);
    expect(firewallEvents(k.recorder.events)).toHaveLength(1);
    expect(k.recorder.events.find((e) => e.kind === 'connect')).toMatchObject({ t: 2 * LAT, result: 'refused' });
  });

  it('a client outside the rule connects in one round trip as without a firewall', () => {
    const k = world([rule({ action: 'reject', from: '203.0.113.9' })], '203.0.113.10');
    const p = connectPair(k.kernel, k.server, k.lfd, k.client);
    expect(p.csock.state).toBe('established');
    expect(k.kernel.now).toBe(2 * LAT);
    expect(firewallEvents(k.recorder.events)).toEqual([]);
  });

  it.each(['drop', 'reject'] as const)('an out %s loses the SYN-ACK: the server never queues the connection and the client times out', (action) => {
    const k = world([rule({ action, direction: 'out' })]);
    const cfd = startConnect(k.client);
    const c = k.client.socketAt(cfd)!;
    expect(runUntilTrue(k.kernel, () => c.error !== 0)).toBe(127 * SEC);
    expect(c.error).toBe(ETIMEDOUT);
    expect(k.server.socketAt(k.lfd)!.acceptQueue).toHaveLength(0);
    const evs = k.recorder.events.filter((e) => e.kind === 'firewall');
    expect(evs).toHaveLength(7);
    expect(evs[0]).toMatchObject({ action, dir: 'out', t: LAT });
  });

  it('a rule that lets the SYN through but not its port leaves other ports alone', () => {
    const k = world([rule({ action: 'reject', port: 6380 })]);
    const p = connectPair(k.kernel, k.server, k.lfd, k.client);
    expect(p.csock.state).toBe('established');
  });

  it('with no rules the network has no firewall at all', () => {
    const k = world([]);
    expect(k.kernel.network.firewall).toBeNull();
  });
});

describe('rules installed on established connections', () => {
  /** A connected pair at t = 2 ms, then `rules` (with `at` after that) scheduled. */
  function established(rules: FirewallRuleSpec[]) {
    const k = world([]);
    const p = connectPair(k.kernel, k.server, k.lfd, k.client);
    expect(k.kernel.now).toBe(2 * LAT);
    k.kernel.setFirewall(rules);
    return { ...k, ...p };
  }

  it('a drop installed mid-run holds the client’s bytes; its removal releases them one latency later', () => {
    const k = established([rule({ action: 'drop', atUs: 10 * LAT, untilUs: 5 * SEC })]);
    k.kernel.sched.runUntil(20 * LAT);
    expect(k.client.write(k.cfd, [Buffer.from('held')])).toBe(4);
    expect(recordArrivals(k.kernel, k.ssock, 5 * SEC - 1)).toEqual([]);
    expect(k.csock.snd.length).toBe(4);
    expect(recordArrivals(k.kernel, k.ssock)).toEqual([[5 * SEC + LAT, 4]]);
    expect(readNow(k.server, k.sfd).data.toString()).toBe('held');
    const faults = k.recorder.events.filter((e) => e.kind === 'fault').map((e) => [e.t, (e as { fault: string }).fault]);
    expect(faults).toEqual([[10 * LAT, 'firewall-rule'], [5 * SEC, 'firewall-rule-removed']]);
    // One event for the hold, however often the sender tried to pump.
    expect(firewallEvents(k.recorder.events)).toMatchObject([{ t: 20 * LAT, action: 'drop', dir: 'in' }]);
  });

  it('an in drop does not hold the server’s replies', () => {
    const k = established([rule({ action: 'drop', atUs: 10 * LAT })]);
    k.kernel.sched.runUntil(20 * LAT);
    k.server.write(k.sfd, [Buffer.from('pong')]);
    expect(recordArrivals(k.kernel, k.csock)).toEqual([[21 * LAT, 4]]);
  });

  it('an in reject answers the client’s next packet with a RST: the client fails with ECONNRESET one round trip later, the server learns nothing', () => {
    const k = established([rule({ action: 'reject', atUs: 10 * LAT })]);
    k.kernel.sched.runUntil(20 * LAT);
    k.client.write(k.cfd, [Buffer.from('GET k')]);
    expect(runUntilTrue(k.kernel, () => k.csock.error !== 0)).toBe(22 * LAT);
    expect(k.csock.error).toBe(ECONNRESET);
    drain(k.kernel, 30 * SEC);
    expect(k.ssock.error).toBe(0);
    expect(k.ssock.state).toBe('established');
    expect(k.ssock.rcv.length).toBe(0);
    expect(firewallEvents(k.recorder.events)).toMatchObject([{ t: 20 * LAT, action: 'reject', dir: 'in', rule: 0 }]);
  });

  it('an out reject resets the server’s socket at once when it writes; the client learns nothing', () => {
    const k = established([rule({ action: 'reject', direction: 'out', atUs: 10 * LAT })]);
    k.kernel.sched.runUntil(20 * LAT);
    k.server.write(k.sfd, [Buffer.from('+PONG\r\n')]);
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(20 * LAT);
    expect(k.ssock.error).toBe(ECONNRESET);
    drain(k.kernel, 30 * SEC);
    expect(k.csock.error).toBe(0);
    expect(k.csock.rcv.length).toBe(0);
  });

  it('an idle connection sees nothing when a rule is installed: only a packet is judged', () => {
    const k = established([rule({ action: 'reject', direction: 'both', atUs: 10 * LAT })]);
    drain(k.kernel, 30 * SEC);
    expect(k.csock.error).toBe(0);
    expect(k.ssock.error).toBe(0);
    expect(firewallEvents(k.recorder.events)).toEqual([]);
  });

  it('a drop on either direction makes the peer unreachable for keepalive', () => {
    const k = established([rule({ action: 'drop', atUs: 10 * LAT })]);
    k.server.setsockopt(k.sfd, 'SO_KEEPALIVE', 1);
    k.server.setsockopt(k.sfd, 'TCP_KEEPIDLE', 10);
    k.server.setsockopt(k.sfd, 'TCP_KEEPINTVL', 1);
    k.server.setsockopt(k.sfd, 'TCP_KEEPCNT', 3);
    const at = runUntilTrue(k.kernel, () => k.ssock.error !== 0, 60 * SEC);
    expect(k.ssock.error).toBe(ETIMEDOUT);
    // Last heard from the client when its SYN arrived (1 ms); 10 s idle, then 3 probes 1 s apart.
    expect(at).toBe(LAT + 13 * SEC);
  });
});
