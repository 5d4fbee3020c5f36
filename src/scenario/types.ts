// The validated, defaults-filled form of a scenario file. The loader (load.ts) produces it from
// YAML; the run builder (run.ts) consumes it. Times are integer microseconds, sizes integer bytes.
import type { Segment } from '../base/bytes.ts';
import type { Direction, FaultSpec, FirewallRuleSpec, LinkSpec } from '../kernel/types.ts';

export type { Direction, FaultSpec, FirewallRuleSpec, LinkSpec };

/** Where a value came from in its file (1-based), for located errors after loading. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** A path into the scenario document, e.g. ['clients', 0, 'script', 2, 'send']. */
export type DocPath = ReadonlyArray<string | number>;

export interface Scenario {
  /** Path of the file as given on the command line. */
  file: string;
  /** Scenario name (defaults to the file's base name without extension). */
  name: string;
  description: string;
  /** Seed of every random stream (the CLI's --seed overrides it). */
  seed: number;
  /** Virtual time at which the run stops, if it has not finished by then. */
  horizonUs: number;
  server: ServerSpec;
  /** Default link settings, applied to every client unless the client overrides them. */
  network: LinkSpec;
  /** Clients after expansion of `count` (names `base-1` … `base-N`), in file order. */
  clients: ClientSpec[];
  faults: FaultSpec[];
  /** Firewall rules in list order (first match wins, no match allows); absent or empty = none. */
  firewall?: FirewallRuleSpec[];
  expect: Expectation[];
  /** Location of a path in the file, or the nearest enclosing node that exists. */
  locate(path: DocPath): Location;
}

export interface ServerSpec {
  /** redis.conf directives as written (values as strings), e.g. { maxclients: '10', timeout: '5' }. */
  config: Record<string, string>;
  /** RLIMIT_NOFILE of the server process at start. Defaults soft 1024, hard 1048576. */
  nofile: { soft: number; hard: number };
  /** Order in which poll reports ready fds: ascending fd, order they became ready, or seeded shuffle. */
  pollOrder: 'fd' | 'fifo' | 'random';
  /**
   * Virtual CPU cost of work. Defaults: 2 µs per command, 1 ns per byte read or written; TLS: 700 µs
   * per handshake, 500 ns per record and 1 ns per byte encrypted or decrypted.
   */
  cost: { commandUs: number; byteNs: number; tlsHandshakeUs: number; tlsRecordNs: number; tlsByteNs: number };
  /** Listening port. Default 6379. */
  port: number;
  /**
   * The server machine's address: what the server binds when server.config has no `bind`, and
   * what clients connect to unless they say otherwise. Default 127.0.0.1.
   */
  host: string;
  /**
   * Further addresses of the server machine (besides its loopback ones and `host`), e.g.
   * 10.0.0.1. `bind` can listen on them; connecting to an address no machine has gets no answer.
   */
  interfaces?: string[];
}

/** One argument of a command: text, or `n` counted filler bytes (virtual, never allocated). */
export type ArgSpec = string | { fill: number };

export interface ClientSpec {
  name: string;
  /** When the client calls connect(). Default 0. */
  connectAtUs: number;
  /**
   * The client machine's IP address (the peer address the server sees). Default: 127.0.0.1 for the
   * first 28,232 clients, then further loopback addresses. Protected mode counts only 127.0.0.1 and
   * ::1 as local.
   */
  addr?: string;
  /** TLS: the client connects to the tls-port and shakes hands before its script; absent = plain TCP. */
  tls?: ClientTls;
  /** The server address the client connects to. Default: the server's `host`. */
  connectTo?: string;
  /** The server port the client connects to. Default: the server's `port`. */
  connectPort?: number;
  /**
   * How long the program waits for connect() before it gives up and closes the socket; absent =
   * it waits for the kernel's verdict (ETIMEDOUT after 127 s of SYN retries, as Linux).
   */
  connectTimeoutUs?: number;
  /** Link for this client: the scenario's network merged with the client's overrides. */
  network: LinkSpec;
  script: Step[];
  /** Location of the client's entry, for messages. */
  line: number;
}

/** A TLS client's settings (see docs/scenarios.md § TLS). */
export interface ClientTls {
  /** The certificate presented when the server asks for one. Default `valid`. */
  cert: 'valid' | 'none' | 'untrusted' | 'expired';
  /** Whether the client accepts the server's certificate. Default true. */
  trustServer: boolean;
  /** Cut the handshake off midway instead of finishing it. */
  cut?: 'half-hello' | 'after-hello';
}

/** One step of a client script, run in order once the client is connected. */
export type Step =
  /** Send one command as a RESP multibulk, then wait for one reply (request-response). */
  | { op: 'call'; args: ArgSpec[] }
  /** Send one command as a RESP multibulk without waiting. */
  | { op: 'send'; args: ArgSpec[] }
  /** Send an inline command line (the text plus "\r\n"). */
  | { op: 'inline'; text: string }
  /** Send raw bytes exactly as given (YAML escapes allowed: "\r\n"). */
  | { op: 'raw'; bytes: Segment[] }
  /** Send `repeat` copies of the listed commands back to back in one write, without waiting. */
  | { op: 'pipeline'; commands: ArgSpec[][]; repeat: number }
  /** Pause the script for a while. */
  | { op: 'wait'; us: number }
  /** Wait until this client has received at least `count` replies in total since connecting. */
  | { op: 'wait-replies'; count: number }
  /** Wait until the server closes the connection (EOF or reset seen). */
  | { op: 'wait-closed' }
  /** Stop calling read(); the kernel buffers fill and the server's writes stall. */
  | { op: 'stop-reading' }
  | { op: 'resume-reading' }
  /** close() the socket (FIN). */
  | { op: 'close' }
  /** The client machine vanishes: no FIN, no RST, nothing more is sent or acknowledged. */
  | { op: 'vanish' };

/** A partial event: every field given must match (strings beginning and ending with '/' are regexes). */
export type EventPattern = Record<string, string | number | boolean>;

export type Expectation =
  /** The client received exactly these replies, rendered as in docs/scenarios.md. */
  | { kind: 'replies'; client: string; replies: string[]; line: number }
  /** The client received exactly `count` replies. */
  | { kind: 'reply-count'; client: string; count: number; line: number }
  /** The server closed the client (reason and time window optional; times are virtual). */
  | { kind: 'closed'; client: string; reason?: string; afterUs?: number; beforeUs?: number; line: number }
  /** The server had not closed the client at the end of the run. */
  | { kind: 'open'; client: string; line: number }
  /** Some event matches the pattern. */
  | { kind: 'contains'; pattern: EventPattern; line: number }
  /** No event matches the pattern. */
  | { kind: 'lacks'; pattern: EventPattern; line: number };
