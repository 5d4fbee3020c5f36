// Throwaway certificates for TLS on real sockets, made with the `openssl` command in a temporary
// directory: a CA, a server certificate for 127.0.0.1/localhost, a client certificate signed by the
// CA, one signed by another CA (untrusted) and an expired one signed by the CA. Used by tests, the
// conformance harness and `redsim serve --tls-port` when no certificate files are given.
// Not here: loading them (net-backend.ts) or choosing which a client presents (player.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, as PEM file paths. */
export interface CertPair {
  cert: string;
  key: string;
}

/** Paths of the generated files (all PEM) in `dir`. */
export interface ThrowawayCerts {
  dir: string;
  /** The CA the server trusts (tls-ca-cert-file) and that signed the server certificate. */
  ca: CertPair;
  /** For tls-cert-file / tls-key-file: CN localhost, SAN IP:127.0.0.1, DNS:localhost. */
  server: CertPair;
  /** Signed by `ca`: accepted when tls-auth-clients is yes or optional. */
  client: CertPair;
  /** A second CA, which the server does not trust (a client trusting only it rejects the server). */
  otherCa: CertPair;
  /** Signed by `otherCa`: "certificate verify failed". */
  untrusted: CertPair;
  /** Signed by `ca` but valid only on 2020-01-01: "certificate verify failed" (expired). */
  expired: CertPair;
  /** Deletes the directory. */
  remove(): void;
}

/** Days the throwaway certificates stay valid. */
const VALID_DAYS = 30;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** A self-signed CA named `name`. */
function makeCa(dir: string, name: string): CertPair {
  const p = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(dir, ['req', '-x509', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', p.key, '-out', p.cert, '-days', String(VALID_DAYS), '-subj', `/CN=redsim throwaway ${name}`]);
  return p;
}

/** A key and certificate request for `cn`, signed by `ca` with the x509 command. */
function makeSigned(dir: string, name: string, cn: string, ca: CertPair, ext?: string): CertPair {
  const p = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  openssl(dir, ['req', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', p.key, '-out', csr, '-subj', `/CN=${cn}`]);
  const extArgs: string[] = [];
  if (ext) {
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, ext + '\n');
    extArgs.push('-extfile', extFile);
  }
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', p.cert, '-days', String(VALID_DAYS), ...extArgs]);
  return p;
}

/**
 * A certificate signed by `ca` that expired long ago. `openssl x509` in OpenSSL 3.0 cannot
 * backdate, so a minimal `openssl ca` database does it with -startdate/-enddate.
 */
function makeExpired(dir: string, ca: CertPair): CertPair {
  const p = { cert: join(dir, 'expired.crt'), key: join(dir, 'expired.key') };
  const csr = join(dir, 'expired.csr');
  openssl(dir, ['req', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', p.key, '-out', csr, '-subj', '/CN=expired']);
  const db = join(dir, 'cadb');
  mkdirSync(db);
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), '01\n');
  const cnf = join(dir, 'ca.cnf');
  writeFileSync(cnf, `[ca]\ndefault_ca=c\n[c]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`);
  openssl(dir, ['ca', '-batch', '-config', cnf, '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', p.cert, '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  return p;
}

/**
 * Generates the throwaway set in a new temporary directory (about a second: five RSA-2048 keys).
 * Throws if `openssl` is missing or fails, with its stderr in the message.
 */
export function makeThrowawayCerts(parent: string = tmpdir()): ThrowawayCerts {
  const dir = mkdtempSync(join(parent, 'redsim-tls-'));
  try {
    const ca = makeCa(dir, 'ca');
    const other = makeCa(dir, 'other-ca');
    return {
      dir,
      ca,
      otherCa: other,
      server: makeSigned(dir, 'server', 'localhost', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost'),
      client: makeSigned(dir, 'client', 'client', ca),
      untrusted: makeSigned(dir, 'untrusted', 'untrusted', other),
      expired: makeExpired(dir, ca),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as Error & { stderr?: Buffer };
    throw new Error(`cannot make throwaway certificates with openssl: ${err.stderr?.toString().trim() || err.message}`);
  }
}

let shared: ThrowawayCerts | null = null;

/** One set per process, made on first use and deleted when the process exits. */
export function sharedThrowawayCerts(): ThrowawayCerts {
  if (!shared) {
    const made = makeThrowawayCerts();
    shared = made;
    process.once('exit', () => made.remove());
  }
  return shared;
}
