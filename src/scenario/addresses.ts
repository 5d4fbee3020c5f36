// Which address each client connects from and to: the defaults (the server's host and port; a
// loopback address of the target's family) and the check that both ends are of one family.
import { ipFamily } from '../base/ip.ts';
import { clientIpFor, EPHEMERAL_PORTS } from '../kernel/kernel.ts';
import type { DocPath, ClientSpec, ServerSpec } from './types.ts';
import type { ScenarioEntry } from './schema.ts';

/** Where a client connects: its `connect-to` and `connect-port`, else the server's host and port. */
export function clientTarget(spec: ClientSpec, server: ServerSpec): { ip: string; port: number } {
  // A TLS client talks to the tls-port (the loader checked that there is one).
  return { ip: spec.connectTo ?? server.host, port: spec.connectPort ?? (spec.tls ? Number(server.config['tls-port']) : server.port) };
}

/**
 * The address of the `index`-th client when the scenario gives none: a loopback address of the
 * family of the address it connects to (127.0.0.1 and further ones, see clientIpFor; or ::1).
 */
export function defaultClientIp(index: number, target: string): string {
  return ipFamily(target) === 6 ? '::1' : clientIpFor(index);
}

const familyName = (ip: string) => (ipFamily(ip) === 6 ? 'IPv6' : 'IPv4');

/**
 * A client and the address it connects to must be of one family (an IPv6 socket cannot reach an
 * IPv4 address, and Redis binds IPv6 listeners IPv6-only). Reported at `connect-to` when given,
 * else at `addr`. Clients left to the IPv6 default all share ::1, whose ephemeral ports must stay
 * distinct: at most EPHEMERAL_PORTS of them.
 */
export function checkClientAddresses(data: ScenarioEntry, add: (path: DocPath, message: string) => void): void {
  const host = data.server?.host ?? '127.0.0.1';
  let v6Defaults = 0;
  (data.clients ?? []).forEach((c, i) => {
    const target = c['connect-to'] ?? host;
    const source = c['connect-to'] !== undefined ? 'connect-to' : 'server.host';
    if (c.addr !== undefined && ipFamily(c.addr) !== ipFamily(target)) {
      const hint = ipFamily(c.addr) === 6 ? 'give it connect-to: an IPv6 address of the server, such as ::1' : 'give it an IPv6 addr, or connect-to: an IPv4 address';
      add(['clients', i, c['connect-to'] !== undefined ? 'connect-to' : 'addr'],
        `an ${familyName(c.addr)} client (${c.addr}) cannot connect to the ${familyName(target)} address ${target} (${source}): ${hint}`);
    }
    if (c.addr === undefined && ipFamily(target) === 6) {
      v6Defaults += c.count ?? 1;
      if (v6Defaults > EPHEMERAL_PORTS && v6Defaults - (c.count ?? 1) <= EPHEMERAL_PORTS) {
        add(['clients', i], `more than ${EPHEMERAL_PORTS} clients connect to IPv6 addresses from the default ::1, which has that many ephemeral ports: give them addresses (addr)`);
      }
    }
  });
}
