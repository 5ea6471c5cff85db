/**
 * TLS probe: completes a handshake without rejecting anything, then judges the certification path
 * of the presented chain itself (cert-verdict.ts, as HTTPS probes do), so a result names the
 * precise problem (expired, untrusted, wrong host, expiring soon) and the certificate it concerns,
 * and always carries the path's earliest expiry, where a rejecting handshake would only say "failed".
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext, TLSSocket } from 'node:tls';
import { systemClock } from '../clock.js';
import type { TlsCheckConfig } from '../config/schema.js';
import { chainExpiry, describeCert, presentedChain } from './cert-chain.js';
import { certificateRefusal, expiryVerdict } from './cert-verdict.js';
import { CODES, codeForError } from './codes.js';
import { connectStage, errorMessage, loadTrust, openConnection, since, timedOut } from './connect.js';
import type { ProbeFn, ProbePhases, ProbeResult, ProbeStatus } from './types.js';

/**
 * Probes a TLS endpoint's certificate. Resolves (never rejects) with up (OK), degraded
 * TLS_CERT_EXPIRING, down TLS_CERT_EXPIRED / TLS_CERT_NOT_YET_VALID / TLS_CERT_UNTRUSTED /
 * TLS_HOSTNAME_MISMATCH / TLS_HANDSHAKE_FAILED / TLS_PLAINTEXT_ANSWER, CONFIG (unreadable ca_file),
 * or a connection code.
 */
export const tlsProbe: ProbeFn<TlsCheckConfig> = async (check, ctx) => {
  const clock = ctx.clock ?? systemClock;
  const observedAt = clock.now();
  const t0 = performance.now();
  const phases: Partial<ProbePhases> = {};
  const target = `${check.host}:${check.port}`;
  let tlsCertExpiry: number | undefined;
  const result = (status: ProbeStatus, code: string, detail: string): ProbeResult => ({
    status,
    code,
    detail,
    phases: { ...phases, total: since(t0) },
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
    // The whole certification path: an intermediate that expires stops it validating as surely as the leaf.
    const now = clock.now();
    const chain = presentedChain(socket, now);
    const expiry = chainExpiry(chain);
    if (!expiry) return result('down', CODES.TLS_HANDSHAKE_FAILED, `${target} presented no usable certificate`);
    tlsCertExpiry = expiry.expiry;
    // Node folds the host name check into `authorized` (ERR_TLS_CERT_ALTNAME_INVALID) when the chain verified.
    const reason = socket.authorized ? undefined : String((socket.authorizationError as unknown) ?? 'unknown reason');
    const refusal = certificateRefusal(chain, reason, name, now);
    if (refusal) return result('down', refusal.code, refusal.detail);
    const verdict = expiryVerdict(expiry, check.expect.cert_valid_days, now);
    const leaf = describeCert(chain[0]!);
    const detail = expiry.about === leaf ? verdict.detail : `${leaf}; first to expire: ${verdict.detail}`;
    return verdict.degraded ? result('degraded', CODES.TLS_CERT_EXPIRING, detail) : result('up', CODES.OK, detail);
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
