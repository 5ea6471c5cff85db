/**
 * Where a check goes on the network, and whether a result proves the agent got there. The blind
 * guard (connectivity.ts) reads these: an answer from a service's host shows the agent can see the
 * network, a failure before any answer (no name, no route, no connection, silence) shows nothing,
 * and a check of a loopback address needs no network at all.
 */
import { isIP } from 'node:net';
import { splitHostPort, unbracket } from '../config/fields.js';
import type { CheckConfig, CheckType } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';

/** The system's resolvers, as the host of a DNS check that names no `server`. */
export const SYSTEM_RESOLVER = '(system resolver)';

/** The host a check reaches out to, lower-cased: what "distinct hosts" counts. */
export function targetHost(check: CheckConfig): string {
  switch (check.type) {
    case 'http':
      return unbracket(new URL(check.url).hostname).toLowerCase();
    case 'tcp':
    case 'tls':
      return check.host.toLowerCase();
    case 'dns':
      return check.server === undefined ? SYSTEM_RESOLVER : (splitHostPort(check.server, 53)?.host ?? check.server).toLowerCase();
  }
}

/** localhost, *.localhost (RFC 6761), 127.0.0.0/8 and ::1: nothing on the network stands between. */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){1,7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** Whether reaching `host` takes a DNS lookup (a name, not an address, and not loopback). */
export function needsDns(host: string): boolean {
  return host === SYSTEM_RESOLVER || (isIP(unbracket(host)) === 0 && !isLoopbackHost(host));
}

/**
 * Failures that still prove an answer came from the far side: a certificate was presented, a
 * banner read, a plain answer to a TLS hello. Everything else that fails (no name, refused,
 * reset, unreachable, timeout, a handshake that never completed) proves nothing: a cut of the
 * agent's own network, or a firewall in front of it, fails in exactly those ways.
 */
const ANSWERED = new Set<string>([
  'TLS_CERT_EXPIRED',
  'TLS_CERT_EXPIRING',
  'TLS_CERT_NOT_YET_VALID',
  'TLS_CERT_UNTRUSTED',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_PLAINTEXT_ANSWER',
  'TCP_BANNER_MISMATCH',
]);

/** Gateway errors: a proxy in between answered that it could not reach the host, as one does in a cut. */
const GATEWAY_STATUS = new Set([502, 504]);

/**
 * Whether `result` shows the check's host answered: up, degraded, an HTTP status (but a gateway
 * error), or ANSWERED. A DNS check's answer never does: a resolver answers from its cache.
 */
export function reachedHost(type: CheckType, result: ProbeResult): boolean {
  if (type === 'dns') return false;
  if (result.httpStatus !== undefined) return !GATEWAY_STATUS.has(result.httpStatus);
  return result.status !== 'down' || ANSWERED.has(result.code);
}
