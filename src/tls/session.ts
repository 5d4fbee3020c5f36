// One TLS 1.3 connection of the virtual TLS library, client or server side, over a non-blocking
// socket: the handshake (1-RTT, with an optional client certificate), then records of at most
// 16 KiB each way. It behaves as OpenSSL does where Redis can tell: SSL_accept and SSL_read/
// SSL_write return "want read/write" instead of blocking, SSL_write sends one record per call
// (SSL_MODE_ENABLE_PARTIAL_WRITE) and must be retried with the same bytes after a short socket
// write, SSL_read returns data from one record and keeps the rest pending (SSL_pending), and
// failures carry OpenSSL's error strings. Nothing is encrypted: see wire.ts.
import { ByteQueue, sliceSegment, type Segment } from '../base/bytes.ts';
import { EAGAIN, EPROTO, strerror } from '../base/errno.ts';
import { alertError, sslError, ZERO_ERROR, type SslReason } from './errors.ts';
import {
  AEAD_TAG, ALERT, CERT_CODES, CERT_KINDS, CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE,
  MAX_PLAINTEXT, MAX_RECORD_BODY, MSG_CLIENT_FINISHED, MSG_CLIENT_HELLO, MSG_NEW_SESSION_TICKET,
  MSG_SERVER_FINISHED, MSG_SERVER_HELLO, RECORD_HEADER, WIRE, alertRecord, plainAlertRecord, plainRecord,
  protectedMessage, protectedRecord, type CertKind,
} from './wire.ts';

/** The socket under a session: raw read() and write() (runs are never modified after writing). */
export interface RawIo {
  read(max: number): Segment[] | number;
  write(data: readonly Segment[], max: number): number;
}

/** handshake() results other than a negative errno (same values as loop/backend.ts TLS_*). */
export const DONE = 0;
export const WANT_READ = 1;
export const WANT_WRITE = 2;

/** CPU the library spends, charged to whoever runs it (the server's virtual clock). */
export interface TlsCost {
  /** Server side of a full handshake: key exchange and the certificate signature. */
  handshakeUs: number;
  /** Per protected record (encrypt or decrypt), and per byte of its plaintext. */
  recordNs: number;
  byteNs: number;
}

/** The server's settings (Redis's tls-auth-clients). */
export interface ServerSide {
  role: 'server';
  authClients: 'yes' | 'no' | 'optional';
}

/** A client's settings: which certificate it presents, whether it trusts the server's. */
export interface ClientSide {
  role: 'client';
  cert: CertKind;
  trustServer: boolean;
}

type State =
  | 'start' // client: ClientHello not sent yet
  | 'wait-hello' // server: waiting for the ClientHello
  | 'wait-server' // client: waiting for the server's flight
  | 'wait-finished' // server: waiting for the client's Finished
  | 'done'
  | 'failed';

/** A record read whole from the socket. */
interface Rec {
  type: number;
  /** For protected records, the inner content type; otherwise `type`. */
  inner: number;
  /** Content of a protected record (empty for plaintext ones); its first two bytes as numbers. */
  content: Segment[];
  len: number;
  b0: number;
  b1: number;
}

const NO_CONTENT: Segment[] = [];

/** readRecord's outcomes other than a record. */
const AGAIN = -EAGAIN;
const FAIL = -EPROTO;

export class TlsSession {
  private state: State;
  /** Why the session failed, as Redis would log it (see Backend.tlsLastError). */
  lastError: string | null = null;
  /** Bytes of the record being read (OpenSSL reads the header, then exactly the body). */
  private readonly rwire = new ByteQueue();
  /** Decrypted bytes not returned yet: SSL_pending. */
  private readonly plain = new ByteQueue();
  /** Wire bytes of a record the socket has not taken yet, and the plaintext it carries. */
  private readonly wpending = new ByteQueue();
  private wpendingPlain = 0;
  private firstRecord = true;
  private certRequested = false;
  /** The handshake keys exist (the server flight was sent or received): alerts are protected. */
  private keyed = false;
  /** The client sent a certificate (the server's session tickets then carry it). */
  private clientCertSent = false;
  /**
   * The peer ended the connection: close_notify, or end of stream. read() then fails (-EPROTO)
   * as OpenSSL does for Redis: a TLS client's close never reads as a plain end of stream.
   */
  closedByPeer = false;
  private cpuNs = 0;

