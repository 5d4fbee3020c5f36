// TLS on the tls-port (tls.c's server side over the virtual TLS library): the handshake before the
// first command, tls-auth-clients, handshake failures with Redis's log lines, pending decrypted
// data processed in beforeSleep, maxclients dropping TLS connections silently, and the counters.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { WIRE } from '../../src/tls/wire.ts';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

const TLS_CONFIG = `
    tls-port: 6380
    tls-cert-file: redis.crt
    tls-key-file: redis.key
    tls-ca-cert-file: ca.crt`;

/** A run with TLS configured (plus `config` lines) and the given clients. */
function tlsRun(clients: string, config = '', horizon = '2s'): RunResult {
  return runYaml(`
horizon: ${horizon}
server:
  config:${TLS_CONFIG}${config}
clients:
${clients}
`);
}

const events = (r: RunResult, name: string) => r.events.filter((e) => e.client === name);
const tlsEvent = (r: RunResult, name: string) => events(r, name).find((e) => e.kind === 'tls');
const clientSaw = (r: RunResult, name: string, what: string) => events(r, name).find((e) => e.kind === 'client' && e.what === what);

describe('TLS handshake', () => {
  it('a client with a valid certificate is served after a 1-RTT handshake', () => {
    const r = tlsRun(`  - {name: secure, tls: true, script: [{call: PING}]}`);
    expect(repliesOf(r, 'secure')).toEqual(['+PONG']);
    expect(tlsEvent(r, 'secure')).toMatchObject({ what: 'handshake-done', id: 3 });
    // The first command is read only after the handshake.
    const done = tlsEvent(r, 'secure')!.t;
    const cmd = events(r, 'secure').find((e) => e.kind === 'command')!;
    expect(cmd.t).toBeGreaterThan(done);
  });

  it('the handshake costs round trips and server CPU: PING over TLS answers later than over TCP', () => {
    const r = tlsRun(`
  - {name: plain, script: [{call: PING}]}
  - {name: secure, tls: true, script: [{call: PING}]}`);
    const at = (n: string) => events(r, n).find((e) => e.kind === 'client' && e.what === 'reply')!.t;
    // Default link: 50 µs each way; TCP: connect (100) + PING round trip (≈ 100). TLS adds a round
    // trip and the 700 µs handshake.
    expect(at('plain')).toBeLessThan(300);
    expect(at('secure') - at('plain')).toBeGreaterThanOrEqual(700 + 100);
  });

  it('server.cost.tls-handshake sets the CPU of a handshake', () => {
    const run = (us: number) => runYaml(`
horizon: 1s
server:
  cost: {tls-handshake: ${us}us}
  config:${TLS_CONFIG}
clients:
  - {name: secure, tls: true, script: [{call: PING}]}
`);
    const at = (r: RunResult) => clientSaw(r, 'secure', 'reply')!.t;
    expect(at(run(5000)) - at(run(1000))).toBe(4000);
  });

  it('the core reads plaintext while the wire carries the handshake and 22 bytes per record', () => {
    let wire = 0;
    const r = runYaml(`
horizon: 1s
server:
  config:${TLS_CONFIG}
clients:
  - {name: secure, tls: true, script: [{call: PING}]}
`, {}, {
      onClientHost: (host) => {
        const write = host.write.bind(host);
        host.write = (fd, data, max, immutable) => {
          const n = write(fd, data, max, immutable);
          if (n > 0) wire += n;
          return n;
        };
      },
    });
    expect(events(r, 'secure').find((e) => e.kind === 'read')).toMatchObject({ bytes: 14 });
    // ClientHello, the client's Finished with its certificate, then PING: 14 bytes + 22.
    expect(wire).toBe(WIRE.clientHello + WIRE.clientFinishedCert + 14 + 22);
  });
});

