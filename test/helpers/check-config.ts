/**
 * Check configs for tests, built through the real config schema so defaults, unit parsing
 * (`500ms` → 500, `1MiB` → 1048576) and status ranges are exactly what the daemon would run with.
 * Also a probe context whose signal carries a real timeout, as the runner builds it.
 */
import { createLogger } from '../../agent/log.js';
import type { ProbeContext } from '../../agent/probes/types.js';
import {
  configSchema,
  type CheckConfig,
  type ConfigInput,
  type GrpcCheckConfig,
  type HttpCheckConfig,
  type IcmpCheckConfig,
  type TcpCheckConfig,
  type TlsCheckConfig,
  type WebsocketCheckConfig,
} from '../../agent/config/schema.js';

type CheckInput = ConfigInput['services'][number]['checks'][number];
/** A check as written in YAML, minus `type`, with `id` optional. */
type Partial_<T extends CheckInput['type']> = Omit<Extract<CheckInput, { type: T }>, 'type' | 'id'> & { id?: string };

function parseCheck(check: CheckInput): CheckConfig {
  const config = configSchema.parse({
    agent: { id: 't' },
    entity: { code: 'MOH', name: { ar: 'a', en: 'b' } },
    services: [{ id: 's', name: { ar: 'a', en: 'b' }, checks: [check] }],
  });
  return config.services[0]!.checks[0]!;
}

export const httpCheck = (c: Partial_<'http'>): HttpCheckConfig => parseCheck({ id: 'c', ...c, type: 'http' } as CheckInput) as HttpCheckConfig;
export const tcpCheck = (c: Partial_<'tcp'>): TcpCheckConfig => parseCheck({ id: 'c', ...c, type: 'tcp' } as CheckInput) as TcpCheckConfig;
export const tlsCheck = (c: Partial_<'tls'>): TlsCheckConfig => parseCheck({ id: 'c', ...c, type: 'tls' } as CheckInput) as TlsCheckConfig;
export const grpcCheck = (c: Partial_<'grpc'>): GrpcCheckConfig => parseCheck({ id: 'c', ...c, type: 'grpc' } as CheckInput) as GrpcCheckConfig;
export const websocketCheck = (c: Partial_<'websocket'>): WebsocketCheckConfig =>
  parseCheck({ id: 'c', ...c, type: 'websocket' } as CheckInput) as WebsocketCheckConfig;
export const icmpCheck = (c: Partial_<'icmp'>): IcmpCheckConfig => parseCheck({ id: 'c', ...c, type: 'icmp' } as CheckInput) as IcmpCheckConfig;

/**
 * A context that times out after `timeoutMs`, like the runner's (`AbortSignal.timeout`, combined
 * with `extra` — e.g. a shutdown controller's signal — through `AbortSignal.any`).
 */
export function probeContext(timeoutMs = 5000, extra?: AbortSignal): ProbeContext {
  const timeout = AbortSignal.timeout(timeoutMs);
  return {
    signal: extra ? AbortSignal.any([timeout, extra]) : timeout,
    log: createLogger({ level: 'silent' }),
    timeoutMs,
  };
}
