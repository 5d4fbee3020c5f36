// The TLS 1.3 record layer as the virtual TLS library writes it: real 5-byte record headers and a
// real inner content type, with counted filler standing in for ciphertext padding and AEAD tags,
// so byte counts on the wire are those of real TLS while nothing is encrypted. Handshake messages
// carry what the peer must learn (which message, whether a certificate was requested, what the
// client's certificate is) in their first content bytes; the rest of their size is filler.
import { Filler, type Segment } from '../base/bytes.ts';

/** Record content types (RFC 8446 §5.1). */
export const CT_CHANGE_CIPHER_SPEC = 20;
export const CT_ALERT = 21;
export const CT_HANDSHAKE = 22;
export const CT_APPLICATION_DATA = 23;

export const RECORD_HEADER = 5;
/** Largest plaintext in one record (max_fragment_length default, 2^14). */
export const MAX_PLAINTEXT = 16384;
/** Largest record body OpenSSL accepts (SSL3_RT_MAX_ENCRYPTED_LENGTH for TLS 1.3: 2^14 + 256). */
export const MAX_RECORD_BODY = 16384 + 256;
/** AEAD tag of TLS_AES_256_GCM_SHA384 (the default suite): 16 bytes. */
export const AEAD_TAG = 16;
/** Bytes a protected record adds to its plaintext: header, inner content type, tag. */
export const RECORD_OVERHEAD = RECORD_HEADER + 1 + AEAD_TAG;

/** What a handshake record carries (first content byte; the virtual library's own codes). */
export const MSG_CLIENT_HELLO = 1;
export const MSG_SERVER_HELLO = 2;
/** EncryptedExtensions … Finished of the server's first flight, in one protected record. */
export const MSG_SERVER_FINISHED = 8;
/** The client's second flight: Certificate (maybe empty), CertificateVerify, Finished. */
export const MSG_CLIENT_FINISHED = 20;
export const MSG_NEW_SESSION_TICKET = 4;

/**
 * What the client's certificate is, as the server's verification would find it (second content
 * byte of MSG_CLIENT_FINISHED). `none` = an empty Certificate message.
 */
export type CertKind = 'valid' | 'none' | 'untrusted' | 'expired';
export const CERT_CODES: Record<CertKind, number> = { none: 0, valid: 1, untrusted: 2, expired: 3 };
/** CertKind by code (the inverse of CERT_CODES). */
export const CERT_KINDS: CertKind[] = (Object.keys(CERT_CODES) as CertKind[]).sort((a, b) => CERT_CODES[a] - CERT_CODES[b]);

/**
 * Sizes on the wire, in bytes, of the handshake flights (record headers included), as measured
 * between node 20's TLS client and Debian's redis-server 7.0.15 (OpenSSL 3.0, RSA-2048
 * certificates, TLS 1.3 with TLS_AES_256_GCM_SHA384): see docs/tls.md.
 */
export const WIRE = {
  clientHello: 367,
  serverHello: 127,
  changeCipherSpec: 6,
  /** EncryptedExtensions, Certificate, CertificateVerify, Finished (modelled as one protected record). */
  serverFinished: 1980,
  /** A CertificateRequest (tls-auth-clients yes or optional) adds this much to the server's flight. */
  certificateRequest: 67,
  /** The client's second flight without a certificate: CCS and Finished. */
  clientFinishedNoCert: 80,
  /** The client's second flight with a certificate: CCS, Certificate, CertificateVerify, Finished. */
  clientFinishedCert: 1854,
  /** One of the two NewSessionTicket records (each its own write): larger when they carry a client certificate. */
  sessionTicket: 255,
  sessionTicketWithCert: 943,
};

/** A record header: type, legacy version 3.3 (3.1 for a ClientHello), body length. */
export function header(type: number, bodyLen: number, hello = false): Buffer {
  return Buffer.from([type, 3, hello ? 1 : 3, bodyLen >> 8, bodyLen & 255]);
}

/** A plaintext handshake record of `wireSize` bytes whose content starts with `content`. */
export function plainRecord(type: number, content: number[], wireSize: number, hello = false): Segment[] {
  const body = Math.max(content.length, wireSize - RECORD_HEADER);
  const out: Segment[] = [header(type, body, hello), Buffer.from(content)];
  if (body > content.length) out.push(new Filler(body - content.length));
  return out;
}

/**
 * A protected record: content, then the inner content type and the tag. `content` runs are kept
 * by reference (they are never modified, see Host.write), `pad` filler bytes follow them.
 */
export function protectedRecord(inner: number, content: readonly Segment[], contentLen: number, out: Segment[] = []): Segment[] {
  out.push(header(CT_APPLICATION_DATA, contentLen + 1 + AEAD_TAG));
  for (const s of content) out.push(s);
  out.push(Buffer.from([inner]), new Filler(AEAD_TAG));
  return out;
}

/** A protected handshake record of `wireSize` bytes whose content starts with `content`. */
export function protectedMessage(content: number[], wireSize: number): Segment[] {
  const len = Math.max(content.length, wireSize - RECORD_OVERHEAD);
  const runs: Segment[] = [Buffer.from(content)];
  if (len > content.length) runs.push(new Filler(len - content.length));
  return protectedRecord(CT_HANDSHAKE, runs, len);
}

/** Alert descriptions used (RFC 8446 §6). */
export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badCertificate: 42,
  certificateExpired: 45,
  unknownCa: 48,
  decodeError: 50,
  protocolVersion: 70,
  certificateRequired: 116,
} as const;

/** A plaintext alert record (7 bytes), sent before the handshake keys exist. */
export function plainAlertRecord(description: number): Segment[] {
  return [Buffer.from([CT_ALERT, 3, 3, 0, 2, 2, description])];
}

/** A protected alert record (24 bytes on the wire). */
export function alertRecord(description: number): Segment[] {
  // close_notify is a warning (level 1); every other alert here is fatal (level 2).
  return protectedRecord(CT_ALERT, [Buffer.from([description === ALERT.closeNotify ? 1 : 2, description])], 2);
}
