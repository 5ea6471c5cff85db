/**
 * One judgement of a presented certificate chain for every probe, so the same fault gets the same
 * code and sentence whichever probe saw it: an expired intermediate was TLS_CERT_UNTRUSTED from the
 * `tls` probe and TLS_CERT_EXPIRED (without saying which certificate) from an HTTPS one.
 *
 * - {@link certificateRefusal}: why a handshake's verification failed (down), naming the certificate;
 *   {@link refusedCertificate} raises it for a verifying connection (connect.ts).
 * - {@link expiryVerdict}: how long the chain has left, judged against `cert_valid_days` (degraded).
 * - {@link timeLeft}: the one wording of a remaining time (days, under two days hours, under an
 *   hour minutes), so "4 days left" is never said of 4 days 23 hours, nor "1 days" of 47 hours.
 */
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { type ChainCert, type ChainExpiry, chainExpiry, describeCert, presentedChain } from './cert-chain.js';
import { CODES, type ResultCode } from './codes.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A span in the largest unit that still says enough: `12 days`, `47 hours`, `1 hour`, `59 minutes`. */
export function timeLeft(ms: number): string {
  const span = Math.max(0, ms);
  if (span >= 2 * DAY_MS) return `${Math.floor(span / DAY_MS)} days`;
  const [n, unit] = span >= HOUR_MS ? [Math.floor(span / HOUR_MS), 'hour'] : [Math.floor(span / MINUTE_MS), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * `intermediate CN=x, 4 days left (expires 2026-12-12)`, or for one past its date
 * `intermediate CN=x expired on 2026-12-12 (3 hours ago)`.
 */
export function expiryText(about: string, validTo: number, now: number): string {
  return validTo > now
    ? `${about}, ${timeLeft(validTo - now)} left (expires ${day(validTo)})`
    : `${about} expired on ${day(validTo)} (${timeLeft(now - validTo)} ago)`;
}

/** Node's reason for a certificate that fails only the host name check. */
const ALTNAME = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** Result codes of the verification errors that are not about trust (the rest are TLS_CERT_UNTRUSTED). */
const BY_REASON: Readonly<Record<string, ResultCode>> = {
  CERT_HAS_EXPIRED: CODES.TLS_CERT_EXPIRED,
  CERT_NOT_YET_VALID: CODES.TLS_CERT_NOT_YET_VALID,
  [ALTNAME]: CODES.TLS_HOSTNAME_MISMATCH,
};

/** Why a chain was refused: the result code, a sentence, and the chain's earliest expiry for the metric. */
export interface Refusal {
  code: ResultCode;
  detail: string;
  expiry: ChainExpiry | undefined;
}

/**
 * Why the handshake's verification failed, or undefined when it passed. `authorizationError` is
 * the socket's (Node folds the host name check into it, as ERR_TLS_CERT_ALTNAME_INVALID, when the
 * chain itself verified); `host` is the name the certificate had to cover.
 *
 * An expired (or not yet valid) certificate anywhere on the certification path of a refused
 * handshake is TLS_CERT_EXPIRED (TLS_CERT_NOT_YET_VALID), the first one from the leaf named: that
 * is the fault to fix, whichever error OpenSSL met first. A certificate the server sent off the
 * path (cert-chain.ts) is not in `chain`, so it is never named as the reason for a refusal.
 */
export function certificateRefusal(chain: readonly ChainCert[], authorizationError: string | undefined, host: string, now: number): Refusal | undefined {
  if (authorizationError === undefined) return undefined;
  const expiry = chainExpiry(chain);
  const refuse = (code: ResultCode, detail: string): Refusal => ({ code, detail, expiry });
  const leaf = chain[0];
  // A resumed session without the certificate (tls-session-der.ts): the reason is all there is.
  if (!leaf)
    return refuse(
      BY_REASON[authorizationError] ?? CODES.TLS_CERT_UNTRUSTED,
      `the server's certificate was refused (${authorizationError}) on a resumed session, which does not show it again`,
    );
  const about = describeCert(leaf);
  if (authorizationError === ALTNAME) {
    // The chain verified (Node checks the name only then), so no date in it is at fault.
    const mismatch = checkServerIdentity(host, leaf.x509.toLegacyObject());
    return refuse(CODES.TLS_HOSTNAME_MISMATCH, `${about} does not cover ${host}: ${mismatch ? mismatch.message.replace(/\s+/g, ' ') : authorizationError}`);
  }
  const expired = chain.find((c) => c.validTo <= now);
  if (expired) return refuse(CODES.TLS_CERT_EXPIRED, expiryText(describeCert(expired), expired.validTo, now));
  const early = chain.find((c) => c.validFrom > now);
  if (early) return refuse(CODES.TLS_CERT_NOT_YET_VALID, `${describeCert(early)} is not valid before ${new Date(early.validFrom).toISOString()}`);
  // Dates the verifier refused on a certificate the server did not send: a root of this agent's trust.
  if (authorizationError === 'CERT_HAS_EXPIRED')
    return refuse(CODES.TLS_CERT_EXPIRED, `${about} chains to a trusted root that has expired (${authorizationError})`);
  if (authorizationError === 'CERT_NOT_YET_VALID')
    return refuse(CODES.TLS_CERT_NOT_YET_VALID, `${about} chains to a trusted root not valid yet (${authorizationError})`);
  return refuse(CODES.TLS_CERT_UNTRUSTED, `${about} is not trusted: ${authorizationError}`);
}

/** A verified chain's expiry, judged: degraded when it has fewer than `validDays` whole days left. */
export interface ExpiryVerdict {
  degraded: boolean;
  /** `intermediate CN=x, 47 hours left (expires …)`, with `, fewer than 14 days` when degraded. */
  detail: string;
}

/**
 * The expiry of a chain that verified: `cert` is its earliest (cert-chain.ts), `validDays` the
 * check's `cert_valid_days` (undefined: never degraded). Days are whole days left, rounded down,
 * as the option counts them. A certificate already past its date here is on the path as this
 * agent builds it (cert-chain.ts) although the verifier accepted the connection, so it built
 * another: degraded, not down, since clients that build that other path still connect, but said
 * plainly.
 */
export function expiryVerdict(cert: ChainExpiry, validDays: number | undefined, now: number, insecure = false): ExpiryVerdict {
  const validTo = cert.expiry * 1000;
  const text = expiryText(cert.about, validTo, now);
  if (validTo <= now) {
    // Expired yet connected: the path went around it, or (insecure: true) nothing was verified.
    const why = insecure
      ? '; certificate not verified (insecure: true)'
      : ' (the connection was accepted without it; clients that build their chain through it fail)';
    return { degraded: validDays !== undefined, detail: `${text}${why}` };
  }
  const degraded = validDays !== undefined && Math.floor((validTo - now) / DAY_MS) < validDays;
  return { degraded, detail: degraded ? `${text}, fewer than ${validDays} days` : text };
}

/**
 * Thrown by a verifying connection (connect.ts) for a chain it refuses. `code` is the result code
 * itself (codeForError passes it on), the message the sentence, and `expiry` what the chain
 * showed, so a refused HTTPS probe still exports the expiry that refused it.
 */
export class CertificateRefused extends Error {
  readonly code: ResultCode;
  readonly expiry: ChainExpiry | undefined;

  constructor(refusal: Refusal) {
    super(refusal.detail);
    this.name = 'CertificateRefused';
    this.code = refusal.code;
    this.expiry = refusal.expiry;
  }
}

/**
 * The refusal of a completed handshake whose verification failed (Node's `authorized` is false),
 * or undefined when it passed. Reads the peer's chain only then: a verified connection's chain is
 * still unread for its owner (cert-chain.ts: one read a socket).
 */
export function refusedCertificate(socket: TLSSocket, host: string, now: number): CertificateRefused | undefined {
  if (socket.authorized) return undefined;
  const reason = socket.authorizationError as unknown; // typed Error by @types/node, a code string at run time
  const refusal = certificateRefusal(presentedChain(socket, now), reason ? String(reason) : 'unknown reason', host, now);
  return refusal && new CertificateRefused(refusal);
}
