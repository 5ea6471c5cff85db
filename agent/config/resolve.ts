/**
 * Resolves each check against `defaults:` into the spec the scheduler, probes and detector use,
 * so no later stage needs to know where a value came from.
 */
import { createHash } from 'node:crypto';
import type { CheckConfig, CheckType, Config, ServiceConfig } from './schema.js';

/** A check ready to run: effective timing and thresholds, plus its type-specific config. */
export interface CheckSpec<C extends CheckConfig = CheckConfig> {
  /** `service/check`: unique in the agent; the key of state, history and schedules. */
  key: string;
  serviceId: string;
  checkId: string;
  type: CheckType;
  critical: boolean;
  /** Fixed-rate interval in ms; undefined when a cron `schedule` drives the check. */
  intervalMs: number | undefined;
  schedule: string | undefined;
  timeoutMs: number;
  /** Delay of the confirming re-probe after an UP check fails. */
  retryIntervalMs: number;
  failureThreshold: number;
  successThreshold: number;
  config: C;
  /**
   * Everything that affects how the check runs; equal fingerprints need no restart on reload.
   * A SHA-1 of the spec's JSON rather than the JSON itself: ~600 B per check, 6 MiB at 10,000.
   */
  fingerprint: string;
}

/** The fingerprint of a spec: equal when the JSON of the two specs is (a SHA-1 collision aside). */
function fingerprintOf(spec: Omit<CheckSpec, 'fingerprint'>): string {
  return createHash('sha1').update(JSON.stringify(spec)).digest('base64');
}

export function checkKey(serviceId: string, checkId: string): string {
  return `${serviceId}/${checkId}`;
}

export function resolveCheck(config: Config, service: ServiceConfig, check: CheckConfig): CheckSpec {
  const d = config.defaults;
  const intervalMs = check.schedule === undefined ? (check.interval ?? d.interval) : undefined;
  const timeoutMs = check.timeout ?? d.timeout;
  const retryIntervalMs = check.retry_interval ?? d.retry_interval ?? Math.max(1000, Math.round((intervalMs ?? timeoutMs * 3) / 3));
  const spec: Omit<CheckSpec, 'fingerprint'> = {
    key: checkKey(service.id, check.id),
    serviceId: service.id,
    checkId: check.id,
    type: check.type,
    critical: check.critical,
    intervalMs,
    schedule: check.schedule,
    timeoutMs,
    retryIntervalMs: Math.min(retryIntervalMs, intervalMs ?? retryIntervalMs),
    failureThreshold: check.failure_threshold ?? d.failure_threshold,
    successThreshold: check.success_threshold ?? d.success_threshold,
    config: check,
  };
  return Object.assign(spec, { fingerprint: fingerprintOf(spec) }); // not a spread: see agent/with-key.ts
}

/** Service id under which connectivity canaries run: `#` cannot appear in a configured id. */
export const CANARY_SERVICE = '#connectivity';

/** The connectivity canaries as specs, timed by agent.connectivity; one failure counts (they only report reach). */
export function resolveCanaries(config: Config): CheckSpec[] {
  const c = config.agent.connectivity;
  return c.canaries.map((check) => {
    const intervalMs = check.schedule === undefined ? (check.interval ?? c.interval) : undefined;
    const timeoutMs = check.timeout ?? c.timeout;
    const spec: Omit<CheckSpec, 'fingerprint'> = {
      key: checkKey(CANARY_SERVICE, check.id),
      serviceId: CANARY_SERVICE,
      checkId: check.id,
      type: check.type,
      critical: true,
      intervalMs,
      schedule: check.schedule,
      timeoutMs,
      retryIntervalMs: intervalMs ?? timeoutMs,
      failureThreshold: 1,
      successThreshold: 1,
      config: check,
    };
    return Object.assign(spec, { fingerprint: fingerprintOf(spec) }); // not a spread: see agent/with-key.ts
  });
}

export function resolveChecks(config: Config): CheckSpec[] {
  return config.services.flatMap((service) => service.checks.map((check) => resolveCheck(config, service, check)));
}
