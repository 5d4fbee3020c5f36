import { describe, expect, it } from 'vitest';
import { EAGAIN, ECONNRESET, ETIMEDOUT } from '../../src/base/errno.ts';
import {
  TCP_KEEPCNT_DEFAULT, TCP_KEEPIDLE_DEFAULT, TCP_KEEPINTVL_DEFAULT,
} from '../../src/kernel/socket.ts';
import { IP, SEC, connectPair, drain, link, listenOn, makeKernel, runUntilTrue } from './helpers.ts';

/**
 * A connected pair whose last exchange ends at 200 µs: the client's "ping" reaches the server at
 * 150 µs and the server's "pong" is acknowledged at 200 µs (50 µs each way).
 */
function quietPair(horizonUs = 24 * 3600 * SEC) {
  const k = makeKernel({ horizonUs });
  const lfd = listenOn(k.server);
  const client = k.kernel.createClientHost('c1', IP, link({ latencyUs: 50 }));
  const p = connectPair(k.kernel, k.server, lfd, client);
  client.write(p.cfd, [Buffer.from('ping')]);
  runUntilTrue(k.kernel, () => p.ssock.rcv.length === 4);
  k.server.read(p.sfd, 100);
  k.server.write(p.sfd, [Buffer.from('pong')]);
  runUntilTrue(k.kernel, () => p.csock.rcv.length === 4);
  client.read(p.cfd, 100);
  expect(k.kernel.now).toBe(200);
  expect(p.ssock.lastHeardUs).toBe(200);
  return { ...k, client, ...p };
}

function setKeepalive(k: ReturnType<typeof quietPair>, idle: number, intvl: number, cnt: number) {
  expect(k.server.setsockopt(k.sfd, 'SO_KEEPALIVE', 1)).toBe(0);
  expect(k.server.setsockopt(k.sfd, 'TCP_KEEPIDLE', idle)).toBe(0);
  expect(k.server.setsockopt(k.sfd, 'TCP_KEEPINTVL', intvl)).toBe(0);
  expect(k.server.setsockopt(k.sfd, 'TCP_KEEPCNT', cnt)).toBe(0);
}

