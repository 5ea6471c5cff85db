/**
 * TLS probe: completes a handshake without rejecting anything, then judges the certificate itself,
 * so a result names the precise problem (expired, untrusted, wrong host, expiring soon) and always
 * carries the expiry date, where a rejecting handshake would only say "failed".
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkServerIdentity, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import type { TlsCheckConfig } from '../config/schema.js';
import { CODES, codeForError } from './codes.js';
import { connectStage, errorMessage, loadTrust, openConnection, since, timedOut } from './connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';
import { withKey } from '../with-key.js';

const DAY_MS = 86_400_000;

/** `CN=x` of a certificate name, falling back to O; names may repeat, hence arrays. */
function nameOf(name: PeerCertificate['subject'] | undefined): string {
  const pick = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('+') : v);
  const cn = pick(name?.CN);
  if (cn) return `CN=${cn}`;
  const o = pick(name?.O);
  return o ? `O=${o}` : 'an unnamed subject';
}

/**
 * Probes a TLS endpoint's certificate. Resolves (never rejects) with up (OK), degraded
 * TLS_CERT_EXPIRING, down TLS_CERT_EXPIRED / TLS_CERT_NOT_YET_VALID / TLS_CERT_UNTRUSTED /
 * TLS_HOSTNAME_MISMATCH / TLS_HANDSHAKE_FAILED, CONFIG (unreadable ca_file), or a connection code.
 */
export const tlsProbe: ProbeFn<TlsCheckConfig> = async (check, ctx) => {
  const observedAt = Date.now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const target = `${check.host}:${check.port}`;
  let tlsCertExpiry: number | undefined;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => ({
    status,
    code,
    detail,
    phases: withKey(phases, 'total', since(t0)),
    observedAt,
    ...(tlsCertExpiry !== undefined ? { tlsCertExpiry } : {}),
  });

  let trust: SecureContext | undefined;
  try {
    trust = await loadTrust(check.ca_file);
  } catch (err) {
    return result('down', CODES.CONFIG, `cannot read ca_file: ${errorMessage(err)}`);
  }
  const name = check.servername ?? check.host;
  let socket: TLSSocket | undefined;
  try {
    const conn = await openConnection({
      host: check.host,
      port: check.port,
      signal: ctx.signal,
      phases,
      tls: { servername: name, trust, rejectUnauthorized: false },
    });
    socket = conn.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    const validTo = Date.parse(cert?.valid_to ?? '');
    const validFrom = Date.parse(cert?.valid_from ?? '');
    if (!cert || Number.isNaN(validTo) || Number.isNaN(validFrom)) {
      return result('down', CODES.TLS_HANDSHAKE_FAILED, `${target} presented no usable certificate`);
    }
    tlsCertExpiry = Math.floor(validTo / 1000);
    const now = Date.now();
    const daysLeft = Math.floor((validTo - now) / DAY_MS);
    const about = `certificate ${nameOf(cert.subject)} issued by ${nameOf(cert.issuer)}`;
    const expires = new Date(validTo).toISOString().slice(0, 10);
    if (validTo < now) return result('down', CODES.TLS_CERT_EXPIRED, `${about} expired on ${expires} (${-daysLeft} days ago)`);
    if (validFrom > now) {
      return result('down', CODES.TLS_CERT_NOT_YET_VALID, `${about} is not valid before ${new Date(validFrom).toISOString()}`);
    }
    // Node folds the host name check into `authorized`; that one is judged separately below.
    const reason = socket.authorizationError ? String(socket.authorizationError) : undefined;
    if (!socket.authorized && reason !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return result('down', CODES.TLS_CERT_UNTRUSTED, `${about} is not trusted: ${reason ?? 'unknown reason'}`);
    }
    const mismatch = checkServerIdentity(name, cert);
    if (mismatch) return result('down', CODES.TLS_HOSTNAME_MISMATCH, `${about} does not cover ${name}: ${errorMessage(mismatch)}`);
    const summary = `${about}, ${daysLeft} days left (expires ${expires})`;
    if (daysLeft < check.expect.cert_valid_days) {
      return result('degraded', CODES.TLS_CERT_EXPIRING, `${summary}, fewer than ${check.expect.cert_valid_days}`);
    }
    return result('up', CODES.OK, summary);
  } catch (err) {
    const late = timedOut(ctx.signal);
    const code = codeForError(err, late);
    const stage = connectStage(phases, check.host, true);
    const why = late ? `no answer within ${ctx.timeoutMs} ms` : errorMessage(err);
    ctx.log.debug({ check: check.id, code, err: errorMessage(err) }, 'tls probe failed');
    return result('down', code, `${why} while ${stage} (${target}${isIP(name) === 0 && name !== check.host ? `, SNI ${name}` : ''})`);
  } finally {
    socket?.destroy();
  }
};
