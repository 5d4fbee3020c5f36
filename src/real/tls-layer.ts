// What the node:net backend needs from node:tls to play OpenSSL under tls.c: secure contexts made
// from the tls-* files, tls-auth-clients as node's requestCert/rejectUnauthorized plus a check
// after the handshake (node's own verify callback accepts every certificate and leaves the verdict
// to the caller), and node's errors rewritten as Redis logs OpenSSL's (ERR_error_string_n).
// Not here: the fd table and readiness (net-backend.ts).
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { ECONNRESET, EPIPE, EPROTO, ETIMEDOUT, strerror } from '../base/errno.ts';
import type { TlsServerOptions } from '../loop/backend.ts';

/** SSL_ERROR_ZERO_RETURN (close_notify): tls.c's generic branch with an empty error queue. */
export const ZERO_RETURN_ERROR = 'error:00000000:lib(0)::reason(0)';
/** SSL_R_UNEXPECTED_EOF_WHILE_READING: end of stream in the middle of the handshake. */
export const UNEXPECTED_EOF_ERROR = 'error:0A000126:SSL routines::unexpected eof while reading';
/** SSL_R_CERTIFICATE_VERIFY_FAILED: a client certificate that does not verify (untrusted, expired…). */
export const VERIFY_FAILED_ERROR = 'error:0A000086:SSL routines::certificate verify failed';
/**
 * OpenSSL's fatal decode_error alert in a TLS 1.2 record: what it sends when the stream ends before
 * the ClientHello is complete (observed: 15 03 03 00 02 02 32).
 */
export const DECODE_ERROR_ALERT = Buffer.from('15030300020232', 'hex');

/** Reasons OpenSSL finds in a record header (5 bytes): it stops reading there, leaving the rest unread. */
const HEADER_REASONS = new Set(['wrong version number', 'http request', 'https proxy request', 'packet length too long']);

/** A failure as the core should see it: the errno tlsHandshake/read returns and the text Redis logs. */
export interface TlsFailure {
  errno: number;
  text: string;
  /**
   * close() resets the connection (RST) instead of FIN: OpenSSL rejected a record header and left
   * what followed unread, or (node only) the client's certificate was refused after the client had
   * finished its flight and sent its first command, which Redis leaves unread.
   */
  abortive: boolean;
}

/**
 * Node's error → Redis's log text. OpenSSL errors carry
 * `…:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:file:line:`;
 * OpenSSL 3's ERR_error_string_n prints no function: `error:0A0000C7:SSL routines::peer did not return a certificate`.
 * Socket errors are the SSL_ERROR_SYSCALL branch: strerror(errno).
 */
export function tlsFailureOf(e: NodeJS.ErrnoException & { library?: string; reason?: string }): TlsFailure {
  const m = /error:([0-9A-F]{8}):([^:]*):[^:]*:([^:\n]*)/.exec(e.message);
  if (m) return { errno: EPROTO, text: `error:${m[1]}:${m[2]}::${m[3]}`, abortive: HEADER_REASONS.has(m[3]!) };
  const errno = e.code === 'EPIPE' ? EPIPE : e.code === 'ETIMEDOUT' ? ETIMEDOUT : e.code === 'ECONNRESET' ? ECONNRESET : 0;
  if (errno) return { errno, text: strerror(-errno), abortive: false };
  return { errno: EPROTO, text: e.message, abortive: false };
}

/** tls-protocols ("TLSv1.2 TLSv1.3") as node's minVersion/maxVersion; '' = Redis's default, TLSv1.2 and TLSv1.3. */
export function protocolRange(protocols: string): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const order: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const named = protocols.split(/\s+/).filter(Boolean).map((p) => order.find((o) => o.toLowerCase() === p.toLowerCase())).filter((p): p is tls.SecureVersion => !!p);
  const list = named.length ? named : (['TLSv1.2', 'TLSv1.3'] as tls.SecureVersion[]);
  const idx = list.map((p) => order.indexOf(p)).sort((a, b) => a - b);
  return { minVersion: order[idx[0]!]!, maxVersion: order[idx[idx.length - 1]!]! };
}

const contexts = new Map<string, tls.SecureContext>();

/**
 * The secure context for these files (read once per distinct set). Throws with Redis's startup
 * wording ("Failed to load certificate: FILE: …") when a file cannot be read or parsed.
 */
export function secureContextFor(opts: TlsServerOptions): tls.SecureContext {
  const key = JSON.stringify([opts.certFile, opts.keyFile, opts.caCertFile, opts.protocols]);
  const known = contexts.get(key);
  if (known) return known;
  const load = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`Failed to load ${what}: ${file}: ${(e as Error).message}`);
    }
  };
  const cert = load('certificate', opts.certFile);
  const key_ = load('private key', opts.keyFile);
  const ca = opts.caCertFile ? load('CA certificate(s) file', opts.caCertFile) : undefined;
  const ctx = tls.createSecureContext({ cert, key: key_, ...(ca ? { ca } : {}), ...protocolRange(opts.protocols) });
  contexts.set(key, ctx);
  return ctx;
}

/** SSL_set_verify for tls-auth-clients, in node's terms: yes fails a client without a certificate during the handshake. */
export function verifyOptions(auth: TlsServerOptions['authClients']): { requestCert: boolean; rejectUnauthorized: boolean } {
  if (auth === 'no') return { requestCert: false, rejectUnauthorized: false };
  return { requestCert: true, rejectUnauthorized: auth === 'yes' };
}

/**
 * The verdict OpenSSL's default verify callback would have reached on the client's certificate:
 * null when it is acceptable (or absent and not required), else the failure. Node's TLSWrap
 * accepts every certificate during the handshake and records the verify result, which
 * `_handle.verifyError()` returns (what tls.Server itself consults after 'secure').
 */
export function clientCertVerdict(sock: tls.TLSSocket, auth: TlsServerOptions['authClients']): TlsFailure | null {
  if (auth === 'no') return null;
  const peer = sock.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return null; // none: 'yes' already failed inside OpenSSL
  const handle = (sock as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  const err = handle?.verifyError?.() ?? null;
  return err ? { errno: EPROTO, text: VERIFY_FAILED_ERROR, abortive: true } : null;
}
