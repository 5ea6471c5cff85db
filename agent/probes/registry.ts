/**
 * The probes, keyed by check `type` in a literal map: adding a probe type is one file and one
 * line here, and the compiler checks every config type has its probe.
 */
import type { CheckConfig, CheckType } from '../config/schema.js';
import type { AlertSource } from '../alerts/book.js';
import { alertProbe } from './alert.js';
import { dnsProbe } from './dns.js';
import { grpcProbe } from './grpc.js';
import { httpProbe } from './http.js';
import { icmpProbe } from './icmp.js';
import { tcpProbe } from './tcp.js';
import { tlsProbe } from './tls.js';
import { websocketProbe } from './websocket.js';
import { TlsSessions } from './tls-sessions.js';
import type { ProbeContext, ProbeFn, ProbeResult } from './types.js';

export const PROBES: { [T in CheckType]: ProbeFn<Extract<CheckConfig, { type: T }>> } = {
  http: httpProbe,
  tcp: tcpProbe,
  dns: dnsProbe,
  tls: tlsProbe,
  grpc: grpcProbe,
  websocket: websocketProbe,
  icmp: icmpProbe,
  alert: alertProbe,
};

/** Runs the probe a check's type calls for. Injected into the monitor, so tests may pass their own. */
export type ProbeRunner = (check: CheckConfig, ctx: ProbeContext) => Promise<ProbeResult>;

export const runProbe: ProbeRunner = (check, ctx) => (PROBES[check.type] as ProbeFn<CheckConfig>)(check, ctx);

/** The agent's runner: every probe it runs shares one cache of TLS sessions to resume, and alert checks read `alerts`. */
export function createProbeRunner(tlsSessions = new TlsSessions(), alerts?: AlertSource): ProbeRunner {
  return (check, ctx) => runProbe(check, { ...ctx, tlsSessions, ...(alerts ? { alerts } : {}) });
}
