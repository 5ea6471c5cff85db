/**
 * The certificates a TLS server presents, read once from the socket. A chain stops validating when
 * any certificate in it expires, not only the leaf: judged by its leaf alone, a server whose
 * intermediate expires in five days read UP, "364 days left", with the expiry metric and both
 * certificate alerts silent, until clients refused it. So the probes judge the whole chain the
 * server sends (cert-verdict.ts) and name the certificate they speak of.
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** Where a certificate sits in the chain: the server's own, an intermediate, or a (self-issued) root. */
export type ChainRole = 'leaf' | 'intermediate' | 'root';

/** One presented certificate, with what the probes say about it. */
export interface ChainCert {
  role: ChainRole;
  /** `CN=…` of the subject, else `O=…`. */
  subject: string;
  /** `CN=…` of the issuer, else `O=…`. */
  issuer: string;
  /** notBefore and notAfter, epoch ms. */
  validFrom: number;
  validTo: number;
  /** For the host name check of the leaf (Node's legacy certificate object comes from it). */
  x509: X509Certificate;
}

/** More than any real chain holds: a guard against a cycle Node did not break. */
const MAX_CHAIN = 10;

/** `CN=x` of an X509Certificate name (one `KEY=value` a line), falling back to `O=`. */
export function nameOf(name: string): string {
  const lines = name.split('\n');
  const cn = lines.filter((l) => l.startsWith('CN=')).join('+');
  if (cn) return cn;
  const o = lines.filter((l) => l.startsWith('O=')).join('+');
  return o || 'an unnamed subject';
}

/**
 * The chain the server presented, leaf first, each certificate followed by its issuer among the
 * ones sent (Node matches them by signature, so an unrelated extra certificate is left out, as
 * it is from validation). A root the agent trusts but the server did not send is not in it: its
 * expiry is this agent's business, not the server's. A root the server does send is, and is
 * named as one: clients that build their path through it stop validating when it expires.
 *
 * Reads the socket's peer certificate once, as an X509Certificate: in Node 20 that read leaves the
 * socket's copy of the chain without its leaf, so no second read of any kind may follow on the
 * same socket (getPeerCertificate comes back empty). Empty for a resumed session without the
 * certificate (tls-session-der.ts) or a server that sent none.
 */
export function presentedChain(socket: TLSSocket): ChainCert[] {
  const chain: ChainCert[] = [];
  const seen = new Set<string>();
  for (let c = socket.getPeerX509Certificate(); c !== undefined && chain.length < MAX_CHAIN; c = c.issuerCertificate) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    const validFrom = Date.parse(c.validFrom);
    const validTo = Date.parse(c.validTo);
    if (Number.isNaN(validFrom) || Number.isNaN(validTo)) break;
    const role: ChainRole = chain.length === 0 ? 'leaf' : c.subject === c.issuer ? 'root' : 'intermediate';
    chain.push({ role, subject: nameOf(c.subject), issuer: nameOf(c.issuer), validFrom, validTo, x509: c });
  }
  return chain;
}

/** How results name a certificate: `certificate CN=a issued by CN=b`, `intermediate CN=b`, `root CN=c`. */
export function describeCert(cert: Pick<ChainCert, 'role' | 'subject' | 'issuer'>): string {
  return cert.role === 'leaf' ? `certificate ${cert.subject} issued by ${cert.issuer}` : `${cert.role} ${cert.subject}`;
}

/** The certificate that expires first (the leaf on a tie), or undefined for an empty chain. */
export function earliestExpiry(chain: readonly ChainCert[]): ChainCert | undefined {
  let first: ChainCert | undefined;
  for (const c of chain) if (first === undefined || c.validTo < first.validTo) first = c;
  return first;
}

/**
 * What a probe keeps of a chain beyond its handshake (a cached TLS session, a result): when it
 * stops validating and which certificate that is.
 */
export interface ChainExpiry {
  /** The earliest notAfter in the presented chain, epoch seconds. */
  expiry: number;
  /** {@link describeCert} of that certificate. */
  about: string;
}

/** The chain's {@link ChainExpiry}, or undefined for an empty chain. */
export function chainExpiry(chain: readonly ChainCert[]): ChainExpiry | undefined {
  const first = earliestExpiry(chain);
  return first && { expiry: Math.floor(first.validTo / 1000), about: describeCert(first) };
}
