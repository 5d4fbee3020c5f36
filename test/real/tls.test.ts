// TLS on real sockets: the core's tls-port served by node:tls (net-backend.ts, tls-layer.ts), the
// throwaway certificates (certs.ts) and `redsim serve --tls-port` driven by redis-cli. What the
// log says for each refusal is what Debian's redis-server 7.0.15 logs (see docs/tls.md).
// Loopback only; every server is stopped and every certificate directory removed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeThrowawayCerts, type CertPair, type ThrowawayCerts } from '../../src/real/certs.ts';
import { startRealServer, type RealServer } from '../../src/real/real-server.ts';
import { freePort } from '../../src/real/redis-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let certs: ThrowawayCerts;
beforeAll(() => {
  certs = makeThrowawayCerts();
});
afterAll(() => certs.remove());

const servers: RealServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

interface Served {
  srv: RealServer;
  /** Log lines so far. */
  log: string[];
}

async function serveTls(directives: Record<string, string> = {}): Promise<Served> {
  const log: string[] = [];
  const srv = await startRealServer({
    directives: { 'tls-port': '1', 'tls-cert-file': certs.server.cert, 'tls-key-file': certs.server.key, 'tls-ca-cert-file': certs.ca.cert, loglevel: 'verbose', ...directives },
    host: '127.0.0.1',
    port: 0,
    tlsPort: 0,
    onEvent: (e) => {
      if (e.kind === 'log') log.push(e.line);
    },
  });
  servers.push(srv);
  expect(srv.exitCode).toBeNull();
  return { srv, log };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await sleep(10);
}

/** A TLS client presenting `pair` (or none): sends `send` once secure, collects until close or `ms`. */
function tlsExchange(port: number, pair: CertPair | null, send: string, ms = 600): Promise<{ secure: boolean; text: string; error: string | null; closed: boolean }> {
  return new Promise((done) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(certs.ca.cert), ...(pair ? { cert: readFileSync(pair.cert), key: readFileSync(pair.key) } : {}) });
    const r = { secure: false, text: '', error: null as string | null, closed: false };
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      done(r);
    };
    const timer = setTimeout(finish, ms);
    s.on('secureConnect', () => {
      r.secure = true;
      s.write(send);
    });
    s.on('data', (d) => (r.text += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => (r.error ??= e.code ?? e.message));
    s.on('close', () => {
      r.closed = true;
      finish();
    });
  });
}

/** Plain TCP to `port`: writes `bytes` (then FIN when `fin`), collects hex until close or `ms`. */
function rawExchange(port: number, bytes: Buffer, fin: boolean, ms = 1000): Promise<{ hex: string; error: string | null }> {
  return new Promise((done) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      if (bytes.length) s.write(bytes);
      if (fin) s.end();
    });
    const r = { hex: '', error: null as string | null };
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      done(r);
    };
    const timer = setTimeout(finish, ms);
    s.on('data', (d) => (r.hex += d.toString('hex')));
    s.on('error', (e: NodeJS.ErrnoException) => (r.error ??= e.code ?? e.message));
    s.on('close', finish);
  });
}

describe('throwaway certificates', () => {
  it('makes a server certificate and a client certificate that verify against the CA, and two that do not', () => {
    const verify = (cert: string) => spawnSync('openssl', ['verify', '-CAfile', certs.ca.cert, cert], { encoding: 'utf8' });
    expect(verify(certs.server.cert).status).toBe(0);
    expect(verify(certs.client.cert).status).toBe(0);
    expect(verify(certs.untrusted.cert).stdout + verify(certs.untrusted.cert).stderr).toMatch(/unable to get local issuer certificate/);
    expect(verify(certs.expired.cert).stdout + verify(certs.expired.cert).stderr).toMatch(/certificate has expired/);
    const san = spawnSync('openssl', ['x509', '-in', certs.server.cert, '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' }).stdout;
    expect(san).toContain('IP Address:127.0.0.1');
    expect(san).toContain('DNS:localhost');
  });

  it('remove() deletes the directory', () => {
    const c = makeThrowawayCerts();
    expect(existsSync(c.client.key)).toBe(true);
    c.remove();
    expect(existsSync(c.dir)).toBe(false);
  });
});

