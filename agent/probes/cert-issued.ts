/**
 * Whether one certificate issued another, as the certification path (cert-chain.ts) needs it:
 * names, key identifiers and key usage as OpenSSL matches them (`checkIssued`), and the signature
 * (`verify`), so a certificate that merely bears the issuer's name is not taken for it.
 *
 * The signature check is the costly part, and it runs for each link of the path at every full
 * handshake: ~22 µs with an RSA-2048 key, ~70 µs RSA-4096 or P-256, ~510 µs P-384 (a third of the
 * bundled roots, and the issuers of many ECDSA intermediates) on Node 20 and 22 alike. Its answer
 * depends on the two certificates only, so it is kept, by their SHA-256 fingerprints, for the
 * {@link MAX_KEPT} pairs used last: the same links come back at every full handshake of an
 * endpoint, and most intermediates and roots are shared by many endpoints.
 */
import type { X509Certificate } from 'node:crypto';
import { Lru } from '../lru.js';

/**
 * Pairs kept at most, about 2.5 MB of keys when full: more than the distinct links of the 10,000
 * checks an agent is sized for (one leaf each, shared intermediates). Past it, the pair used
 * longest ago goes, and a link no longer kept is verified again.
 */
export const MAX_KEPT = 10_000;
const verified = new Lru<boolean>(MAX_KEPT);

/** The signature check; false for a key Node cannot read (it throws for some algorithms). */
function verifies(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Whether `issuer` issued `subject`: names and key identifiers, then the signature. */
export function issued(subject: X509Certificate, issuer: X509Certificate): boolean {
  return subject.checkIssued(issuer) && verified.get(`${subject.fingerprint256}/${issuer.fingerprint256}`, () => verifies(subject, issuer));
}