describe('tls-auth-clients', () => {
  const cases = (auth: string) => tlsRun(`
  - {name: none, tls: {cert: none}, script: [{call: PING}]}
  - {name: untrusted, tls: {cert: untrusted}, connect-at: 1ms, script: [{call: PING}]}
  - {name: expired, tls: {cert: expired}, connect-at: 2ms, script: [{call: PING}]}
  - {name: valid, tls: true, connect-at: 3ms, script: [{call: PING}]}
  - {name: admin, connect-at: 10ms, script: [{call: [INFO, stats]}]}`, `\n    tls-auth-clients: ${auth}`);

  it('yes (the default): a client without a certificate is refused, with the reason in the timeline and the log', () => {
    const r = cases('yes');
    const why = 'error:0A0000C7:SSL routines::peer did not return a certificate';
    expect(tlsEvent(r, 'none')).toMatchObject({ what: 'handshake-failed', detail: why });
    expect(closeOf(r, 'none')).toMatchObject({ kind: 'close', reason: 'tls-handshake', detail: why });
    expect(logLines(r)).toContain(`Error accepting a client connection: ${why}`);
    expect(repliesOf(r, 'none')).toEqual([]);
    // TLS 1.3: the client finished its side of the handshake before learning it was refused.
    expect(clientSaw(r, 'none', 'tls-handshake-done')).toBeDefined();
    // … and reads the alert that the server sent before its RST.
    expect(clientSaw(r, 'none', 'tls-error')).toMatchObject({ detail: 'error:0A00045C:SSL routines::tlsv13 alert certificate required' });
    expect(repliesOf(r, 'valid')).toEqual(['+PONG']);
  });

  it('yes: untrusted and expired certificates fail verification', () => {
    const r = cases('yes');
    for (const n of ['untrusted', 'expired']) {
      expect(closeOf(r, n)).toMatchObject({ reason: 'tls-handshake', detail: 'error:0A000086:SSL routines::certificate verify failed' });
    }
  });

  it('refused handshakes count neither as connections received nor as rejected connections', () => {
    const info = repliesOf(cases('yes'), 'admin')[0]!;
    expect(info).toMatch(/total_connections_received:2\\r\\n/); // valid + admin
    expect(info).toMatch(/rejected_connections:0\\r\\n/);
  });

  it('optional: no certificate is fine, a bad one is still refused', () => {
    const r = cases('optional');
    expect(repliesOf(r, 'none')).toEqual(['+PONG']);
    expect(closeOf(r, 'untrusted')).toMatchObject({ reason: 'tls-handshake' });
    expect(closeOf(r, 'expired')).toMatchObject({ reason: 'tls-handshake' });
  });

  it('no: no certificate is asked for, so every client is served', () => {
    const r = cases('no');
    for (const n of ['none', 'untrusted', 'expired', 'valid']) expect(repliesOf(r, n)).toEqual(['+PONG']);
  });
});

