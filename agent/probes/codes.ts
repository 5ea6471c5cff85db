/**
 * Stable result codes and the mapping from Node's error codes (errno, OpenSSL, llhttp) to them. A code, once
 * published, keeps its meaning: dashboards, alert rules and filed reports key on it.
 */
export const CODES = {
  OK: 'OK',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  ECONNREFUSED: 'ECONNREFUSED',
  ECONNRESET: 'ECONNRESET',
  EHOSTUNREACH: 'EHOSTUNREACH',
  ENETUNREACH: 'ENETUNREACH',
  DNS_NXDOMAIN: 'DNS_NXDOMAIN',
  DNS_NODATA: 'DNS_NODATA',
  DNS_SERVFAIL: 'DNS_SERVFAIL',
  DNS_REFUSED: 'DNS_REFUSED',
  DNS_TIMEOUT: 'DNS_TIMEOUT',
  DNS_ERROR: 'DNS_ERROR',
  DNS_RCODE: 'DNS_RCODE',
  DNS_ANSWER_MISMATCH: 'DNS_ANSWER_MISMATCH',
  HTTP_STATUS: 'HTTP_STATUS',
  HTTP_PROTOCOL_ERROR: 'HTTP_PROTOCOL_ERROR',
  HTTP_HEADERS_TOO_LARGE: 'HTTP_HEADERS_TOO_LARGE',
  HTTP_TOO_MANY_REDIRECTS: 'HTTP_TOO_MANY_REDIRECTS',
  HTTP_REDIRECT_LOOP: 'HTTP_REDIRECT_LOOP',
  BODY_MISMATCH: 'BODY_MISMATCH',
  JSON_MISMATCH: 'JSON_MISMATCH',
  HEADER_MISSING: 'HEADER_MISSING',
  /** The body, as sent or decoded, exceeds max_body_size, and the expectations fail on the part read (body-decode.ts). An agent limit. */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  /** A Content-Encoding the agent cannot decode, and the expectations fail on the body as sent. An agent limit. */
  HTTP_CONTENT_ENCODING_UNSUPPORTED: 'HTTP_CONTENT_ENCODING_UNSUPPORTED',
  /** The body is not valid data of its Content-Encoding (a browser fails such a page too). */
  HTTP_CONTENT_DECODING_FAILED: 'HTTP_CONTENT_DECODING_FAILED',
  SLOW: 'SLOW',
  /** An alert check: a matching alert from Alertmanager fires. */
  ALERT_FIRING: 'ALERT_FIRING',
  /** An alert check run where nothing receives alerts (a one-shot `raqib probe`). An agent limit. */
  ALERT_NO_SOURCE: 'ALERT_NO_SOURCE',
  /** An alert check while the configured watchdog alert is not heard: no verdict, the check keeps its state. */
  ALERT_SOURCE_SILENT: 'ALERT_SOURCE_SILENT',
  /** The TCP peer sent bytes, and not the expected banner. */
  TCP_BANNER_MISMATCH: 'TCP_BANNER_MISMATCH',
  /** The connection closed before the peer sent a byte (no answer; a firewall may do it too), while a banner was awaited. */
  TCP_CLOSED: 'TCP_CLOSED',
  TLS_CERT_EXPIRED: 'TLS_CERT_EXPIRED',
  TLS_CERT_EXPIRING: 'TLS_CERT_EXPIRING',
  TLS_CERT_NOT_YET_VALID: 'TLS_CERT_NOT_YET_VALID',
  TLS_CERT_UNTRUSTED: 'TLS_CERT_UNTRUSTED',
  TLS_HOSTNAME_MISMATCH: 'TLS_HOSTNAME_MISMATCH',
  TLS_HANDSHAKE_FAILED: 'TLS_HANDSHAKE_FAILED',
  /** The peer answered a TLS handshake without TLS: plain HTTP (or another protocol) on a TLS port. */
  TLS_PLAINTEXT_ANSWER: 'TLS_PLAINTEXT_ANSWER',
  /** gRPC health: the server answered NOT_SERVING for the service. */
  GRPC_NOT_SERVING: 'GRPC_NOT_SERVING',
  /** gRPC health: the server answered UNKNOWN (it does not know the service's status yet). */
  GRPC_UNKNOWN: 'GRPC_UNKNOWN',
  /** gRPC health: the server does not know the service (grpc-status 5 NOT_FOUND, or SERVICE_UNKNOWN). */
  GRPC_SERVICE_UNKNOWN: 'GRPC_SERVICE_UNKNOWN',
  /** gRPC: grpc-status 14 UNAVAILABLE, which a proxy in front answers when it cannot reach the server. */
  GRPC_UNAVAILABLE: 'GRPC_UNAVAILABLE',
  /** gRPC: grpc-status 4 DEADLINE_EXCEEDED, from the server or a proxy in front of it. */
  GRPC_DEADLINE_EXCEEDED: 'GRPC_DEADLINE_EXCEEDED',
  /** gRPC: any other grpc-status than OK (UNIMPLEMENTED: no health service, PERMISSION_DENIED, …). */
  GRPC_STATUS: 'GRPC_STATUS',
  /** gRPC: the peer does not speak gRPC over HTTP/2 (no h2 in ALPN, HTTP/1.1, a malformed answer). */
  GRPC_PROTOCOL_ERROR: 'GRPC_PROTOCOL_ERROR',
  /** WebSocket: the server answered 101 without a valid handshake (Upgrade, Sec-WebSocket-Accept). */
  WS_HANDSHAKE_INVALID: 'WS_HANDSHAKE_INVALID',
  /** WebSocket: the first message does not contain or match what is expected. */
  WS_MESSAGE_MISMATCH: 'WS_MESSAGE_MISMATCH',
  /** WebSocket: no message within the timeout after the handshake. */
  WS_NO_MESSAGE: 'WS_NO_MESSAGE',
  /** WebSocket: the server closed the connection (or sent a close frame) before a message came. */
  WS_CLOSED: 'WS_CLOSED',
  /** WebSocket: a frame that breaks RFC 6455 (masked by the server, reserved bits, a bad length). */
  WS_PROTOCOL_ERROR: 'WS_PROTOCOL_ERROR',
  /** WebSocket: the first message is longer than the agent reads, and the part read does not match. An agent limit. */
  WS_MESSAGE_TOO_LARGE: 'WS_MESSAGE_TOO_LARGE',
  /** ICMP: no echo reply within the timeout. */
  ICMP_NO_REPLY: 'ICMP_NO_REPLY',
  /** ICMP: an ICMP error (destination unreachable, time exceeded) came instead, from a router or the agent's own host. */
  ICMP_UNREACHABLE: 'ICMP_UNREACHABLE',
  /** ICMP: the agent may not send echo requests (no CAP_NET_RAW, net.ipv4.ping_group_range, a local firewall). An agent limit. */
  ICMP_NOT_PERMITTED: 'ICMP_NOT_PERMITTED',
  /** ICMP: the agent has no usable ping (iputils-ping) to send echo requests with. An agent limit. */
  ICMP_UNAVAILABLE: 'ICMP_UNAVAILABLE',
  CONFIG: 'CONFIG',
  ERROR: 'ERROR',
} as const;

