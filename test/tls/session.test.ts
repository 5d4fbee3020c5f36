// The virtual TLS library on its own, over two in-memory pipes: bytes on the wire as real TLS 1.3
// sends them, OpenSSL's partial-write and pending-data behaviour, and its error strings.
import { describe, expect, it } from 'vitest';
import { ByteQueue, Filler, toBuffer, type Segment } from '../../src/base/bytes.ts';
import { EAGAIN, EPROTO } from '../../src/base/errno.ts';
import { TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE } from '../../src/loop/backend.ts';
import { DONE, TlsSession, WANT_READ, WANT_WRITE, type ClientSide, type ServerSide } from '../../src/tls/session.ts';
import { WIRE } from '../../src/tls/wire.ts';

/** One direction of a connection: a byte queue with a capacity (the socket buffers). */
class Pipe {
  readonly q = new ByteQueue();
  eof = false;
  written = 0;
  constructor(public cap = Infinity) {}
}

function ioOf(inbound: Pipe, outbound: Pipe) {
  return {
    read: (max: number): Segment[] | number => {
      if (inbound.q.length === 0) return inbound.eof ? 0 : -EAGAIN;
      return inbound.q.take(Math.min(max, inbound.q.length));
    },
    write: (data: readonly Segment[], max: number): number => {
      const room = outbound.cap - outbound.q.length;
      if (room <= 0) return -EAGAIN;
      let left = Math.min(room, max);
      let n = 0;
      for (const s of data) {
        if (left === 0) break;
        const take = Math.min(s.length, left);
        outbound.q.push(take === s.length ? s : (s instanceof Filler ? new Filler(take) : s.subarray(0, take)));
        n += take;
        left -= take;
      }
      outbound.written += n;
      return n;
    },
  };
}

function pair(server: Partial<ServerSide> = {}, client: Partial<ClientSide> = {}) {
  const c2s = new Pipe();
  const s2c = new Pipe();
  const srv = new TlsSession(ioOf(c2s, s2c), { role: 'server', authClients: 'yes', ...server }, null, null);
  const cli = new TlsSession(ioOf(s2c, c2s), { role: 'client', cert: 'valid', trustServer: true, ...client }, null, null);
  return { srv, cli, c2s, s2c };
}

/** Runs both handshakes until neither makes progress. */
function shake(p: ReturnType<typeof pair>): { srv: number; cli: number } {
  let srv = WANT_READ, cli = WANT_READ;
  for (let i = 0; i < 10; i++) {
    cli = p.cli.handshake();
    srv = p.srv.handshake();
  }
  return { srv, cli };
}

describe('virtual TLS: handshake bytes', () => {
  it("reports handshake progress with the Backend's TLS_* values (the core compares against those)", () => {
    expect([DONE, WANT_READ, WANT_WRITE]).toEqual([TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE]);
  });

  it('a full handshake with a client certificate sends the measured flights', () => {
    const p = pair();
    expect(shake(p)).toEqual({ srv: DONE, cli: DONE });
    expect(p.c2s.written).toBe(WIRE.clientHello + WIRE.clientFinishedCert);
    // Server: hello, CCS, the rest of its flight with a CertificateRequest, two tickets.
    expect(p.s2c.written).toBe(WIRE.serverHello + WIRE.changeCipherSpec + WIRE.serverFinished + WIRE.certificateRequest + 2 * WIRE.sessionTicketWithCert);
    expect(WIRE.serverHello + WIRE.changeCipherSpec + WIRE.serverFinished + WIRE.certificateRequest).toBe(2180);
  });

  it('tls-auth-clients no asks for no certificate: a 2113-byte flight and an 80-byte client Finished', () => {
    const p = pair({ authClients: 'no' });
    expect(shake(p)).toEqual({ srv: DONE, cli: DONE });
    expect(p.c2s.written).toBe(WIRE.clientHello + 80);
    expect(p.s2c.written - 2 * WIRE.sessionTicket).toBe(2113);
  });
});

