/**
 * Certificate chains made at test time with the openssl CLI (as test/fixtures/tls/generate.sh makes
 * the fixed ones): a long-lived root → an intermediate → a leaf for localhost and 127.0.0.1, each
 * with the validity a test asks for, relative to now. A chain whose intermediate expires in five
 * days cannot be a committed fixture: it would be wrong in a week. `openssl ca` takes exact
 * -startdate/-enddate (OpenSSL 3.0's `openssl x509 -req` has no -not_after), so expired and
 * not-yet-valid certificates need no fake clock.
 *
 * Usage:
 *   const c = await makeCertChain({ intermediate: { to: Date.now() + 5 * DAY } });
 *   const server = await serveChain(c); // leaf + intermediate over HTTPS on 127.0.0.1
 *   tlsCheck({ host: '127.0.0.1', port: server.port, ca_file: c.rootFile });
 *   await server.close(); await c.remove();
 *
 * A server can also send certificates that are not on the leaf's certification path, as real ones
 * do: `staleCa` appends an unrelated self-signed CA (CN=Old Stale CA) with the given validity, and
 * `crossSignedRoot` a copy of the root (same name and key) issued by another CA (CN=Old Cross
 * Signer), as an old cross-sign a server keeps sending after the root became trusted on its own.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const ROOT_CN = 'Test Root';
export const INTERMEDIATE_CN = 'Test Intermediate';
export const STALE_CA_CN = 'Old Stale CA';
export const CROSS_SIGNER_CN = 'Old Cross Signer';

/** notBefore and notAfter, epoch ms; notBefore defaults to an hour ago. */
export interface Validity {
  from?: number;
  to: number;
}

export interface CertChain {
  dir: string;
  /** PEM of the root: what a check's `ca_file` trusts. */
  rootFile: string;
  leafKey: string;
  /** PEM: the leaf, then the intermediate (then what the spec adds), as a server sends them. */
  chain: string;
  /** Paths of the leaf key and of {@link chain}, for servers configured by file (nginx). */
  leafKeyFile: string;
  chainFile: string;
  remove(): Promise<void>;
}

const CA_CONFIG = (dir: string) => `[ ca ]
default_ca = test
[ test ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}
serial = ${dir}/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
[ intermediate ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ cross ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
`;

/** `openssl ca`'s time format, YYYYMMDDHHMMSSZ (UTC). */
const asn1Time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** What makeCertChain makes: validities relative to now, and what the server sends besides. */
export interface ChainSpec {
  intermediate?: Validity;
  leaf?: Validity;
  /** Also sent, after the intermediate: an unrelated self-signed CA certificate with this validity. */
  staleCa?: Validity;
  /** Also sent, last: the root's name and key issued by another CA, with this validity. */
  crossSignedRoot?: Validity;
}

/**
 * A fresh root (20 years) → intermediate → leaf chain in a temporary directory. Validities are
 * the test's: `intermediate` and `leaf` default to a year from an hour ago.
 */
export async function makeCertChain(spec: ChainSpec = {}): Promise<CertChain> {
  const dir = await mkdtemp(join(tmpdir(), 'raqib-chain-'));
  const at = (f: string) => join(dir, f);
  await writeFile(at('ca.cnf'), CA_CONFIG(dir));
  await writeFile(at('index.txt'), '');
  await writeFile(at('serial'), '1000\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('root.key'),
    '-out',
    at('root.crt'),
    '-subj',
    `/CN=${ROOT_CN}`,
    '-days',
    '7300',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const year = { to: Date.now() + 365 * DAY_MS };
  /** Signs `name` (a new key, or `key`'s) with `issuer`'s key, for exactly the validity `v`. */
  const sign = async (name: string, cn: string, issuer: string, extensions: string, v: Validity, key?: string) => {
    const keyArgs = key === undefined ? [...ec, '-keyout', at(`${name}.key`)] : ['-key', at(`${key}.key`)];
    await run('openssl', ['req', '-new', ...keyArgs, '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await run('openssl', [
      'ca',
      '-batch',
      '-config',
      at('ca.cnf'),
      '-cert',
      at(`${issuer}.crt`),
      '-keyfile',
      at(`${issuer}.key`),
      '-in',
      at(`${name}.csr`),
      '-out',
      at(`${name}.crt`),
      '-extensions',
      extensions,
      '-notext',
      '-startdate',
      asn1Time(v.from ?? Date.now() - HOUR_MS),
      '-enddate',
      asn1Time(v.to),
    ]);
  };
  /** A self-signed CA for exactly the validity `v` (`openssl req -x509` takes only -days). */
  const selfSigned = async (name: string, cn: string, v: Validity) => {
    await run('openssl', ['req', '-x509', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.crt`), '-subj', `/CN=${cn}`, '-days', '1']);
    await sign(name, cn, name, 'cross', v, name);
  };
  await sign('intermediate', INTERMEDIATE_CN, 'root', 'intermediate', spec.intermediate ?? year);
  await sign('leaf', 'localhost', 'intermediate', 'leaf', spec.leaf ?? year);
  const sent = ['leaf', 'intermediate'];
  if (spec.staleCa) {
    await selfSigned('stale', STALE_CA_CN, spec.staleCa);
    sent.push('stale');
  }
  if (spec.crossSignedRoot) {
    await selfSigned('cross-signer', CROSS_SIGNER_CN, { from: spec.crossSignedRoot.from ?? Date.now() - HOUR_MS, to: Date.now() + 365 * DAY_MS });
    await sign('cross', ROOT_CN, 'cross-signer', 'cross', spec.crossSignedRoot, 'root');
    sent.push('cross');
  }
  const chain = (await Promise.all(sent.map((name) => readFile(at(`${name}.crt`), 'utf8')))).join('');
  await writeFile(at('chain.crt'), chain);
  return {
    dir,
    rootFile: at('root.crt'),
    leafKey: await readFile(at('leaf.key'), 'utf8'),
    chain,
    leafKeyFile: at('leaf.key'),
    chainFile: at('chain.crt'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An HTTPS server presenting the chain on 127.0.0.1; `resumed` counts handshakes that resumed a session. */
export interface ChainServer {
  port: number;
  handshakes: { full: number; resumed: number };
  close(): Promise<void>;
}

export async function serveChain(c: CertChain): Promise<ChainServer> {
  const server = https.createServer({ key: c.leafKey, cert: c.chain }, (_req, res) => res.end('ok'));
  const handshakes = { full: 0, resumed: 0 };
  server.on('secureConnection', (s: TLSSocket) => void handshakes[s.isSessionReused() ? 'resumed' : 'full']++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