describe('keepalive', () => {
  it('a vanished peer is detected idle + intvl*cnt seconds after it was last heard, and read fails with ETIMEDOUT', () => {
    const k = quietPair();
    setKeepalive(k, 10, 2, 3);
    k.kernel.sched.runUntil(SEC);
    k.kernel.vanish(k.client);
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(200 + 10 * SEC + 2 * 3 * SEC);
    expect(k.ssock.error).toBe(ETIMEDOUT);
    expect(k.server.read(k.sfd, 100)).toBe(-ETIMEDOUT);
  });

  it('poll on the server wakes exactly at the keepalive detection time with the fd readable', () => {
    const k = quietPair();
    setKeepalive(k, 60, 5, 4);
    k.kernel.vanish(k.client);
    k.server.pollAdd(k.sfd, 1);
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([{ fd: k.sfd, mask: 1 }]);
    expect(k.kernel.now).toBe(200 + 60 * SEC + 20 * SEC);
  });

  it('SO_KEEPALIVE alone uses the Linux defaults: 7200 s idle, then 9 probes 75 s apart', () => {
    const k = quietPair();
    expect(k.server.setsockopt(k.sfd, 'SO_KEEPALIVE', 1)).toBe(0);
    k.kernel.vanish(k.client);
    const at = runUntilTrue(k.kernel, () => k.ssock.error !== 0, 3 * 3600 * SEC);
    expect([TCP_KEEPIDLE_DEFAULT, TCP_KEEPINTVL_DEFAULT, TCP_KEEPCNT_DEFAULT]).toEqual([7200, 75, 9]);
    expect(at).toBe(200 + 7200 * SEC + 75 * 9 * SEC);
  });

  it('keepalive options set after the peer vanished still detect it on time', () => {
    const k = quietPair();
    k.kernel.sched.runUntil(3 * SEC);
    k.kernel.vanish(k.client);
    setKeepalive(k, 10, 1, 5);
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(200 + 15 * SEC);
  });

  it('data heard from the peer postpones detection to idle + intvl*cnt after the last byte', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 2);
    // The client sends something every 8 s for a while, then vanishes.
    let last = 0;
    for (let t = 8; t <= 40; t += 8) {
      k.kernel.sched.runUntil(t * SEC);
      k.client.write(k.cfd, [Buffer.from('x')]);
      last = runUntilTrue(k.kernel, () => k.ssock.rcv.length > 0);
      k.server.read(k.sfd, 10);
    }
    expect(k.ssock.error).toBe(0);
    expect(last).toBe(40 * SEC + 50);
    k.kernel.vanish(k.client);
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(last + 12 * SEC);
  });

  it('bytes still on the wire when the peer vanishes are never acknowledged, so detection is not postponed', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 3);
    k.kernel.sched.runUntil(SEC);
    k.server.write(k.sfd, [Buffer.from('in flight')]);
    k.kernel.sched.runUntil(SEC + 10);
    k.kernel.vanish(k.client); // 40 µs before the bytes arrive
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(200 + 13 * SEC);
  });

  it('a vanished peer without keepalive leaves the socket open until the horizon', () => {
    const horizon = 48 * 3600 * SEC;
    const k = quietPair(horizon);
    k.kernel.vanish(k.client);
    k.kernel.programsDone = () => false; // keep time passing to the horizon
    k.server.pollAdd(k.sfd, 1);
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([]);
    expect(k.kernel.stopped).toBe('horizon');
    expect(k.kernel.now).toBe(horizon);
    expect(k.ssock.error).toBe(0);
    expect(k.ssock.state).toBe('established');
    expect(k.server.read(k.sfd, 10)).toBe(-EAGAIN);
  });

  it('a reachable idle peer is never timed out, and its probes do not keep the run alive', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 1);
    expect(k.kernel.sched.settled).toBe(true); // the keepalive timer is background work
    k.kernel.sched.runUntil(10 * 3600 * SEC);
    expect(k.ssock.error).toBe(0);
    expect(k.server.read(k.sfd, 10)).toBe(-EAGAIN);
    expect(k.kernel.sched.peekTime()).toBeDefined(); // still probing
    k.server.pollAdd(k.sfd, 1);
    const t = k.kernel.now;
    expect(k.kernel.pollBlocking(k.server, null)).toEqual([]);
    expect(k.kernel.stopped).toBe('settled');
    expect(k.kernel.now).toBe(t);
  });

  it('an unreachable peer makes the keepalive timer foreground work', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 1);
    expect(k.kernel.sched.settled).toBe(true);
    k.kernel.vanish(k.client);
    expect(k.kernel.sched.settled).toBe(false);
    drain(k.kernel);
    expect(k.ssock.error).toBe(ETIMEDOUT);
    expect(k.kernel.sched.settled).toBe(true);
  });

  it('a peer that closed with bytes still queued and then vanished is detected as foreground work', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 2);
    // The server does not read: the client's close leaves bytes (and its FIN) queued behind the window.
    k.server.setsockopt(k.sfd, 'SO_RCVBUF', 1000);
    expect(k.client.write(k.cfd, [Buffer.alloc(5000)])).toBe(5000);
    drain(k.kernel, k.kernel.now + SEC);
    k.client.close(k.cfd);
    expect(k.client.socketAt(k.cfd)).toBeUndefined();
    const heard = k.ssock.lastHeardUs;
    k.kernel.vanish(k.client);
    expect(k.kernel.sched.settled).toBe(false);
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(heard + 12 * SEC);
  });

  it('a partition lasting past idle + intvl*cnt times the connection out', () => {
    const k = quietPair();
    setKeepalive(k, 10, 2, 3);
    k.kernel.sched.runUntil(SEC);
    k.kernel.applyFault({ atUs: SEC, client: 'c1', kind: 'partition', direction: 'both', durationUs: 60 * SEC });
    expect(runUntilTrue(k.kernel, () => k.ssock.error !== 0)).toBe(200 + 16 * SEC);
  });

  it('a partition healed before the last probe leaves the connection alive', () => {
    const k = quietPair();
    setKeepalive(k, 10, 2, 3);
    k.kernel.applyFault({ atUs: 0, client: 'c1', kind: 'partition', direction: 'both', durationUs: 13 * SEC });
    drain(k.kernel, 3600 * SEC);
    expect(k.ssock.error).toBe(0);
    expect(k.kernel.sched.settled).toBe(true);
  });

  it('turning SO_KEEPALIVE off cancels detection', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 1);
    k.kernel.vanish(k.client);
    expect(k.server.setsockopt(k.sfd, 'SO_KEEPALIVE', 0)).toBe(0);
    drain(k.kernel, 3600 * SEC);
    expect(k.ssock.error).toBe(0);
  });

  it('keepalive intervals below one second are rejected with EINVAL', () => {
    const k = quietPair();
    expect(k.server.setsockopt(k.sfd, 'TCP_KEEPIDLE', 0)).toBe(-22);
    expect(k.server.setsockopt(k.sfd, 'TCP_KEEPINTVL', 0)).toBe(-22);
    expect(k.server.setsockopt(k.sfd, 'TCP_KEEPCNT', 0)).toBe(-22);
    expect(k.server.setsockopt(k.sfd, 'SO_NOSUCHOPT', 1)).toBe(-22);
  });

  it('closing a socket with unread input whose peer vanished leaves no keepalive timer keeping the run alive', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 1);
    k.client.write(k.cfd, [Buffer.from('unread')]);
    runUntilTrue(k.kernel, () => k.ssock.rcv.length === 6);
    k.kernel.vanish(k.client);
    expect(k.kernel.sched.settled).toBe(false);
    k.server.close(k.sfd); // unread input: abort
    expect(k.kernel.sched.settled).toBe(true);
  });

  it('a reset socket whose peer vanished leaves no keepalive timer keeping the run alive', () => {
    const k = quietPair();
    setKeepalive(k, 10, 1, 1);
    k.kernel.vanish(k.client);
    k.kernel.applyFault({ atUs: k.kernel.now, client: 'c1', kind: 'rst', toward: 'server' });
    expect(k.server.read(k.sfd, 10)).toBe(-ECONNRESET);
    expect(k.kernel.sched.settled).toBe(true);
  });
});
