// The listening sockets (server.c listenToPort, closeSocketListeners, createSocketAcceptHandler,
// changeBindAddr; anet.c _anetTcpServer): one listener per `bind` address, in order, for any port.
// What happens to connections once accepted is accept.ts.
import { EADDRNOTAVAIL, EMFILE, strerror } from '../base/errno.ts';
import { ipFamily } from '../base/ip.ts';
import { AE_READABLE, type FileProc } from '../loop/event-loop.ts';
import { acceptTcpHandler } from './accept.ts';
import { tlsAcceptHandler } from './tls.ts';
import type { Server } from './server.ts';

/**
 * getaddrinfo(addr, AF_INET or AF_INET6, AI_PASSIVE) as anet.c calls it: `*` (and `::*` for
 * IPv6) mean the wildcard; an IP literal of the family is itself. redsim has no resolver: of the
 * names, only `localhost` (IPv4, as /etc/hosts gives it) resolves; any other fails as an unknown
 * name does. Returns the address, or the error text anet.c logs.
 */
function resolvePassive(addr: string, v6: boolean): { ip: string } | { err: string } {
  if (addr === '*') return { ip: v6 ? '::' : '0.0.0.0' };
  if (v6 && addr === '::*') return { ip: '::' };
  if (!v6 && addr === 'localhost') return { ip: '127.0.0.1' };
  if (ipFamily(addr) === (v6 ? 6 : 4)) return { ip: addr };
  return { err: 'Name or service not known' };
}

/**
 * listenToPort: binds every address of `bind` on `port`, in order (an address with `:` as IPv6,
 * bound IPV6_V6ONLY, so `::*` does not take IPv4), and returns the listening fds in that order.
 * Each failure logs Redis's warning; an address marked optional with a leading `-` that fails
 * with EADDRNOTAVAIL is skipped, any other failure closes the listeners made so far and returns
 * null (the caller aborts or reports). An empty `bind` listens nowhere and returns [].
 */
export function listenToPort(server: Server, port: number): number[] | null {
  const fds: number[] = [];
  for (const entry of server.config.bind) {
    const optional = entry.startsWith('-');
    const addr = optional ? entry.slice(1) : entry;
    const r = resolvePassive(addr, addr.includes(':'));
    let fd = -1;
    let neterr: string;
    if ('err' in r) neterr = r.err;
    else {
      fd = server.backend.listen(r.ip, port, server.config['tcp-backlog']);
      // anet.c skips an address whose socket() fails and then reports having bound nothing.
      neterr = fd === -EMFILE ? `unable to bind socket, errno: ${EMFILE}` : `bind: ${strerror(fd)}`;
    }
    if (fd < 0) {
      server.log('warning', `Warning: Could not create server TCP listening socket ${addr}:${port}: ${neterr}`);
      // After a resolver failure errno is not EADDRNOTAVAIL: even an optional name is fatal.
      if (optional && fd === -EADDRNOTAVAIL) continue;
      closeSocketListeners(server, fds);
      return null;
    }
    fds.push(fd);
  }
  return fds;
}

/** closeSocketListeners: stops watching and closes each listener; queued connections are reset. */
export function closeSocketListeners(server: Server, fds: number[]): void {
  for (const fd of fds) {
    server.loop.deleteFileEvent(fd, AE_READABLE);
    server.backend.close(fd);
  }
  fds.length = 0;
}

/** createSocketAcceptHandler: `handler` runs when any of `fds` has a connection to accept. */
export function createSocketAcceptHandler(server: Server, fds: readonly number[], handler: FileProc): void {
  for (const fd of fds) server.loop.createFileEvent(fd, AE_READABLE, handler);
}

/**
 * changeBindAddr (CONFIG SET bind): closes the listeners and binds the new list on `port`. On
 * failure logs `Failed to bind` and leaves the server listening nowhere (CONFIG SET then restores
 * the previous list and calls this again). Returns whether it succeeded.
 */
export function changeBindAddr(server: Server): boolean {
  closeSocketListeners(server, server.ipfd);
  closeSocketListeners(server, server.tlsfd);
  const port = server.config.port;
  const tlsPort = server.config['tls-port'];
  const fds = port !== 0 ? listenToPort(server, port) : [];
  const tlsFds = fds && tlsPort !== 0 ? listenToPort(server, tlsPort) : [];
  if (!fds || !tlsFds) {
    if (fds) closeSocketListeners(server, fds);
    server.log('warning', 'Failed to bind');
    return false;
  }
  server.ipfd = fds;
  server.tlsfd = tlsFds;
  createSocketAcceptHandler(server, fds, (fd) => acceptTcpHandler(server, fd));
  createSocketAcceptHandler(server, tlsFds, (fd) => tlsAcceptHandler(server, fd));
  return true;
}
