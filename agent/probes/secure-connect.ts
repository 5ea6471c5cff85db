/**
 * A verified TLS connection that resumes the endpoint's session as HTTPS probes do (tls-sessions.ts),
 * for the probes that speak over TLS after the handshake (grpc, websocket). The rules are the HTTP
 * probe's: a full, verified handshake at least every 10 minutes per endpoint and after any failure
 * (the caller forgets the session), the chain's earliest expiry carried over from the last full
 * handshake, and, should this Node refuse a session kept without the server certificate, one full
 * handshake at once and certificates kept in sessions from then on.
 */
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { type ChainExpiry, chainExpiry, presentedChain } from './cert-chain.js';
import { codeForError } from './codes.js';
import { type Connection, errorMessage, openConnection, trustVersion } from './connect.js';
import type { TlsSessions } from './tls-sessions.js';
import type { ProbePhases } from './types.js';

export interface SecureEndpoint {
  /** What kind of connection, so sessions of differently spoken protocols (ALPN) are kept apart. */
  kind: string;
  host: string;
  port: number;
  /** SNI and the name verified; `host` when absent. */
  servername: string | undefined;
  trust: SecureContext | undefined;
  insecure: boolean;
  alpn: string[];
  /** Sessions to resume; undefined for a full handshake every time (tls_resume: false). */
  sessions: TlsSessions | undefined;
  signal: AbortSignal;
  phases: Partial<ProbePhases>;
  clock: Clock;
  log: Logger;
}

export interface SecureConnection extends Connection {
  socket: TLSSocket;
  /** The presented chain's earliest expiry: this handshake's, or the last full one's when resumed. */
  cert: ChainExpiry | undefined;
  /** Keeps the session the server issued for the next probe; call once the probe succeeded. */
  keep(): void;
  /** Drops the endpoint's session: the next probe verifies in a full handshake. Call on failure. */
  forget(): void;
}

/** The session key: kind, endpoint, name and trust (a replaced ca_file is verified anew). */
function sessionKey(ep: SecureEndpoint, caFile: string | undefined): string {
  return `${ep.kind}|${ep.host}:${ep.port}|${ep.servername ?? ''}|${ep.insecure ? 'insecure' : 'verified'}|${caFile ?? ''}|${trustVersion(ep.trust)}`;
}

/**
 * Opens a TLS connection to `ep`, resuming its session when one is kept. Rejects as openConnection
 * does (a CertificateRefused for a chain that fails verification unless `insecure`).
 */
export async function openSecure(ep: SecureEndpoint, caFile: string | undefined): Promise<SecureConnection> {
  const key = ep.sessions ? sessionKey(ep, caFile) : undefined;
  const cached = key ? ep.sessions!.get(key) : undefined;
  let issued: Buffer | undefined;
  const connect = (session: Buffer | undefined) =>
    openConnection({
      host: ep.host,
      port: ep.port,
      signal: ep.signal,
      phases: ep.phases,
      tls: {
        ...(ep.servername !== undefined ? { servername: ep.servername } : {}),
        trust: ep.trust,
        rejectUnauthorized: !ep.insecure,
        alpn: ep.alpn,
        ...(session ? { session } : {}),
        ...(key ? { onSession: (s: Buffer) => (issued = s) } : {}),
        clock: ep.clock,
      },
    });
  let conn: Connection;
  try {
    conn = await connect(cached?.session);
  } catch (err) {
    // As in http.ts: a session without the server certificate refused in TLS is the runtime's
    // doing, not the endpoint's; a full handshake decides.
    if (!cached?.withoutCertificate || !codeForError(err, false).startsWith('TLS_')) {
      if (key) ep.sessions!.forget(key);
      throw err;
    }
    issued = undefined;
    conn = await connect(undefined);
    if (ep.sessions!.keepCertificates()) {
      ep.log.warn(
        { err: errorMessage(err), host: `${ep.host}:${ep.port}` },
        'a resumed TLS session without the server certificate was refused, and a full handshake passed: cached sessions keep certificates from now on',
      );
    }
  }
  const socket = conn.socket as TLSSocket;
  const resumed = cached !== undefined && socket.isSessionReused();
  const cert: ChainExpiry | undefined = resumed
    ? cached.certExpiry !== undefined
      ? { expiry: cached.certExpiry, about: cached.certAbout ?? 'the certificate' }
      : undefined
    : chainExpiry(presentedChain(socket, ep.clock.now()));
  return {
    socket,
    address: conn.address,
    cert,
    keep: () => {
      if (!key || !issued) return;
      ep.sessions!.save(key, issued, resumed ? { resumed } : { resumed, certExpiry: cert?.expiry, ...(cert ? { certAbout: cert.about } : {}) });
    },
    forget: () => {
      if (key) ep.sessions!.forget(key);
    },
  };
}
