/**
 * The certificates a probe's trust holds, so the certification path (cert-chain.ts) can end where
 * a verifier's ends: at the first certificate a trusted one issued. Without them a probe judged
 * every certificate the server sent, and an expired cross-signed root the server still sends (the
 * path validates through the newer trusted root) read as the chain's expiry: a permanent
 * certificate alert, no TLS session ever resumed, and a wrong reason in a report.
 *
 * A context from {@link trustContext} (what `loadTrust` builds for a `ca_file`) trusts Node's
 * bundled roots plus the file; any other context, or none, is Node's default trust. The PEM is
 * parsed into X509Certificate objects once per context, lazily, at the first full handshake that
 * needs it, never per probe: ~130 µs a certificate on Node 20 (OpenSSL 3.0), ~30 µs on Node 22,
 * so ~20 ms (Node 20) for the 144 bundled roots, parsed once for every context, more for the
 * default trust when NODE_EXTRA_CA_CERTS adds a system bundle, and a `ca_file`'s own few.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { issued } from './cert-issued.js';

/** Trusted certificates by {@link nameKey} of their subject. */
type NameIndex = Map<string, X509Certificate[]>;

/**
 * A subject or issuer name as an index key: Node's text of the name in lower case, white space
 * collapsed. OpenSSL compares names in a canonical form (ASCII lower case, white space collapsed,
 * any string type), so two names it takes as equal give the same key here; the key only finds
 * candidates, and `checkIssued` decides.
 */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Every certificate of a PEM text (OpenSSL skips anything else in a CA file, and so does this). */
function parsePem(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // One bad block in a CA file does not make OpenSSL refuse the rest, nor does it here.
    }
  }
  return out;
}

function indexOf(pems: readonly string[]): NameIndex {
  const index: NameIndex = new Map();
  for (const cert of pems.flatMap(parsePem)) {
    const key = nameKey(cert.subject);
    const list = index.get(key);
    if (list) list.push(cert);
    else index.set(key, [cert]);
  }
  return index;
}

/** What trust can say about one certificate. */
export interface TrustAnchors {
  /**
   * A trusted certificate that issued `cert` (name, key identifiers, key usage and signature), or
   * undefined. One valid now is preferred, as OpenSSL prefers one when it looks up an issuer.
   */
  issuerOf(cert: X509Certificate, now: number): X509Certificate | undefined;
}

function anchors(indexes: readonly NameIndex[]): TrustAnchors {
  return {
    issuerOf(cert, now) {
      const key = nameKey(cert.issuer);
      let found: X509Certificate | undefined;
      for (const index of indexes) {
        for (const candidate of index.get(key) ?? []) {
          if (!issued(cert, candidate)) continue;
          if (Date.parse(candidate.validFrom) <= now && now < Date.parse(candidate.validTo)) return candidate;
          found ??= candidate;
        }
      }
      return found;
    },
  };
}

/**
 * What Node's default context trusts beyond its bundled roots: NODE_EXTRA_CA_CERTS, and the
 * system store when Node is told to use it. Node 22.15 and later say so; Node 20 cannot, so there
 * the file NODE_EXTRA_CA_CERTS names is read as Node read it at start-up (nothing when unreadable:
 * Node then only warned, and trusts nothing more).
 */
function defaultExtras(): string[] {
  const getCACertificates = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  if (getCACertificates) {
    const bundledPems = new Set(tls.rootCertificates);
    return getCACertificates('default').filter((pem) => !bundledPems.has(pem));
  }
  const file = process.env['NODE_EXTRA_CA_CERTS'];
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

let bundledIndex: NameIndex | undefined;
let defaultAnchors: TrustAnchors | undefined;
const bundled = () => (bundledIndex ??= indexOf(tls.rootCertificates));

/** The PEM of each context trustContext built, and its anchors once a handshake asked for them. */
const contexts = new WeakMap<tls.SecureContext, { pem: string; anchors?: TrustAnchors }>();

/**
 * A context trusting Node's bundled roots plus the certificates of `pem`, because a `ca_file`
 * *adds* trust (Node's `ca` option alone would replace the store). Built here, not by the caller,
 * so that what a handshake verifies against and what {@link trustAnchors} knows are one list.
 */
export function trustContext(pem: string): tls.SecureContext {
  const context = tls.createSecureContext({ ca: [...tls.rootCertificates, pem] });
  contexts.set(context, { pem });
  return context;
}

/** The anchors of a context from {@link trustContext}; of Node's default trust for any other, or none. */
export function trustAnchors(context: tls.SecureContext | undefined): TrustAnchors {
  const entry = context && contexts.get(context);
  if (!entry) return (defaultAnchors ??= anchors([bundled(), indexOf(defaultExtras())]));
  return (entry.anchors ??= anchors([bundled(), indexOf([entry.pem])]));
}

/**
 * Which trust each socket's handshake was verified against, for the probes that read its chain
 * later (cert-chain.ts): set where the socket is made (connect.ts), so a path is never built
 * against other trust than the handshake's.
 */
const socketTrust = new WeakMap<tls.TLSSocket, tls.SecureContext>();

/** Records that `socket` verifies against `context` (undefined: Node's default trust). */
export function verifiesWith(socket: tls.TLSSocket, context: tls.SecureContext | undefined): void {
  if (context) socketTrust.set(socket, context);
}

/** The anchors `socket` verified against. */
export function socketAnchors(socket: tls.TLSSocket): TrustAnchors {
  return trustAnchors(socketTrust.get(socket));
}