describe('broken handshakes', () => {
  it('garbage instead of a ClientHello: wrong version number, or http request for an HTTP client', () => {
    const r = tlsRun(`
  - {name: resp, connect-port: 6380, script: [{raw: "*1\\r\\n$4\\r\\nPING\\r\\n"}]}
  - {name: http, connect-port: 6380, connect-at: 1ms, script: [{raw: "GET / HTTP/1.1\\r\\n\\r\\n"}]}
  - {name: fine, tls: true, connect-at: 2ms, script: [{call: PING}]}`);
    expect(closeOf(r, 'resp')).toMatchObject({ reason: 'tls-handshake', detail: 'error:0A00010B:SSL routines::wrong version number' });
    expect(closeOf(r, 'http')).toMatchObject({ reason: 'tls-handshake', detail: 'error:0A00009C:SSL routines::http request' });
    expect(repliesOf(r, 'resp')).toEqual([]);
    expect(repliesOf(r, 'fine')).toEqual(['+PONG']);
  });

  it('a handshake cut off midway is an unexpected EOF; an abort with unread data is a reset', () => {
    const r = tlsRun(`
  - {name: half, tls: {cut-handshake: half-hello}}
  - {name: after, tls: {cut-handshake: after-hello}, connect-at: 1ms}
  - {name: fine, tls: true, connect-at: 2ms, script: [{call: PING}]}`);
    expect(closeOf(r, 'half')).toMatchObject({ reason: 'tls-handshake', detail: 'error:0A000126:SSL routines::unexpected eof while reading' });
    expect(closeOf(r, 'after')).toMatchObject({ reason: 'tls-handshake', detail: 'Connection reset by peer' });
    expect(repliesOf(r, 'fine')).toEqual(['+PONG']);
  });

  it('a client that does not trust the server aborts with unknown_ca, which the server logs', () => {
    const r = tlsRun(`  - {name: wary, tls: {trust-server: false}, script: [{call: PING}]}`);
    expect(closeOf(r, 'wary')).toMatchObject({ reason: 'tls-handshake', detail: 'error:0A000418:SSL routines::tlsv1 alert unknown ca' });
    expect(clientSaw(r, 'wary', 'tls-error')).toMatchObject({ detail: 'error:0A000086:SSL routines::certificate verify failed' });
  });

  it('an idle timeout closes a client stuck mid-handshake', () => {
    const r = tlsRun(`  - {name: silent, connect-port: 6380, script: [{wait: 5s}]}`, '\n    timeout: 2', '6s');
    expect(closeOf(r, 'silent')).toMatchObject({ reason: 'idle-timeout' });
  });
});

describe('TLS after the handshake', () => {
  it('decrypted data left in the TLS layer is processed in beforeSleep, without the socket being readable', () => {
    // The last record holds the end of a big argument and a PING: the read sized to the missing
    // bytes leaves the PING inside the TLS layer (SSL_pending).
    const yaml = `
horizon: 1s
server:
  config:${TLS_CONFIG}
clients:
  - name: secure
    tls: true
    script:
      - pipeline: {commands: [[SET, k, {fill: 40000}], [PING]]}
      - wait-replies: 2
`;
    const r = runYaml(yaml);
    expect(repliesOf(r, 'secure')).toEqual(['+OK', '+PONG']);
    // Without the pending list the PING would wait for a readable event that never comes.
    const broken = runYaml(yaml, {}, { onServer: ({ server }) => { server.tlsPending.add = () => server.tlsPending; } });
    expect(repliesOf(broken, 'secure')).toEqual(['+OK']);
  });

  it('a client closing with close_notify is logged as a read error, as Redis does, and counts as peer-closed', () => {
    const r = tlsRun(`  - {name: secure, tls: true, script: [{call: PING}, {close: true}]}`);
    expect(closeOf(r, 'secure')).toMatchObject({ reason: 'peer-closed', detail: 'error:00000000:lib(0)::reason(0)' });
    expect(logLines(r)).toContain('Reading from client: error:00000000:lib(0)::reason(0)');
  });

  it('maxclients drops a TLS connection without writing anything', () => {
    const r = tlsRun(`
  - {name: first, tls: true, script: [{wait: 100ms}]}
  - {name: second, tls: true, connect-at: 10ms, script: [{call: PING}]}`, '\n    maxclients: 1');
    expect(closeOf(r, 'second')).toMatchObject({ kind: 'reject', reason: 'maxclients' });
    expect(repliesOf(r, 'second')).toEqual([]);
    expect(clientSaw(r, 'second', 'tls-error')).toMatchObject({ detail: 'error:0A000126:SSL routines::unexpected eof while reading' });
  });

  it('start-up fails as Redis does when the TLS listener has no certificate', () => {
    const r = runYaml(`
server:
  config: {tls-port: 6380}
clients: []
`);
    expect(r.serverExit).toBe(1);
    expect(logLines(r)).toEqual(expect.arrayContaining(['No tls-cert-file configured!', 'Failed to configure TLS. Check logs for more info.']));
  });
});
