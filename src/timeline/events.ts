// The timeline's event vocabulary. Every decision of the kernel and the core is one event.
// This file owns the types and the close-reason vocabulary; recording and hashing live beside it.

/** Why a server-side client connection ended. Fixed vocabulary, documented in docs/timeline.md. */
export type CloseReason =
  | 'quit' // QUIT, or another close-after-reply (e.g. CLIENT KILL of oneself) once the reply was written
  | 'peer-closed' // read returned 0: the client closed its side
  | 'protocol-error' // malformed request: error reply, then close
  | 'querybuf-limit' // query buffer over client-query-buffer-limit
  | 'obuf-hard-limit' // output buffer at or over the hard limit of its class
  | 'obuf-soft-limit' // output buffer over the soft limit for longer than soft-seconds
  | 'idle-timeout' // idle longer than `timeout`
  | 'keepalive' // TCP keepalive probes unanswered (ETIMEDOUT)
  | 'killed' // CLIENT KILL
  | 'reset' // ECONNRESET / EPIPE and other socket errors
  | 'security' // a `POST` or `Host:` command (cross-protocol scripting guard)
  | 'protected-mode' // a non-local client refused by protected mode (after the -DENIED error)
  | 'tls-handshake' // the TLS handshake failed (bad or missing certificate, not TLS, cut off)
  | 'tls-error' // a TLS error after the handshake (a fatal alert, a corrupt record)
  | 'write-error'; // a write failed for another reason

/** Why a connection was refused before it became a client. */
export type RejectReason = 'maxclients' | 'protected-mode' | 'refused' | 'backlog-full';

/** Fields common to every event. `client` is the scenario's client name when known. */
export interface EventBase {
  /** Virtual time in microseconds. */
  t: number;
  /** Global order of recording; ties in `t` keep this order. */
  seq: number;
  client?: string;
}

export type TimelineEvent = EventBase & EventBody;

/** Event payloads, discriminated by `kind`. */
export type EventBody =
  | { kind: 'connect'; addr: string; result: 'ok' | 'refused' | 'pending' | 'timeout' }
  | { kind: 'accept'; id: number; fd: number; addr: string }
  | { kind: 'reject'; reason: RejectReason; addr: string; detail?: string }
  | { kind: 'read'; id: number; bytes: number; qbuf: number }
  | { kind: 'command'; id: number; name: string; args: string }
  | { kind: 'reply'; id: number; bytes: number; text: string }
  | { kind: 'write'; id: number; bytes: number; pending: number }
  | { kind: 'close'; id: number; reason: CloseReason; detail?: string }
  | { kind: 'log'; level: 'debug' | 'verbose' | 'notice' | 'warning'; line: string }
  | { kind: 'cron'; hz: number; visited: number; clients: number }
  | { kind: 'fault'; fault: string; detail?: string }
  | { kind: 'tls'; id: number; what: 'handshake-done' | 'handshake-failed'; detail?: string }
  /** A firewall rule (index `rule` of the scenario's list) dropped or rejected a packet; `addr` is the client's ip:port, `port` the server's. */
  | { kind: 'firewall'; action: 'drop' | 'reject'; rule: number; addr: string; port: number; dir: 'in' | 'out' }
  | { kind: 'client'; what: string; detail?: string } // a client script's own observations (received reply, eof, step)
  | { kind: 'horizon' };

export type EventKind = EventBody['kind'];

/** Anything that accepts events; the core and the kernel only ever see this. */
export interface Tracer {
  /** Records an event at the tracer's current time; `client` is resolved from `conn` when given. */
  emit(body: EventBody, conn?: ConnRef): void;
  /** Whether events of this kind are recorded (lets hot paths skip building payloads). */
  wants(kind: EventKind): boolean;
}

/** Identifies a connection from the server's side: the peer address string `ip:port`. */
export type ConnRef = string;