describe('the tls-port on real sockets (node:tls behind the backend)', () => {
  it('serves a client with a certificate from the CA over TLS 1.3, plaintext in and out (a 100 KB value spans several records)', async () => {
    const { srv, log } = await serveTls();
    const v = 'x'.repeat(100_000);
    const r = await tlsExchange(srv.tlsPort, certs.client, `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${v.length}\r\n${v}\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n`, 1500);
    expect(r.secure).toBe(true);
    expect(r.text).toBe(`+OK\r\n$${v.length}\r\n${v}\r\n+PONG\r\n`);
    await waitFor(() => log.some((l) => l.startsWith('Reading from client')));
    expect(log.filter((l) => l.startsWith('Accepted')).length).toBe(1);
    // The client closed without waiting: the core reports the end as tls.c does.
    expect(log).toContain('Reading from client: error:00000000:lib(0)::reason(0)');
  });

  it('refuses a client without a certificate: it finishes its side of TLS 1.3, then reads alert 116', async () => {
    const { srv, log } = await serveTls();
    const r = await tlsExchange(srv.tlsPort, null, 'PING\r\n');
    expect(r.secure).toBe(true);
    expect(r.error).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    expect(r.text).toBe('');
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log).toContain('Error accepting a client connection: error:0A0000C7:SSL routines::peer did not return a certificate');
  });

  it.each([
    ['untrusted', () => certs.untrusted],
    ['expired', () => certs.expired],
  ])('refuses a %s client certificate with "certificate verify failed", closing with RST', async (_name, pair) => {
    const { srv, log } = await serveTls();
    const r = await tlsExchange(srv.tlsPort, pair(), 'PING\r\n');
    expect(r.text).toBe('');
    expect(r.error).toBe('ECONNRESET');
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log).toContain('Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed');
  });

  it('tls-auth-clients optional serves a client without a certificate but refuses an untrusted one', async () => {
    const { srv, log } = await serveTls({ 'tls-auth-clients': 'optional' });
    expect((await tlsExchange(srv.tlsPort, null, 'PING\r\n')).text).toBe('+PONG\r\n');
    expect((await tlsExchange(srv.tlsPort, certs.untrusted, 'PING\r\n')).text).toBe('');
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log).toContain('Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed');
  });

  it('tls-auth-clients no does not ask for a certificate, so even an untrusted one is served', async () => {
    const { srv } = await serveTls({ 'tls-auth-clients': 'no' });
    expect((await tlsExchange(srv.tlsPort, certs.untrusted, 'PING\r\n')).text).toBe('+PONG\r\n');
  });

  it.each([
    ['RESP', '*1\r\n$4\r\nPING\r\n', 'error:0A00010B:SSL routines::wrong version number'],
    ['HTTP', 'GET / HTTP/1.1\r\n\r\n', 'error:0A00009C:SSL routines::http request'],
  ])('names %s sent instead of a ClientHello, and keeps serving others', async (_name, bytes, why) => {
    const { srv, log } = await serveTls();
    const r = await rawExchange(srv.tlsPort, Buffer.from(bytes), false);
    expect(r.hex).toBe('');
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log.find((l) => l.startsWith('Error accepting'))).toMatch(new RegExp(`^Error accepting a client connection: ${why}( \\(conn: fd=\\d+\\))?$`));
    expect((await tlsExchange(srv.tlsPort, certs.client, 'PING\r\n')).text).toBe('+PONG\r\n');
  });

  it('a stream that ends before a whole ClientHello gets the decode_error alert OpenSSL sends, and "unexpected eof while reading"', async () => {
    const { srv, log } = await serveTls();
    const r = await rawExchange(srv.tlsPort, Buffer.from('160301', 'hex'), true);
    expect(r.hex).toBe('15030300020232');
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log).toContain('Error accepting a client connection: error:0A000126:SSL routines::unexpected eof while reading');
  });

  it('a reset in the middle of the handshake is the socket error, "Connection reset by peer"', async () => {
    const { srv, log } = await serveTls();
    await new Promise<void>((done) => {
      const s = net.connect({ host: '127.0.0.1', port: srv.tlsPort }, () => {
        s.write(Buffer.from('16030100f8010000f4', 'hex'));
        setTimeout(() => {
          s.resetAndDestroy();
          done();
        }, 100);
      });
    });
    await waitFor(() => log.some((l) => l.startsWith('Error accepting')));
    expect(log).toContain('Error accepting a client connection: Connection reset by peer');
  });

  it('a client stuck in the handshake is a client: it holds an id and counts in connected_clients', async () => {
    const { srv } = await serveTls();
    const stuck = net.connect({ host: '127.0.0.1', port: srv.tlsPort });
    try {
      await new Promise((r) => stuck.once('connect', r));
      const r = await tlsExchange(srv.tlsPort, certs.client, 'CLIENT ID\r\nINFO clients\r\n');
      expect(r.text).toMatch(/^:4\r\n/);
      expect(r.text).toContain('connected_clients:2');
    } finally {
      stuck.destroy();
    }
  });
});

function onPath(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}
const redisCli = onPath('redis-cli');
const tlsCli = redisCli !== null && /--tls/.test(spawnSync(redisCli, ['--help'], { encoding: 'utf8' }).stderr + spawnSync(redisCli, ['--help'], { encoding: 'utf8' }).stdout);

describe.skipIf(!tlsCli)('`redsim serve --tls-port` with redis-cli --tls', () => {
  it('makes throwaway certificates, prints their paths, serves redis-cli with the client certificate and refuses it without', async () => {
    const port = await freePort();
    const tlsPort = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin/redsim.js'), 'serve', '--port', String(port), '--tls-port', String(tlsPort), '--no-color'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    try {
      await waitFor(() => /try: redis-cli/.test(out), 15_000);
      const dir = /throwaway self-signed TLS certificates in (\S+)/.exec(out)?.[1];
      expect(dir).toBeTruthy();
      const cli = (...args: string[]) => spawnSync(redisCli!, ['--tls', '--cacert', join(dir!, 'ca.crt'), '-p', String(tlsPort), ...args], { encoding: 'utf8', timeout: 10_000 });
      const ok = cli('--cert', join(dir!, 'client.crt'), '--key', join(dir!, 'client.key'), 'PING');
      expect(ok.stdout.trim()).toBe('PONG');
      const refused = cli('PING');
      expect(refused.status).toBe(1);
      expect(refused.stderr + refused.stdout).toContain('Server closed the connection');
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      expect(existsSync(dir!)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
