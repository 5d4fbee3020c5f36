// The read path: one read per readable event, every buffered command in order, protocol errors
// answered then closed, the query-buffer limit on virtual bytes, the HTTP guard, read-policy.
import { describe, expect, it } from 'vitest';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

const one = (script: string, server = '', horizon = '5s') => runYaml(`
horizon: ${horizon}
${server}
clients:
  - name: c1
    script:
${script}
`);

describe('protocol errors', () => {
  it('earlier commands of the same read run, the error is written, then the connection closes', () => {
    const r = one(`      - raw: "PING\\r\\nPING\\r\\n*abc\\r\\nPING\\r\\n"\n      - wait-closed: true`);
    expect(repliesOf(r, 'c1')).toEqual(['+PONG', '+PONG', '-ERR Protocol error: invalid multibulk length']);
    expect(closeOf(r, 'c1')).toMatchObject({ kind: 'close', reason: 'protocol-error' });
    expect(r.clients[0]!.ended).toBe('eof');
    expect(logLines(r).some((l) => l.startsWith('Protocol error (invalid mbulk count) from client: id=3 addr=127.0.0.1:') && l.endsWith("Query buffer during protocol error: '*abc..PING..'"))).toBe(true);
  });

  it('an inline request of 65536 bytes without newline waits; one byte more is an error', () => {
    const ok = one(`      - raw: [{fill: 65536}]\n      - wait: 100ms`);
    expect(closeOf(ok, 'c1')).toBeUndefined();
    const bad = one(`      - raw: [{fill: 65537}]\n      - wait-closed: true`);
    expect(repliesOf(bad, 'c1')).toEqual(['-ERR Protocol error: too big inline request']);
    expect(closeOf(bad, 'c1')).toMatchObject({ reason: 'protocol-error' });
  });

  it('an unauthenticated client may send 10 arguments but not 11', () => {
    const args = (n: number) => `[${Array.from({ length: n }, (_, i) => (i === 0 ? 'PING' : 'x')).join(', ')}]`;
    const ten = one(`      - call: ${args(10)}`, 'server: {config: {requirepass: secret}}');
    expect(repliesOf(ten, 'c1')).toEqual(['-NOAUTH Authentication required.']);
    const eleven = one(`      - call: ${args(11)}\n      - wait-closed: true`, 'server: {config: {requirepass: secret}}');
    expect(repliesOf(eleven, 'c1')).toEqual(['-ERR Protocol error: unauthenticated multibulk length']);
  });

  it('an unauthenticated client may send a 16384-byte bulk but not 16385', () => {
    const ok = one(`      - call: [ECHO, {fill: 16384}]`, 'server: {config: {requirepass: secret}}');
    expect(repliesOf(ok, 'c1')).toEqual(['-NOAUTH Authentication required.']);
    const bad = one(`      - call: [ECHO, {fill: 16385}]\n      - wait-closed: true`, 'server: {config: {requirepass: secret}}');
    expect(repliesOf(bad, 'c1')).toEqual(['-ERR Protocol error: unauthenticated bulk length']);
  });

  it('the unknown-command error comes before NOAUTH', () => {
    const r = one(`      - call: FOO\n      - call: [GET]\n      - call: PING`, 'server: {config: {requirepass: secret}}');
    expect(repliesOf(r, 'c1')).toEqual([
      "-ERR unknown command 'FOO', with args beginning with: ",
      "-ERR wrong number of arguments for 'get' command",
      '-NOAUTH Authentication required.',
    ]);
  });
});

describe('the HTTP guard', () => {
  it('POST closes the connection without a reply, discarding replies of the same read', () => {
    const r = one(`      - raw: "PING\\r\\nPOST / HTTP/1.1\\r\\nPING\\r\\n"\n      - wait-closed: true`);
    expect(repliesOf(r, 'c1')).toEqual([]);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'security' });
    expect(logLines(r).some((l) => l.startsWith('Possible SECURITY ATTACK detected.'))).toBe(true);
  });

  it('a Host: header line is treated the same way', () => {
    const r = one(`      - raw: "GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"\n      - wait-closed: true`);
    // GET / HTTP/1.1 is an unknown command, but its reply is dropped: the client is freed at the
    // end of the same read, before beforeSleep writes.
    expect(repliesOf(r, 'c1')).toEqual([]);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'security' });
  });
});

