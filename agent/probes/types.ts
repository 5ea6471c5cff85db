/**
 * The one probe contract: a probe takes its check's config and a context, and resolves (never
 * rejects) with a result that says why. Probes touch no metrics, state or store.
 */
import type { AlertSource } from '../alerts/book.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { TlsSessions } from './tls-sessions.js';

export type ProbeStatus = 'up' | 'degraded' | 'down';

/**
 * Time spent in each phase, in milliseconds. Only phases the probe went through are present;
 * `total` always is. For HTTP, redirects add up in `total` while the others describe the last hop.
 */
export interface ProbePhases {
  dns?: number;
  connect?: number;
  tls?: number;
  /** Request sent → first byte of the response head (WebSocket: of the 101; ICMP: the echo's round trip, as ping measured it). */
  ttfb?: number;
  /** Response head → end of the body read (HTTP), of the call (gRPC), or the first message (WebSocket). */
  transfer?: number;
  total: number;
}

export interface ProbeResult {
  status: ProbeStatus;
  /**
   * Stable reason code: `OK` when up, otherwise what went wrong (`TIMEOUT`, `ECONNREFUSED`,
   * `DNS_NXDOMAIN`, `HTTP_STATUS`, …; see probes/codes.ts). Dashboards and reports key on it.
   */
  code: string;
  /** One line for humans: what was seen and, when failing, what was expected. */
  detail: string;
  phases: ProbePhases;
  /** Wall-clock time (epoch ms, the context's clock) at which the probe started. */
  observedAt: number;
  /** Final HTTP status, when an HTTP answer arrived. */
  httpStatus?: number;
  /**
   * Earliest expiry (epoch seconds) in the certificate chain the peer presented, leaf or
   * intermediate, when a TLS handshake got that far (also when the chain was refused): the chain
   * stops validating when its first certificate expires, so that is the date to warn of.
   */
  tlsCertExpiry?: number;
}

export interface ProbeContext {
  /** Aborted at the check's timeout or on shutdown; a probe must stop promptly when it fires. */
  signal: AbortSignal;
  log: Logger;
  /** The check's timeout in ms, for probes that hand a deadline to a library (DNS). */
  timeoutMs: number;
  /** Sessions HTTPS probes may resume; without it every handshake is a full one. */
  tlsSessions?: TlsSessions;
  /**
   * The agent's clock: `observedAt` and the "now" certificate dates are judged against are its
   * wall-clock time. The system's when absent (a one-shot `raqib probe`). Phase durations are
   * measured on the high-resolution timer whatever the clock: they time the real network.
   */
  clock?: Clock;
  /** What Alertmanager has sent, for alert checks; absent in a one-shot `raqib probe`. */
  alerts?: AlertSource;
}

export type ProbeFn<C> = (check: C, ctx: ProbeContext) => Promise<ProbeResult>;
