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

/** The host of an alert check: it reaches out to nothing, Alertmanager sends to it. */
export const ALERTMANAGER = '(alertmanager)';

/** The host a check reaches out to, lower-cased: what "distinct hosts" counts. */
export function targetHost(check: CheckConfig): string {
  switch (check.type) {
    case 'http':
      return unbracket(new URL(check.url).hostname).toLowerCase();
    case 'tcp':
    case 'tls':
    case 'icmp':
      return check.host.toLowerCase();
    case 'grpc':
      return unbracket(splitHostPort(check.target)?.host ?? check.target).toLowerCase();
    case 'websocket':
      return unbracket(new URL(check.url).hostname).toLowerCase();
    case 'dns':
      return check.server === undefined ? SYSTEM_RESOLVER : (splitHostPort(check.server, 53)?.host ?? check.server).toLowerCase();
    case 'alert':
      return ALERTMANAGER;
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
  return host === SYSTEM_RESOLVER || (host !== ALERTMANAGER && isIP(unbracket(host)) === 0 && !isLoopbackHost(host));
}

/**
 * Whether a check of this type can show the agent reaches the network. Not a DNS check (a resolver
 * answers from its cache) nor an alert check (Alertmanager sends to the agent; it proves nothing
 * of the agent's own reach).
 */
export function provesReach(type: CheckType): boolean {
  return type !== 'dns' && type !== 'alert';
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
  // The health service's own verdicts. Not GRPC_STATUS: a proxy on the agent's side turns its own
  // HTTP errors into grpc-status codes (INTERNAL, UNKNOWN, UNIMPLEMENTED) without reaching the host.
  'GRPC_NOT_SERVING',
  'GRPC_UNKNOWN',
  'GRPC_SERVICE_UNKNOWN',
]);

/**
 * Results that are not down and still prove nothing: the agent could not ask (no ping, ICMP not
 * permitted), so nothing came from anywhere. Degraded, as agent limits are, but no sight.
 */
const NOT_ASKED = new Set<string>(['ICMP_NOT_PERMITTED', 'ICMP_UNAVAILABLE']);

/** Whether the agent could not even ask (NOT_ASKED): nothing came from anywhere, whatever the status. */
export function notAsked(result: ProbeResult): boolean {
  return NOT_ASKED.has(result.code);
}

/** Gateway errors: a proxy in between answered that it could not reach the host, as one does in a cut. */
const GATEWAY_STATUS = new Set([502, 504]);

/**
 * Whether `result` shows the check's host answered: up, degraded, an HTTP status (but a gateway
 * error), or ANSWERED. Never for a type that cannot prove reach (provesReach).
 */
export function reachedHost(type: CheckType, result: ProbeResult): boolean {
  if (!provesReach(type)) return false;
  if (notAsked(result)) return false;
  if (result.httpStatus !== undefined) return !GATEWAY_STATUS.has(result.httpStatus);
  return result.status !== 'down' || ANSWERED.has(result.code);
}