describe('query buffer limit', () => {
  const bulk = (n: number) => `      - raw: ["*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$2000000\\r\\n", {fill: ${n}}]\n      - wait: 200ms`;
  const server = 'server: {config: {client-query-buffer-limit: 1mb}}';

  it('a query buffer exactly at the limit is kept', () => {
    const r = one(bulk(1048576), server);
    expect(closeOf(r, 'c1')).toBeUndefined();
    expect(r.events.filter((e) => e.kind === 'read').at(-1)).toMatchObject({ qbuf: 1048576 });
  });

  it('one byte over the limit closes the client silently, with the warning Redis logs', () => {
    const r = one(bulk(1048577), server);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'querybuf-limit' });
    expect(repliesOf(r, 'c1')).toEqual([]);
    expect(logLines(r).some((l) => /^Closing client that reached max query buffer length: id=3 .* \(qbuf initial bytes: "x+"\)$/.test(l))).toBe(true);
  });

  it('a 1 GB argument reaches the default 1 GB limit without allocating a gigabyte', () => {
    const before = process.memoryUsage().rss;
    const r = one(`      - send: [SET, k, {fill: 1100mb}]\n      - wait-closed: true`, 'server: {config: {proto-max-bulk-len: 2gb}}', '60s');
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'querybuf-limit' });
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
  });
});

describe('read sizes', () => {
  it('the first read of a connection is at most 16 KiB, later reads up to the buffer free space', () => {
    const r = one(`      - stop-reading: true\n      - pipeline: {commands: [[ECHO, {fill: 100}]], repeat: 2000}\n      - wait: 100ms`);
    const reads = r.events.flatMap((e) => (e.kind === 'read' ? [e.bytes] : []));
    expect(reads[0]).toBe(16384);
    expect(Math.max(...reads.slice(1))).toBeGreaterThan(16384);
  });

  it('a big bulk argument is read up to its end in one go', () => {
    const r = one(`      - send: [ECHO, {fill: 100000}]\n      - wait-replies: 1`, 'network: {rcvbuf: 1mb, sndbuf: 1mb}');
    const reads = r.events.flatMap((e) => (e.kind === 'read' ? [e.bytes] : []));
    expect(reads[0]).toBe(16384);
    // After the header is parsed the read asks for exactly the bytes the bulk still misses.
    const header = '*2\r\n$4\r\nECHO\r\n$100000\r\n'.length;
    expect(reads.reduce((a, b) => a + b, 0)).toBe(header + 100000 + 2);
    expect(reads.length).toBe(2);
  });
});

describe('read policy', () => {
  const heavy = (policy: string) => runYaml(`
horizon: 5s
server: {config: {read-policy: ${policy}}, cost: {command: 10us, byte: 0}}
network: {rcvbuf: 4mb, sndbuf: 4mb}
clients:
  - name: heavy
    script:
      - pipeline: {commands: [[PING]], repeat: 20000}
      - wait-replies: 20000
  - name: light
    connect-at: 1ms
    script:
      - wait: 1ms
      - call: PING
`);

  it('with one read per event a light client waits for at most one read of the heavy client', () => {
    const r = heavy('single');
    const sent = 2000; // light sends at 2 ms
    const reply = r.events.find((e) => e.kind === 'client' && e.client === 'light' && e.what === 'reply')!;
    // One 16 KiB-ish read holds ~1200-1500 PINGs of 14 bytes: about 15 ms of work at 10 us each.
    expect(reply.t - sent).toBeLessThan(40_000);
  });

  it('with read-until-EAGAIN the light client waits for the whole pipeline', () => {
    const r = heavy('drain');
    const reply = r.events.find((e) => e.kind === 'client' && e.client === 'light' && e.what === 'reply')!;
    expect(reply.t - 2000).toBeGreaterThan(100_000);
  });
});
