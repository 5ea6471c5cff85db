/**
 * TLS sessions kept between HTTPS probes of the same endpoint, so most probes resume a session on
 * their fresh connection instead of paying a full handshake (about a third of an HTTPS probe's
 * CPU: docs/performance.md, the techniques kept). A resumed handshake does not show the certificate again, so:
 *
 * - a full handshake, with the chain and host name verified, happens at least every `maxAgeMs`
 *   (10 minutes) per endpoint, after any failed probe of it, and once the first certificate of
 *   the chain seen at the last full handshake to expire (leaf or intermediate) has expired;
 * - the expiry reported by a resumed probe is the chain's earliest seen at that full handshake,
 *   with the name of the certificate it belongs to (cert-chain.ts).
 *
 * Sessions are keyed by endpoint and trust (host, port, insecure, ca_file and the version of the
 * file, so a replaced file is verified anew), never shared between differently verified
 * connections. The `tls` check type never resumes: inspecting the
 * certificate is its job. A TLS 1.3 session is kept without the server's certificate, which a
 * resumed connection does not read and OpenSSL would decode on every resumption
 * (tls-session-der.ts), unless `keepCertificates()` was called.
 */
import { withoutPeerCertificate } from './tls-session-der.js';

/** What a resumed connection needs, and what it reports in place of the certificate. */
export interface CachedSession {
  session: Buffer;
  /**
   * Earliest expiry in the chain seen at the last full handshake (epoch seconds): an intermediate
   * that expires first ends the session's use as surely as the leaf.
   */
  certExpiry: number | undefined;
  /** Which certificate that is, as results name it (`intermediate CN=…`). */
  certAbout?: string;
  /** Whether the server's certificate was taken out of `session`. */
  withoutCertificate: boolean;
}

interface Entry extends CachedSession {
  /** When the last full (verified) handshake of this endpoint happened (epoch ms). */
  fullAt: number;
}

export const TLS_SESSION_MAX_AGE_MS = 10 * 60_000;
/** Endpoints remembered at most; the least recently saved go first. */
const MAX_ENTRIES = 50_000;

export class TlsSessions {
  private readonly entries = new Map<string, Entry>();
  private stripping = true;

  constructor(
    private readonly maxAgeMs = TLS_SESSION_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The session to resume, or undefined when the next handshake must be a full one. */
  get(key: string): CachedSession | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now - e.fullAt >= this.maxAgeMs || (e.certExpiry !== undefined && e.certExpiry * 1000 <= now)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * A session from a successful probe. After a full handshake `certExpiry` is the one just seen
   * and the age restarts; after a resumed one the age and the expiry carry over.
   */
  save(key: string, issued: Buffer, handshake: { resumed: false; certExpiry: number | undefined; certAbout?: string } | { resumed: true }): void {
    const prev = this.entries.get(key);
    if (handshake.resumed && !prev) return; // resumed from a session forgotten meanwhile: the next probe verifies in full
    const session = this.stripping ? withoutPeerCertificate(issued) : issued;
    const withoutCertificate = session !== issued;
    const { certExpiry, certAbout } = handshake.resumed ? prev! : handshake;
    const entry: Entry = {
      session,
      withoutCertificate,
      certExpiry,
      ...(certAbout !== undefined ? { certAbout } : {}),
      fullAt: handshake.resumed ? prev!.fullAt : this.now(),
    };
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /**
   * From now on, sessions keep the server's certificate, and those kept without it are forgotten:
   * for a Node that refused a resumed session without it as unverified. True the first time.
   */
  keepCertificates(): boolean {
    if (!this.stripping) return false;
    this.stripping = false;
    for (const [key, e] of this.entries) if (e.withoutCertificate) this.entries.delete(key);
    return true;
  }

  /** After a failure: the next probe of the endpoint does a full handshake. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
