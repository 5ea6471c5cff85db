/**
 * A cached TLS 1.3 session without the server's certificate in it, so that resuming it costs
 * OpenSSL less: ~175 µs per resumed HTTPS probe on Node 20 (OpenSSL 3.0), ~40 µs on Node 22
 * (docs/performance.md, the techniques kept).
 *
 * Node resumes a session only from bytes: OpenSSL's DER encoding of SSL_SESSION, which carries
 * the server's leaf certificate ([3] EXPLICIT, optional), and OpenSSL decodes that certificate,
 * public key and all, on every `setSession`. A resumed connection never reads it:
 *
 * - In TLS 1.3 the server proves itself on resumption with the pre-shared key that the session
 *   holds; it sends no certificate, and OpenSSL checks none.
 * - Node skips the host-name check for any resumed connection. Its verification result comes from
 *   the session: the one stored there ([5], present only when verification failed) when the
 *   session has a certificate; for a resumed TLS 1.3 session without one, "verified"
 *   (`VerifyPeerCertificate` in Node's crypto code).
 * - The probe reports the expiry seen at the session's full handshake (tls-sessions.ts).
 *
 * So only a session whose full handshake verified is stripped: one that carries a failed result
 * (from an `insecure` check) keeps its certificate, and with it Node's own check of that result on
 * resumption. Sessions are keyed by trust anyway, so no check resumes another's. A TLS 1.2 session
 * keeps its certificate too: there Node reads the verification result only when the session has
 * one, and a session without would fail as unverified. Node 20 hands out the bare DER; Node 22
 * wraps it in an envelope that binds it to the server name (`\0nodejs:tls:session:1\0`, the
 * name's length in two bytes, the name), which is kept as it is around the shorter DER. Anything
 * else comes back unchanged, and so is resumed as before.
 *
 * Should a Node refuse the stripped session as unverified, http.ts retries the connection with a
 * full handshake and has TlsSessions keep certificates from then on.
 */

/** Node 22's envelope, version 1: this, the server name's length (2 bytes, big-endian), the name, the DER. */
const ENVELOPE = Buffer.from('\0nodejs:tls:session:1\0', 'latin1');
/** The session's ssl_version field for TLS 1.3. */
const TLS1_3 = 0x0304;
/** Context-specific, constructed, tag 3: the peer certificate's field in OpenSSL's SSL_SESSION_ASN1. */
const PEER_CERTIFICATE = 0xa3;
/** Tag 5: the verification result, left out when it is X509_V_OK. */
const VERIFY_RESULT = 0xa5;

interface Element {
  tag: number;
  /** Offset of the value. */
  start: number;
  /** Offset just past the value. */
  end: number;
}

/**
 * The DER element at `at`, or undefined when its header or value runs past `limit` or its length
 * is indefinite (0x80) or takes more than three bytes (no session is 16 MiB).
 */
function element(der: Buffer, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > limit) return undefined;
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + len;
  return end <= limit ? { tag, start, end } : undefined;
}

/** DER length octets for `len` (below 16 MiB). */
function lengthOctets(len: number): number[] {
  if (len < 0x80) return [len];
  if (len < 0x100) return [0x81, len];
  if (len < 0x10000) return [0x82, len >> 8, len & 0xff];
  return [0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
}

/**
 * `session` without its peer certificate when it is a TLS 1.3 session in OpenSSL's DER, bare or in
 * Node 22's envelope; otherwise `session` itself.
 */
export function withoutPeerCertificate(session: Buffer): Buffer {
  const wrapped = session.length >= ENVELOPE.length + 2 && session.compare(ENVELOPE, 0, ENVELOPE.length, 0, ENVELOPE.length) === 0;
  if (!wrapped) return derWithoutPeer(session);
  const der = ENVELOPE.length + 2 + session.readUInt16BE(ENVELOPE.length);
  if (der > session.length) return session;
  const inner = session.subarray(der);
  const stripped = derWithoutPeer(inner);
  return stripped === inner ? session : concat([session.subarray(0, der), stripped]);
}

/** OpenSSL's DER of a session without the peer certificate, or `session` itself (see above). */
function derWithoutPeer(session: Buffer): Buffer {
  const outer = element(session, 0, session.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== session.length) return session;
  let tls13 = false;
  let peer: { from: number; to: number } | undefined;
  let at = outer.start;
  for (let index = 0; at < outer.end; index++) {
    const e = element(session, at, outer.end);
    if (!e) return session;
    // The second field is the protocol version, an INTEGER: 0x0304 for TLS 1.3.
    if (index === 1) {
      if (e.tag !== 0x02 || e.end - e.start !== 2 || session.readUInt16BE(e.start) !== TLS1_3) return session;
      tls13 = true;
    }
    if (e.tag === VERIFY_RESULT) return session; // verification failed: keep Node's check of it
    if (e.tag === PEER_CERTIFICATE) peer = { from: at, to: e.end };
    at = e.end;
  }
  if (!tls13 || !peer) return session;
  const before = session.subarray(outer.start, peer.from);
  const after = session.subarray(peer.to);
  return concat([Buffer.from([0x30, ...lengthOctets(before.length + after.length)]), before, after]);
}

/**
 * The pieces in a Buffer of their own. Buffer.concat takes a small result from Node's shared 8 KiB
 * pool, and a cached session would then keep a whole pool block alive for as long as it is kept.
 */
function concat(pieces: Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(pieces.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const p of pieces) at += p.copy(out, at);
  return out;
}
