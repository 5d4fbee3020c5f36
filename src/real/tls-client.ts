// The client side of a scenario's `tls:` on real sockets: node:tls with the certificate the
// scenario names (valid, none, untrusted, expired) from the throwaway set, trusting the server's
// CA or not, and the two ways of cutting a handshake off (half a ClientHello; closing once the
// server answers). Not here: the script (player.ts).
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ClientTls } from '../scenario/types.ts';
import type { ThrowawayCerts } from './certs.ts';

/** node:tls options for a scenario client: its certificate and the CA it trusts. */
export function clientTlsOptions(spec: ClientTls, certs: ThrowawayCerts): tls.ConnectionOptions {
  const pair = spec.cert === 'valid' ? certs.client : spec.cert === 'untrusted' ? certs.untrusted : spec.cert === 'expired' ? certs.expired : null;
  return {
    ca: readFileSync(spec.trustServer ? certs.ca.cert : certs.otherCa.cert),
    servername: 'localhost',
    ...(pair ? { cert: readFileSync(pair.cert), key: readFileSync(pair.key) } : {}),
  };
}

/**
 * Whether a client-side error is the TLS layer's (an alert received, a certificate refused, the
 * server gone mid-handshake) rather than the socket's.
 */
export function isTlsError(e: NodeJS.ErrnoException): boolean {
  const code = e.code ?? '';
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /CERT|SELF_SIGNED|UNABLE_TO|VERIFY/.test(code);
}

/** The first bytes node:tls would send (its ClientHello), captured without a network. */
export function captureClientHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve) => {
    let sock: tls.TLSSocket | null = null;
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        resolve(Buffer.from(chunk));
        cb();
        setImmediate(() => sock?.destroy());
      },
    });
    sock = tls.connect({ ...opts, socket: sink });
    sock.on('error', () => undefined);
  });
}

/**
 * A TLS client over `raw` through a JS duplex, so the raw bytes stay visible: `after-hello` closes
 * the TCP connection (FIN) as soon as the server's first flight arrives, before Finished is sent.
 * `onCut` is told when it has done so.
 */
export function tlsOverVisibleSocket(raw: net.Socket, opts: tls.ConnectionOptions, onCut: () => void): tls.TLSSocket {
  let cut = false;
  const pipe = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (cut || raw.destroyed) return cb();
      raw.write(chunk, () => cb());
    },
  });
  raw.on('data', () => {
    if (cut) return;
    cut = true;
    raw.destroy();
    onCut();
  });
  raw.on('error', () => undefined);
  const t = tls.connect({ ...opts, socket: pipe });
  t.on('error', () => undefined);
  return t;
}