export type ResultCode = (typeof CODES)[keyof typeof CODES];

/**
 * Failures that are the agent's limits, not the service's: the agent could not read all of an
 * answer that did arrive (too large for max_body_size or the WebSocket message cap, or in a coding
 * this Node cannot decode), so it cannot say the expected content is missing; or it could not ask
 * at all (no ping, ICMP not permitted). A probe reports them degraded, which never opens an
 * incident: a page every browser reads must not be filed as an outage.
 */
export const AGENT_LIMIT_CODES: ReadonlySet<string> = new Set<ResultCode>([
  CODES.BODY_TOO_LARGE,
  CODES.HTTP_CONTENT_ENCODING_UNSUPPORTED,
  CODES.WS_MESSAGE_TOO_LARGE,
  CODES.ICMP_NOT_PERMITTED,
  CODES.ICMP_UNAVAILABLE,
]);

const PUBLISHED: ReadonlySet<string> = new Set(Object.values(CODES));

const BY_ERRNO: Record<string, ResultCode> = {
  ECONNREFUSED: CODES.ECONNREFUSED,
  ECONNRESET: CODES.ECONNRESET,
  EPIPE: CODES.ECONNRESET,
  EHOSTUNREACH: CODES.EHOSTUNREACH,
  EHOSTDOWN: CODES.EHOSTUNREACH,
  ENETUNREACH: CODES.ENETUNREACH,
  ENETDOWN: CODES.ENETUNREACH,
  ENOTFOUND: CODES.DNS_NXDOMAIN,
  EAI_NONAME: CODES.DNS_NXDOMAIN,
  EAI_AGAIN: CODES.DNS_TIMEOUT,
  ETIMEDOUT: CODES.TIMEOUT,
  HPE_HEADER_OVERFLOW: CODES.HTTP_HEADERS_TOO_LARGE,
  HPE_INVALID_CONSTANT: CODES.HTTP_PROTOCOL_ERROR,
  CERT_HAS_EXPIRED: CODES.TLS_CERT_EXPIRED,
  CERT_NOT_YET_VALID: CODES.TLS_CERT_NOT_YET_VALID,
  ERR_TLS_CERT_ALTNAME_INVALID: CODES.TLS_HOSTNAME_MISMATCH,
  DEPTH_ZERO_SELF_SIGNED_CERT: CODES.TLS_CERT_UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: CODES.TLS_CERT_UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: CODES.TLS_CERT_UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: CODES.TLS_CERT_UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: CODES.TLS_CERT_UNTRUSTED,
  CERT_UNTRUSTED: CODES.TLS_CERT_UNTRUSTED,
  CERT_REVOKED: CODES.TLS_CERT_UNTRUSTED,
  ERR_SSL_WRONG_VERSION_NUMBER: CODES.TLS_PLAINTEXT_ANSWER,
};

/**
 * The stable code for a thrown error. `timedOut` is true when the probe's own deadline fired,
 * which makes any abort-shaped error a TIMEOUT rather than whatever the library called it.
 */
export function codeForError(err: unknown, timedOut: boolean): ResultCode {
  if (timedOut) return CODES.TIMEOUT;
  const e = err as { code?: string; name?: string; cause?: unknown } | undefined;
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return CODES.ABORTED;
  const mapped = e?.code ? BY_ERRNO[e.code] : undefined;
  if (mapped) return mapped;
  // A probe's own verdict, raised as an error (a refused certificate: cert-verdict.ts).
  if (typeof e?.code === 'string' && e.code.startsWith('TLS_') && PUBLISHED.has(e.code)) return e.code as ResultCode;
  if (typeof e?.code === 'string' && (e.code.startsWith('ERR_SSL_') || e.code.startsWith('ERR_TLS_'))) return CODES.TLS_HANDSHAKE_FAILED;
  if (typeof e?.code === 'string' && e.code.startsWith('HPE_')) return CODES.HTTP_PROTOCOL_ERROR;
  if (e?.cause && e.cause !== err) return codeForError(e.cause, false);
  return CODES.ERROR;
}