  constructor(
    private readonly io: RawIo,
    private readonly side: ServerSide | ClientSide,
    private readonly cost: TlsCost | null,
    /** Charges CPU in whole microseconds (null: nobody's clock, as for client programs). */
    private readonly spend: ((us: number) => void) | null,
  ) {
    this.state = side.role === 'server' ? 'wait-hello' : 'start';
  }

  get handshakeDone(): boolean {
    return this.state === 'done';
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** SSL_pending. */
  pending(): number {
    return this.plain.length;
  }

  /** The ClientHello a client sends first (a client cutting its handshake short sends part of it). */
  clientHello(): Segment[] {
    return plainRecord(CT_HANDSHAKE, [MSG_CLIENT_HELLO], WIRE.clientHello, true);
  }

  /**
   * SSL_accept / SSL_connect: advances the handshake as far as the socket allows. DONE,
   * WANT_READ, WANT_WRITE or a negative errno (-EPROTO with lastError set for a TLS failure).
   */
  handshake(): number {
    if (this.state === 'failed') return FAIL;
    const flushed = this.flush();
    if (flushed < 0) return flushed;
    if (flushed === 0) return WANT_WRITE;
    for (;;) {
      switch (this.state) {
        case 'done':
          return DONE;
        case 'start': {
          this.state = 'wait-server';
          const r = this.send(this.clientHello());
          if (r <= 0) return r < 0 ? r : WANT_WRITE;
          break;
        }
        case 'wait-hello':
        case 'wait-finished':
        case 'wait-server': {
          const rec = this.readRecord();
          if (typeof rec === 'number') return this.handshakeReadFailure(rec);
          const r = this.onHandshakeRecord(rec);
          if (r !== null) return r;
          break;
        }
      }
    }
  }

  /** A handshake read that gave no record: wait, end of stream, or a socket error. */
  private handshakeReadFailure(r: number): number {
    if (r === AGAIN) return WANT_READ;
    if (r === FAIL) return FAIL;
    if (r === 0) return this.fail('unexpectedEofWhileReading', ALERT.decodeError);
    this.state = 'failed';
    this.lastError = strerror(r);
    return r;
  }

  /** Handles one record during the handshake; returns a result to report, or null to go on. */
  private onHandshakeRecord(rec: Rec): number | null {
    if (rec.type === CT_CHANGE_CIPHER_SPEC) return null; // middlebox compatibility: ignored
    if (rec.inner === CT_ALERT) {
      this.state = 'failed';
      this.lastError = alertError(rec.b1);
      return FAIL;
    }
    if (rec.inner !== CT_HANDSHAKE) return this.fail('unexpectedMessage', ALERT.unexpectedMessage);
    const side = this.side;
    if (side.role === 'server') {
      if (this.state === 'wait-hello') {
        if (rec.b0 !== MSG_CLIENT_HELLO) return this.fail('unexpectedMessage', ALERT.unexpectedMessage);
        if (this.cost) this.charge(this.cost.handshakeUs * 1000);
        this.certRequested = side.authClients !== 'no';
        this.state = 'wait-finished';
        this.keyed = true;
        const flight = [
          ...plainRecord(CT_HANDSHAKE, [MSG_SERVER_HELLO, this.certRequested ? 1 : 0], WIRE.serverHello),
          ...plainRecord(CT_CHANGE_CIPHER_SPEC, [1], WIRE.changeCipherSpec),
          ...protectedMessage([MSG_SERVER_FINISHED], WIRE.serverFinished + (this.certRequested ? WIRE.certificateRequest : 0)),
        ];
        const r = this.send(flight);
        return r < 0 ? r : null;
      }
      if (rec.b0 !== MSG_CLIENT_FINISHED) return this.fail('unexpectedMessage', ALERT.unexpectedMessage);
      const cert = CERT_KINDS[rec.b1] ?? 'none';
      this.clientCertSent = cert !== 'none';
      if (this.certRequested) {
        if (cert === 'none' && side.authClients === 'yes') return this.fail('peerDidNotReturnACertificate', ALERT.certificateRequired);
        if (cert === 'untrusted') return this.fail('certificateVerifyFailed', ALERT.unknownCa);
        if (cert === 'expired') return this.fail('certificateVerifyFailed', ALERT.certificateExpired);
      }
      this.state = 'done';
      // TLS 1.3 servers send two session tickets as soon as the handshake completes.
      const t = this.clientCertSent ? WIRE.sessionTicketWithCert : WIRE.sessionTicket;
      let r = this.send(protectedMessage([MSG_NEW_SESSION_TICKET], t));
      if (r >= 0) r = this.send(protectedMessage([MSG_NEW_SESSION_TICKET], t));
      return r < 0 ? r : DONE;
    }
    // Client.
    if (rec.b0 === MSG_SERVER_HELLO) {
      this.certRequested = rec.b1 === 1;
      this.keyed = true;
      return null;
    }
    if (rec.b0 !== MSG_SERVER_FINISHED) return this.fail('unexpectedMessage', ALERT.unexpectedMessage);
    if (!side.trustServer) return this.fail('certificateVerifyFailed', ALERT.unknownCa);
    const sendsCert = this.certRequested && side.cert !== 'none';
    this.state = 'done';
    // The client's handshake is over once its Finished is sent; a server refusing its
    // certificate answers with an alert that the client only reads later (TLS 1.3).
    const r = this.send([
      ...plainRecord(CT_CHANGE_CIPHER_SPEC, [1], WIRE.changeCipherSpec),
      ...protectedMessage([MSG_CLIENT_FINISHED, this.certRequested ? CERT_CODES[side.cert] : CERT_CODES.none],
        (sendsCert ? WIRE.clientFinishedCert : WIRE.clientFinishedNoCert) - WIRE.changeCipherSpec),
    ]);
    return r < 0 ? r : DONE;
  }

  /** Fails the session with an SSL error, sending `alert` to the peer when there is one. */
  private fail(reason: SslReason, alert?: number): number {
    this.state = 'failed';
    this.lastError = sslError(reason);
    if (alert !== undefined) this.send(this.keyed ? alertRecord(alert) : plainAlertRecord(alert));
    return FAIL;
  }

  /**
   * Reads one whole record from the socket: the header first, then exactly its body, as OpenSSL
   * does without read-ahead (what follows stays in the socket). A record, AGAIN, 0 at end of
   * stream, FAIL (lastError set) or a negative errno.
   */
  private readRecord(): Rec | number {
    for (;;) {
      const have = this.rwire.length;
      const need = have < RECORD_HEADER ? RECORD_HEADER - have : RECORD_HEADER + this.bodyLen() - have;
      if (need === 0) break;
      const r = this.io.read(need);
      if (typeof r === 'number') return r;
      for (const s of r) this.rwire.push(s);
      if (have < RECORD_HEADER && this.rwire.length >= RECORD_HEADER) {
        const bad = this.checkHeader();
        if (bad !== null) return bad;
      }
    }
    const type = this.rwire.byteAt(0);
    const bodyLen = this.bodyLen();
    this.rwire.skip(RECORD_HEADER);
    this.firstRecord = false;
    if (type === CT_APPLICATION_DATA) {
      const len = bodyLen - 1 - AEAD_TAG; // inner content type, then the tag
      const inner = this.rwire.byteAt(len);
      const b0 = len > 0 ? this.rwire.byteAt(0) : -1;
      const b1 = len > 1 ? this.rwire.byteAt(1) : -1;
      const content = this.rwire.take(len);
      this.rwire.skip(bodyLen - len);
      if (this.cost) this.charge(this.cost.recordNs + len * this.cost.byteNs);
      return { type, inner, content, len, b0, b1 };
    }
    const b0 = bodyLen > 0 ? this.rwire.byteAt(0) : -1;
    const b1 = bodyLen > 1 ? this.rwire.byteAt(1) : -1;
    // Plaintext records (hello, change_cipher_spec, early alerts) matter only by their first bytes.
    this.rwire.skip(bodyLen);
    return { type, inner: type, content: NO_CONTENT, len: bodyLen, b0, b1 };
  }

  private bodyLen(): number {
    return (this.rwire.byteAt(3) << 8) | this.rwire.byteAt(4);
  }

  /** OpenSSL's checks on a record header; the first record of a server gets the HTTP sniffing. */
  private checkHeader(): number | null {
    const major = this.rwire.byteAt(1);
    if (major !== 3) {
      if (this.firstRecord && this.side.role === 'server') {
        const head = this.rwire.latin1(0, RECORD_HEADER);
        // Does not look like TLS at all: no alert is sent.
        if (/^(GET |POST|HEAD|PUT )/.test(head)) return this.fail('httpRequest');
        if (head.startsWith('CONNE')) return this.fail('httpsProxyRequest');
        return this.fail('wrongVersionNumber');
      }
      return this.fail('wrongVersionNumber', ALERT.protocolVersion);
    }
    if (this.bodyLen() > MAX_RECORD_BODY) return this.fail('packetLengthTooLong', ALERT.decodeError);
    if (this.firstRecord && this.side.role === 'server' && this.rwire.byteAt(0) !== CT_HANDSHAKE) {
      return this.fail('unexpectedMessage', ALERT.unexpectedMessage);
    }
    return null;
  }

  /**
   * SSL_read: plaintext from the record being read (what is left of it stays pending), else from
   * the next whole record. 0 after close_notify or end of stream, -EAGAIN, -EPROTO, or -errno.
   */
  read(max: number): Segment[] | number {
    if (this.state === 'failed') return FAIL;
    for (;;) {
      if (this.plain.length > 0) return this.plain.take(Math.min(max, this.plain.length));
      if (this.closedByPeer) return FAIL;
      const rec = this.readRecord();
      if (typeof rec === 'number') {
        if (rec === AGAIN || rec === FAIL) return rec;
        if (rec === 0) {
          // End of stream without close_notify: OpenSSL 3 calls it an error.
          this.closedByPeer = true;
          this.lastError = sslError('unexpectedEofWhileReading');
          return FAIL;
        }
        this.lastError = strerror(rec);
        return rec;
      }
      if (rec.inner === CT_APPLICATION_DATA) {
        for (const s of rec.content) this.plain.push(s);
      } else if (rec.inner === CT_ALERT) {
        if (rec.b1 === ALERT.closeNotify) {
          // SSL_ERROR_ZERO_RETURN: tls.c takes its generic branch, with an empty error queue.
          this.closedByPeer = true;
          this.lastError = ZERO_ERROR;
        } else {
          this.state = 'failed';
          this.lastError = alertError(rec.b1);
          return FAIL;
        }
      }
      // Post-handshake messages (session tickets) are consumed silently.
    }
  }

  /**
   * SSL_write in partial-write mode: one record of up to 16 KiB per call. A record the socket
   * took only in part stays in the library; the call says -EAGAIN and the next one (with the same
   * bytes) finishes it and reports its length. Bytes written, or a negative errno.
   */
  write(data: readonly Segment[], max: number): number {
    if (this.state !== 'done') return this.state === 'failed' ? FAIL : AGAIN;
    if (this.wpending.length > 0) {
      const f = this.flush();
      if (f <= 0) return f < 0 ? f : AGAIN;
      const n = this.wpendingPlain;
      this.wpendingPlain = 0;
      return n;
    }
    let total = 0;
    for (const s of data) total += s.length;
    const p = Math.min(max, total, MAX_PLAINTEXT);
    if (p <= 0) return 0;
    const content: Segment[] = [];
    let left = p;
    for (const s of data) {
      if (left === 0) break;
      const take = Math.min(s.length, left);
      if (take === 0) continue;
      content.push(take === s.length ? s : sliceSegment(s, 0, take));
      left -= take;
    }
    if (this.cost) this.charge(this.cost.recordNs + p * this.cost.byteNs);
    const r = this.send(protectedRecord(CT_APPLICATION_DATA, content, p));
    if (r < 0) return r;
    if (this.wpending.length > 0) {
      this.wpendingPlain = p;
      return AGAIN;
    }
    return p;
  }

  /** SSL_shutdown: sends close_notify (best effort). */
  shutdown(): void {
    if (this.state === 'done' && this.wpending.length === 0) this.send(alertRecord(ALERT.closeNotify));
  }

  /** Writes `segs` to the socket; what it does not take waits in `wpending`. 1, 0 (all pending) or -errno. */
  private send(segs: Segment[]): number {
    if (this.wpending.length > 0) {
      this.wpending.pushAll(segs);
      return this.flush();
    }
    let total = 0;
    for (const s of segs) total += s.length;
    const n = this.io.write(segs, total);
    if (n < 0 && n !== AGAIN) return n;
    const took = Math.max(0, n);
    if (took === total) return 1;
    this.wpending.pushAllAfter(segs, took);
    return 0;
  }

  /** Pushes `wpending` into the socket: 1 when it is empty, 0 when some is left, or -errno. */
  private flush(): number {
    if (this.wpending.length === 0) return 1;
    const n = this.io.write(this.wpending.segments(), this.wpending.length);
    if (n < 0 && n !== AGAIN) return n;
    if (n > 0) this.wpending.skip(n);
    return this.wpending.length === 0 ? 1 : 0;
  }

  private charge(ns: number): void {
    if (!this.spend) return;
    this.cpuNs += ns;
    if (this.cpuNs >= 1000) {
      const us = Math.floor(this.cpuNs / 1000);
      this.cpuNs -= us * 1000;
      this.spend(us);
    }
  }
}