describe('virtual TLS: records', () => {
  it('a 14-byte request costs 36 bytes on the wire, a 7-byte reply 29', () => {
    const p = pair();
    shake(p);
    const before = p.c2s.written;
    expect(p.cli.write([Buffer.from('*1\r\n$4\r\nPING\r\n')], 14)).toBe(14);
    expect(p.c2s.written - before).toBe(36);
    const r = p.srv.read(16384);
    expect(toBuffer(r as Segment[]).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    const s0 = p.s2c.written;
    expect(p.srv.write([Buffer.from('+PONG\r\n')], 7)).toBe(7);
    expect(p.s2c.written - s0).toBe(29);
  });

  it('one SSL_write sends one record of at most 16 KiB (partial-write mode)', () => {
    const p = pair();
    shake(p);
    let sent = 0;
    const before = p.c2s.written;
    for (let i = 0; i < 20 && sent < 102431; i++) sent += p.cli.write([new Filler(102431 - sent)], 102431 - sent);
    expect(sent).toBe(102431);
    expect(p.c2s.written - before).toBe(102431 + 7 * 22);
  });

  it('a record the socket takes only in part is finished by the retry, which reports its length', () => {
    const p = pair();
    shake(p);
    p.c2s.cap = p.c2s.q.length + 1000; // the socket has room for 1000 bytes
    expect(p.cli.write([new Filler(5000)], 5000)).toBe(-EAGAIN);
    p.c2s.cap = Infinity;
    expect(p.cli.write([new Filler(5000)], 5000)).toBe(5000);
    expect(toBuffer(p.srv.read(16384) as Segment[]).length).toBe(5000);
  });

  it('a read smaller than the record leaves the rest pending (SSL_pending), readable without the socket', () => {
    const p = pair();
    shake(p);
    p.cli.write([Buffer.from('0123456789')], 10);
    expect(toBuffer(p.srv.read(4) as Segment[]).toString()).toBe('0123');
    expect(p.srv.pending()).toBe(6);
    expect(p.c2s.q.length).toBe(0);
    expect(toBuffer(p.srv.read(100) as Segment[]).toString()).toBe('456789');
    expect(p.srv.pending()).toBe(0);
  });

  it('close_notify and a bare end of stream both fail the read, with the strings Redis logs', () => {
    const a = pair();
    shake(a);
    a.cli.shutdown();
    expect(a.srv.read(100)).toBe(-EPROTO);
    expect(a.srv.lastError).toBe('error:00000000:lib(0)::reason(0)');
    expect(a.srv.closedByPeer).toBe(true);
    const b = pair();
    shake(b);
    b.c2s.eof = true;
    expect(b.srv.read(100)).toBe(-EPROTO);
    expect(b.srv.lastError).toBe('error:0A000126:SSL routines::unexpected eof while reading');
  });
});

describe('virtual TLS: failures', () => {
  const garbage = (bytes: string) => {
    const p = pair();
    p.c2s.q.push(Buffer.from(bytes, 'latin1'));
    return { r: p.srv.handshake(), err: p.srv.lastError, sent: p.s2c.written };
  };

  it('plaintext instead of a ClientHello: wrong version number or http request, and no alert', () => {
    expect(garbage('PING\r\n')).toEqual({ r: -EPROTO, err: 'error:0A00010B:SSL routines::wrong version number', sent: 0 });
    expect(garbage('GET / HTTP/1.1\r\n\r\n')).toEqual({ r: -EPROTO, err: 'error:0A00009C:SSL routines::http request', sent: 0 });
    expect(garbage('POST /x HTTP/1.1\r\n')).toMatchObject({ err: 'error:0A00009C:SSL routines::http request' });
  });

  it('fewer than five bytes, then end of stream: unexpected eof, answered by a 7-byte decode_error alert', () => {
    const p = pair();
    p.c2s.q.push(Buffer.from([1, 2, 3]));
    p.c2s.eof = true;
    expect(p.srv.handshake()).toBe(-EPROTO);
    expect(p.srv.lastError).toBe('error:0A000126:SSL routines::unexpected eof while reading');
    expect(toBuffer(p.s2c.q.take(p.s2c.q.length)).toString('hex')).toBe('15030300020232');
  });

  it('a client with no certificate completes its side, then reads the certificate_required alert', () => {
    const p = pair({}, { cert: 'none' });
    const { srv, cli } = shake(p);
    expect(cli).toBe(DONE);
    expect(srv).toBe(-EPROTO);
    expect(p.srv.lastError).toBe('error:0A0000C7:SSL routines::peer did not return a certificate');
    expect(p.cli.read(100)).toBe(-EPROTO);
    expect(p.cli.lastError).toBe('error:0A00045C:SSL routines::tlsv13 alert certificate required');
  });
});
