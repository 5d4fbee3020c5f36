// Plain data types of the kernel's world: link settings and scheduled faults. The scenario format
// produces them; the kernel consumes them. No behaviour here.

export interface LinkSpec {
  /** One-way latency. Default 50 µs. */
  latencyUs: number;
  /** Extra one-way delay drawn uniformly from [0, jitterUs] per delivery (never reorders). Default 0. */
  jitterUs: number;
  /** Bytes per second, 0 = unlimited. Default 0. */
  bandwidth: number;
  /** Kernel send buffer capacity of each socket. Default 16384 (Linux's initial wmem). */
  sndbuf: number;
  /** Kernel receive buffer capacity of each socket. Default 131072 (Linux's initial rmem). */
  rcvbuf: number;
}

export type FaultSpec =
  | { atUs: number; client: string; kind: 'partition'; direction: Direction; durationUs: number }
  | { atUs: number; client: string; kind: 'vanish' }
  | { atUs: number; client: string; kind: 'rst'; toward: 'server' | 'client' }
  | { atUs: number; client: string; kind: 'slice'; direction: Direction; sizes: number[] }
  | { atUs: number; client: string; kind: 'slice'; direction: Direction; random: [number, number] };

/** `to-server` = bytes from the client to the server; `to-client` the reverse; `both`. */
export type Direction = 'both' | 'to-server' | 'to-client';


/**
 * One rule of the scenario's `firewall` list, applied by the network (see kernel/firewall.ts).
 * The network judges every packet between a client machine and the server; the first installed
 * rule that matches decides, and no match allows.
 */
export interface FirewallRuleSpec {
  /** allow lets it pass; drop loses it silently; reject answers its sender with a RST. */
  action: 'allow' | 'drop' | 'reject';
  /** Client-side address block as written (`10.0.0.0/8`, `::1`); absent = any address. */
  from?: string;
  /** The server port of the connection; absent = any port. */
  port?: number;
  /** `in` = client → server packets, `out` = server → client, `both`. */
  direction: 'in' | 'out' | 'both';
  /** When the rule is installed (µs). */
  atUs: number;
  /** When it is removed (µs, after atUs); absent = never. */
  untilUs?: number;
}
