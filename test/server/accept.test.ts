// The accept path and client limits: admission before any client exists, the fd-derived
// maxclients with Redis's log lines, EMFILE on accept, and the 2.4 policy switch.
import { describe, expect, it } from 'vitest';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

const clients = (n: number, extra = '') => `
clients:
  - name: c
    count: ${n}
    script:
      - call: PING
      - wait: 500ms
${extra}`;

describe('accept and maxclients', () => {
  it('a connection at maxclients receives the error, then EOF, and uses no client id', () => {
    const r = runYaml(`horizon: 2s\nserver: {config: {maxclients: 2}}\n${clients(3)}`);
    expect(repliesOf(r, 'c-1')).toEqual(['+PONG']);
    expect(repliesOf(r, 'c-3')).toEqual(['-ERR max number of clients reached']);
    expect(r.clients.find((c) => c.name === 'c-3')!.ended).toBe('eof');
    expect(closeOf(r, 'c-3')).toMatchObject({ kind: 'reject', reason: 'maxclients' });
    const ids = r.events.flatMap((e) => (e.kind === 'accept' ? [e.id] : []));
    expect(ids).toEqual([3, 4]);
  });

  it('exactly maxclients clients are served (the check is >=, not >)', () => {
    const r = runYaml(`horizon: 2s\nserver: {config: {maxclients: 3}}\n${clients(3)}`);
    for (const n of ['c-1', 'c-2', 'c-3']) expect(repliesOf(r, n)).toEqual(['+PONG']);
    expect(r.events.some((e) => e.kind === 'reject')).toBe(false);
  });

  it('the refused connection is still logged as Accepted, as Redis logs it before admission', () => {
    const r = runYaml(`horizon: 2s\nserver: {config: {maxclients: 1}}\n${clients(2)}`);
    expect(logLines(r).filter((l) => l.startsWith('Accepted 127.0.0.1:'))).toHaveLength(2);
  });

  it('a client freed makes room for the next one', () => {
    const r = runYaml(`
horizon: 3s
server: {config: {maxclients: 1}}
clients:
  - name: first
    script: [{call: PING}, {send: QUIT}, {wait-closed: true}]
  - name: second
    connect-at: 1s
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'second')).toEqual(['+PONG']);
  });

  it('raises the fd limit to maxclients + 32 when the hard limit allows, and says so', () => {
    const r = runYaml(`horizon: 1s\nserver: {nofile: {soft: 1024, hard: 20000}}\nclients: []`);
    expect(logLines(r)).toContain('Increased maximum number of open files to 10032 (it was originally set to 1024).');
  });

  it('lowers maxclients to the fd limit minus 32 with the three warnings Redis logs', () => {
    const r = runYaml(`horizon: 1s\nserver: {nofile: {soft: 1024, hard: 1024}}\nclients: []`);
    const lines = logLines(r);
    expect(lines).toContain('You requested maxclients of 10000 requiring at least 10032 max file descriptors.');
    expect(lines).toContain("Server can't set maximum open files to 10032 because of OS error: Operation not permitted.");
    expect(lines).toContain("Current maximum open files is 1024. maxclients has been reduced to 992 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
  });

  it('steps down by 16 from the wanted limit and settles on the largest value the hard limit allows', () => {
    const r = runYaml(`horizon: 1s\nserver: {nofile: {soft: 1024, hard: 5000}}\nclients: []`);
    // 10032, 10016, … in steps of 16: the first value <= 5000 is 4992.
    expect(logLines(r)).toContain("Current maximum open files is 4992. maxclients has been reduced to 4960 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
  });

  it('refuses to start when the fd limit leaves no room for clients', () => {
    const r = runYaml(`horizon: 1s\nserver: {nofile: {soft: 20, hard: 20}}\nclients: [{name: c, script: [{call: PING}]}]`);
    expect(r.serverExit).toBe(1);
    expect(logLines(r)).toContain("Your current 'ulimit -n' of 20 is not enough for the server to start. Please increase your open file limit to at least 10032. Exiting.");
    expect(r.clients[0]!.ended).toBe('refused');
  });

  it('with the fd-derived limit, clients beyond it are refused with the error (fd soft limit 40)', () => {
    const r = runYaml(`horizon: 2s\nserver: {nofile: {soft: 40, hard: 40}}\n${clients(10)}`);
    // maxclients = 40 - 32 = 8.
    const refused = r.events.filter((e) => e.kind === 'reject').length;
    expect(refused).toBe(2);
    expect(logLines(r)).toContain("Current maximum open files is 40. maxclients has been reduced to 8 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
  });

  it('with the 2.4 policy the fd limit is not consulted: accept fails with EMFILE, is logged, and the server keeps serving', () => {
    const r = runYaml(`
horizon: 3s
server: {nofile: {soft: 11, hard: 11}, config: {client-limit-policy: "2.4", maxclients: 100}}
clients:
  - name: c
    count: 6
    script: [{call: PING}, {wait: 5ms}, {send: QUIT}, {wait-closed: true}]
`);
    // fds 0-2, 3-5 (module pipe, epoll), the listener at 6: four client fds fit (7..10); the
    // fifth and sixth wait for EMFILE to clear.
    expect(logLines(r)).toContain('Accepting client connection: Too many open files');
    expect(r.events.some((e) => e.kind === 'reject')).toBe(false);
    for (let i = 1; i <= 6; i++) expect(repliesOf(r, `c-${i}`)).toEqual(['+PONG', '+OK']);
  });
});

describe('accepts per readable event', () => {
  it('one readable event on the listener accepts at most 1000 connections', () => {
    const r = runYaml(`
horizon: 2s
server: {config: {tcp-backlog: 4096}}
clients:
  - name: c
    count: 1500
    script: [{call: PING}, {wait: 500ms}]
`);
    const byTime = new Map<number, number>();
    for (const e of r.events) if (e.kind === 'accept') byTime.set(e.t, (byTime.get(e.t) ?? 0) + 1);
    const rounds = [...byTime.values()];
    // The first SYN wakes the server alone; the other 1499 queue meanwhile: rounds of 1, 1000, 499.
    expect(Math.max(...rounds)).toBe(1000);
    expect(rounds).toContain(499);
    expect(rounds.reduce((a, b) => a + b, 0)).toBe(1500);
  });
});
