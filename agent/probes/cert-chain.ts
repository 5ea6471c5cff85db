/**
 * The certification path of the certificate a TLS server presents, built from its leaf as a
 * verifier builds it, read once from the socket. A chain stops validating when any certificate on
 * it expires, not only the leaf: judged by its leaf alone, a server whose intermediate expires in
 * five days read UP, "364 days left", with the expiry metric and both certificate alerts silent,
 * until clients refused it. So the probes judge every certificate on the path (cert-verdict.ts) and
 * name the one they speak of. Only those: a certificate the server sends that is not on the path
 * (an unrelated expired CA left in its bundle, an old cross-signed root clients no longer need)
 * stops nothing, and judged as if it did, it read as the chain's expiry, fired the critical
 * certificate alert for good, kept TLS sessions from ever being resumed, and put a wrong reason in
 * a report to the authority.
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { issued } from './cert-issued.js';
import { socketAnchors, type TrustAnchors } from './trust-anchors.js';

/** Where a certificate sits in the chain: the server's own, an intermediate, or a (self-issued) root. */
export type ChainRole = 'leaf' | 'intermediate' | 'root';

/** One certificate on the certification path, with what the probes say about it. */
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

/** More than any real path holds: a guard against a cycle of cross-signatures. */
const MAX_CHAIN = 10;
/** Certificates read from the socket at most; servers that send a few stale ones still fit. */
const MAX_PRESENTED = 20;

/** `CN=x` of an X509Certificate name (one `KEY=value` a line), falling back to `O=`. */
export function nameOf(name: string): string {
  const lines = name.split('\n');
  const cn = lines.filter((l) => l.startsWith('CN=')).join('+');
  if (cn) return cn;
  const o = lines.filter((l) => l.startsWith('O=')).join('+');
  return o || 'an unnamed subject';
}

/**
 * The certification path from the presented leaf, leaf first, as a verifier with OpenSSL's
 * default (trusted-first) builds it: from each certificate, if one `trusted` holds issued it, the
 * path ends there; else the presented certificate that issued it comes next (preferring one valid
 * `now`, as OpenSSL does); the path also ends at a certificate no presented one issued, or a
 * self-issued one. "Issued" is names, key identifiers and signature (cert-issued.ts).
 *
 * So a root the agent trusts is not on it, sent or not: its expiry is this agent's business, not
 * the server's. A presented cross-signed copy of a trusted root is off the path too, as it is off
 * OpenSSL's. A root the server sends and the agent does not trust is on it, named as one: clients
 * that build their path through it stop validating when it expires.
 */
export function certificationPath(presented: readonly X509Certificate[], trusted: TrustAnchors, now: number): X509Certificate[] {
  const leaf = presented[0];
  if (leaf === undefined) return [];
  const path = [leaf];
  const used = new Set([leaf.fingerprint256]);
  for (let current = leaf; path.length < MAX_CHAIN;) {
    if (trusted.issuerOf(current, now) !== undefined || current.checkIssued(current)) break;
    let next: X509Certificate | undefined;
    for (const candidate of presented) {
      if (used.has(candidate.fingerprint256) || !issued(current, candidate)) continue;
      next ??= candidate;
      if (Date.parse(candidate.validFrom) <= now && now < Date.parse(candidate.validTo)) {
        next = candidate;
        break;
      }
    }
    if (next === undefined) break;
    path.push(next);
    used.add(next.fingerprint256);
    current = next;
  }
  return path;
}

/**
 * The certification path ({@link certificationPath}) of the chain the server presented, against
 * the trust the socket's handshake verified with (trust-anchors.ts), as ChainCerts. `now` is the
 * agent clock's wall-clock time (epoch ms), for choosing among presented issuers.
 *
 * Node's `issuerCertificate` links follow the order the server sent its certificates in, not who
 * issued whom: the second one sent is the first one's "issuer" whatever it is. So the presented
 * certificates are only read through them, and the path is built here.
 *
 * Reads the socket's peer certificate once, as an X509Certificate: in Node 20 that read leaves the
 * socket's copy of the chain without its leaf, so no second read of any kind may follow on the
 * same socket (getPeerCertificate comes back empty). Empty for a resumed session without the
 * certificate (tls-session-der.ts) or a server that sent none.
 */
export function presentedChain(socket: TLSSocket, now: number): ChainCert[] {
  const presented: X509Certificate[] = [];
  for (let c = socket.getPeerX509Certificate(); c !== undefined && presented.length < MAX_PRESENTED; c = c.issuerCertificate) presented.push(c);
  if (presented.length === 0) return []; // before the trust's certificates are asked for
  const chain: ChainCert[] = [];
  for (const c of certificationPath(presented, socketAnchors(socket), now)) {
    const validFrom = Date.parse(c.validFrom);
    const validTo = Date.parse(c.validTo);
    if (Number.isNaN(validFrom) || Number.isNaN(validTo)) break;
    const role: ChainRole = chain.length === 0 ? 'leaf' : c.checkIssued(c) ? 'root' : 'intermediate';
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
 * What a probe keeps of a chain beyond its handshake (a cached TLS session, a result): when its
 * certification path stops validating and which certificate that is.
 */
export interface ChainExpiry {
  /** The earliest notAfter on the certification path, epoch seconds. */
  expiry: number;
  /** {@link describeCert} of that certificate. */
  about: string;
}

/** The chain's {@link ChainExpiry}, or undefined for an empty chain. */
export function chainExpiry(chain: readonly ChainCert[]): ChainExpiry | undefined {
  const first = earliestExpiry(chain);
  return first && { expiry: Math.floor(first.validTo / 1000), about: describeCert(first) };
}
