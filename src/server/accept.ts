// The accept path (acceptTcpHandler / acceptCommonHandler in networking.c): up to 1000 accepts per
// readable event, admission against maxclients before any client object exists, then createClient.
import { EAGAIN, strerror } from '../base/errno.ts';
import { createClient } from './lifecycle.ts';
import type { Server } from './server.ts';

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
    server.log('verbose', `Accepted ${r.addr}`, r.addr);
    acceptCommonHandler(server, r.fd, r.addr, r.laddr);
  }
}

/** Admission control, then the client. The refusal is written straight to the socket. */
export function acceptCommonHandler(server: Server, fd: number, addr: string, laddr: string): void {
  if (server.clients.length >= server.config.maxclients) {
    // One best-effort write, result ignored; no client, no id, no output buffer.
    server.backend.write(fd, [MAXCLIENTS_ERR], MAXCLIENTS_ERR.length);
    server.stats.rejectedConn++;
    const t = server.backend.tracer;
    if (t.wants('reject')) t.emit({ kind: 'reject', reason: 'maxclients', addr, detail: `${server.clients.length} clients connected, maxclients ${server.config.maxclients}` }, addr);
    server.backend.close(fd);
    return;
  }
  const c = createClient(server, fd, addr, laddr);
  const t = server.backend.tracer;
  if (t.wants('accept')) t.emit({ kind: 'accept', id: c.id, fd, addr }, addr);
  server.stats.numconnections++;
}
