/**
 * Resolves each check against `defaults:` into the spec the scheduler, probes and detector use,
 * so no later stage needs to know where a value came from.
 */
import { createHash } from 'node:crypto';
import { isLoopbackHost, needsDns, provesReach, targetHost } from '../probes/reach.js';
import { unbracket } from './fields.js';
import type { CheckConfig, CheckType, Config, ServiceConfig } from './schema.js';

/** A check ready to run: effective timing and thresholds, plus its type-specific config. */
export interface CheckSpec<C extends CheckConfig = CheckConfig> {
  /** `service/check`: unique in the agent; the key of state, history and schedules. */
  key: string;
  serviceId: string;
  checkId: string;
  /** The host it reaches out to (probes/reach.ts): the blind guard's unit of evidence. */
  host: string;
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
    host: targetHost(check),
    type: check.type,
    critical: check.critical,
    intervalMs,
    schedule: check.schedule,
    timeoutMs,
    retryIntervalMs: Math.min(retryIntervalMs, intervalMs ?? retryIntervalMs),
    // An alert has been confirmed by its rule's `for:` already: one firing delivery is the outage.
    failureThreshold: check.failure_threshold ?? (check.type === 'alert' ? 1 : d.failure_threshold),
    successThreshold: check.success_threshold ?? (check.type === 'alert' ? 1 : d.success_threshold),
    config: check,
  };
  return Object.assign(spec, { fingerprint: fingerprintOf(spec) });
}

/** Service id under which connectivity canaries run: `#` cannot appear in a configured id. */
export const CANARY_SERVICE = '#connectivity';

/** Id of the built-in canary that asks the system resolver. */
export const RESOLVER = 'builtin-resolver';

/** The canaries the agent runs, and whether the built-in guard (runner/connectivity.ts) is on. */
export interface Connectivity {
  canaries: CheckSpec[];
  builtin: boolean;
  /**
   * Keys of the canaries whose answer proves the agent can see the network: the written ones and
   * the authority's host. The system resolver may answer from its cache during a cut, so its
   * answer proves sight only where nothing else could: one host to watch and no other canary.
   */
  sight: string[];
  /** The hosts whose answers prove sight (not loopback, not DNS): probed again before an outage is confirmed. */
  hosts: string[];
}

/**
 * The connectivity canaries as specs, timed by agent.connectivity; one failure counts (they only
 * report reach). Built-in unless `builtin: false`, or canaries are written and `builtin` is unset:
 * then the written ones replace the built-in ones; `builtin: true` adds them to the written ones.
 */
export function resolveConnectivity(config: Config): Connectivity {
  const c = config.agent.connectivity;
  const builtin = c.builtin ?? c.canaries.length === 0;
  const checks = [...c.canaries, ...(builtin ? builtinCanaries(config) : [])];
  const canaries = checks.map((check) => {
    const intervalMs = check.schedule === undefined ? (check.interval ?? c.interval) : undefined;
    const timeoutMs = check.timeout ?? c.timeout;
    const spec: Omit<CheckSpec, 'fingerprint'> = {
      key: checkKey(CANARY_SERVICE, check.id),
      serviceId: CANARY_SERVICE,
      checkId: check.id,
      host: targetHost(check),
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
    return Object.assign(spec, { fingerprint: fingerprintOf(spec) });
  });
  const hosts = [...answeringHosts(config)];
  const resolverDecides = canaries.length === 1 && canaries[0]!.checkId === RESOLVER && hosts.length <= 1;
  return { canaries, builtin, sight: canaries.filter((k) => k.checkId !== RESOLVER || resolverDecides).map((k) => k.key), hosts };
}

/** The distinct hosts whose answers can prove sight (probes/reach.ts): not loopback, not DNS or alert checks. */
export function answeringHosts(config: Config): Set<string> {
  const hosts = new Set<string>();
  for (const s of config.services) for (const c of s.checks) if (provesReach(c.type) && !isLoopbackHost(targetHost(c))) hosts.add(targetHost(c));
  return hosts;
}

/**
 * What the agent needs to reach anything, as canaries: the system resolver when a check or the
 * authority is named by a host name (asked for the root zone's servers, which every recursive
 * resolver answers), and the authority's host in live mode.
 */
function builtinCanaries(config: Config): CheckConfig[] {
  const out: CheckConfig[] = [];
  const authority = config.authority?.mode === 'live' && config.authority.url ? new URL(config.authority.url) : undefined;
  const authorityHost = authority && unbracket(authority.hostname);
  const hosts = config.services.flatMap((s) => s.checks.map(targetHost));
  if (authorityHost !== undefined) hosts.push(authorityHost);
  if (hosts.some(needsDns)) {
    out.push({ id: RESOLVER, type: 'dns', critical: true, name: '.', record: 'NS', expect: { rcode: 'NOERROR' } });
  }
  if (authority && authorityHost !== undefined && !isLoopbackHost(authorityHost)) {
    const port = Number(authority.port || (authority.protocol === 'https:' ? 443 : 80));
    out.push({ id: 'builtin-authority', type: 'tcp', critical: true, host: authorityHost, port, expect: {} });
  }
  return out;
}

export function resolveChecks(config: Config): CheckSpec[] {
  return config.services.flatMap((service) => service.checks.map((check) => resolveCheck(config, service, check)));
}
