// The accept path (acceptTcpHandler / acceptCommonHandler in networking.c): up to 1000 accepts per
// readable event, admission against maxclients before any client object exists, then createClient.
import { EAGAIN, strerror } from '../base/errno.ts';
import type { Client } from './client.ts';
import { createClient, freeClientAsync } from './lifecycle.ts';
import type { Server } from './server.ts';
import { connTlsAccept } from './tls.ts';

/** MAX_ACCEPTS_PER_CALL. */
export const MAX_ACCEPTS_PER_CALL = 1000;
const MAXCLIENTS_ERR = Buffer.from('-ERR max number of clients reached\r\n', 'latin1');

/**
 * Readable event on the listening socket. On an accept error other than EAGAIN, stock 7.0.15 logs
 * and returns. Debian's backport of CVE-2025-48367 retries other connections after per-connection
 * errors (ECONNABORTED and the like); the virtual kernel raises none of those, only EMFILE, which
 * leaves the connection queued and would fail again, so both profiles return here.
 */
export function acceptTcpHandler(server: Server, fd: number): void {
  for (let max = MAX_ACCEPTS_PER_CALL; max > 0; max--) {
    const r = server.backend.accept(fd);
    if (typeof r === 'number') {
      if (r === -EAGAIN) return;
      server.log('warning', `Accepting client connection: ${strerror(r)}`);
      return;
    }
    // "Accepted %s:%d" with the bare ip: no brackets around an IPv6 one (unlike CLIENT LIST).
    server.log('verbose', `Accepted ${peerIp(r.addr)}:${r.addr.slice(r.addr.lastIndexOf(':') + 1)}`, r.addr);
    acceptCommonHandler(server, r.fd, r.addr, r.laddr);
  }
}

/**
 * Admission control, then the client. The refusal is written straight to the socket — except on
 * the tls-port, where no handshake has happened yet, so nothing is written and the connection
 * just drops.
 */
export function acceptCommonHandler(server: Server, fd: number, addr: string, laddr: string, tls = false): void {
  if (server.clients.length >= server.config.maxclients) {
    // One best-effort write, result ignored; no client, no id, no output buffer.
    if (!tls) server.backend.write(fd, [MAXCLIENTS_ERR], MAXCLIENTS_ERR.length);
    server.stats.rejectedConn++;
    const t = server.backend.tracer;
    if (t.wants('reject')) t.emit({ kind: 'reject', reason: 'maxclients', addr, detail: `${server.clients.length} clients connected, maxclients ${server.config.maxclients}` }, addr);
    server.backend.close(fd);
    return;
  }
  const c = createClient(server, fd, addr, laddr);
  const t = server.backend.tracer;
  if (t.wants('accept')) t.emit({ kind: 'accept', id: c.id, fd, addr }, addr);
  if (tls) connTlsAccept(server, c);
  else clientAcceptHandler(server, c);
}

/**
 * The -DENIED error of protected mode (7.0.15's text, 1066 bytes with its CRLF). Written raw, in
 * one write, like the maxclients error.
 */
export const PROTECTED_MODE_DENIED = Buffer.from(
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  'by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible ' +
  'from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  '2) Alternatively you can just disable the protected mode by editing the Redis configuration file, ' +
  "and setting the protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Set up an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n',
  'latin1',
);

/** The peer's IP from `ip:port` or `[ip6]:port`. */
function peerIp(addr: string): string {
  if (addr.startsWith('[')) return addr.slice(1, addr.indexOf(']'));
  return addr.slice(0, addr.lastIndexOf(':'));
}

/**
 * clientAcceptHandler: protected mode. With protected-mode on and no password for the default
 * user, a client whose address is not exactly 127.0.0.1 or ::1 (so 127.0.0.2 is not local; in
 * 7.0.15 the bind address is not consulted) gets the error, counts as rejected, and is freed.
 */
export function clientAcceptHandler(server: Server, c: Client): void {
  const ip = peerIp(c.addr);
  if (server.config['protected-mode'] && server.config.requirepass === '' && ip !== '127.0.0.1' && ip !== '::1') {
    server.backend.write(c.fd, [PROTECTED_MODE_DENIED], PROTECTED_MODE_DENIED.length);
    server.stats.rejectedConn++;
    const t = server.backend.tracer;
    if (t.wants('reject')) t.emit({ kind: 'reject', reason: 'protected-mode', addr: c.addr, detail: `peer ${ip} is not local and no password is set` }, c.addr);
    freeClientAsync(server, c, 'protected-mode', `peer ${ip} is not local`);
    return;
  }
  server.stats.numconnections++;
}
