/**
 * The live picture of every check and service: runs a check's probe when the scheduler says so,
 * keeps its last results in memory, feeds the pure state machine, and turns service changes into
 * incidents. Config (re)loads are applied here without disturbing unchanged checks.
 */
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load.js';
import type { CheckSpec } from '../config/resolve.js';
import type { ServiceConfig } from '../config/schema.js';
import { deriveImpact, deriveServiceState, type Impact, type ServiceState } from '../detect/service-state.js';
import { initialDetectorState, restartStreak, transition, type CheckState, type DetectorState } from '../detect/transition.js';
import type { IncidentTracker } from '../incidents/tracker.js';
import type { Evidence } from '../incidents/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { CODES } from '../probes/codes.js';
import type { ProbeRunner } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';
import type { RunInfo, Scheduler } from '../schedule/scheduler.js';
import type { StateStore } from '../store/types.js';
import { runBounded } from './bounded-probe.js';
import type { ConnectivityGuard, Verdict } from './connectivity.js';
import { HistoryRing } from './history.js';

export { HISTORY_SIZE, type HistoryEntry } from './history.js';

export interface CheckRuntime {
  spec: CheckSpec;
  detector: DetectorState;
  /** The last result in full (phases, detail): evidence and the status view use it. */
  last?: ProbeResult;
  /** The last HISTORY_SIZE results, packed (agent/runner/history.ts). */
  history: HistoryRing;
}

export interface ServiceRuntime {
  config: ServiceConfig;
  checkKeys: string[];
  state: ServiceState;
  impact: Impact | undefined;
  /** Ids of the checks failing (DOWN or DEGRADED) now. */
  failing: string[];
  since: number;
}

export interface MonitorOptions {
  agentId: string;
  store: StateStore;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
  probe: ProbeRunner;
  tracker: IncidentTracker;
  /** The blind-agent guard; without one, every failure counts. */
  guard?: ConnectivityGuard;
}

export interface ApplySummary {
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
}

export class Monitor {
  readonly checks = new Map<string, CheckRuntime>();
  readonly services = new Map<string, ServiceRuntime>();
  private scheduler: Scheduler | undefined;
  private readonly log: Logger;
  /** One controller per probe in flight: aborted at its timeout, or all at once on shutdown. */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly opts: MonitorOptions) {
    this.log = opts.log.child({ module: 'monitor' });
  }

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  /** Make the monitored set match `loaded`; unchanged checks keep their state and schedule. */
  apply(loaded: LoadedConfig): ApplySummary {
    const summary: ApplySummary = { added: 0, removed: 0, changed: 0, unchanged: 0 };
    const next = new Map(loaded.checks.map((s) => [s.key, s]));
    for (const [key, rt] of this.checks) {
      if (next.has(key)) continue;
      this.scheduler?.remove(key);
      this.opts.guard?.forget(key);
      this.opts.metrics.removeCheck(rt.spec);
      this.checks.delete(key);
      this.opts.store.update((d) => delete d.checks[key]);
      summary.removed++;
    }
    for (const spec of loaded.checks) {
      const rt = this.checks.get(spec.key);
      if (rt && rt.spec.fingerprint === spec.fingerprint) {
        summary.unchanged++;
        continue;
      }
      if (rt) {
        // Same check, new settings: keep its state, history and series (a reset probe_success
        // would read as an outage until the next run); only a new type means new series.
        if (rt.spec.type !== spec.type) {
          this.opts.metrics.removeCheck(rt.spec);
          this.opts.metrics.addCheck(spec, rt.detector.state);
        }
        rt.spec = spec;
        summary.changed++;
      } else {
        const saved = this.opts.store.data.checks[spec.key];
        const detector = saved ? initialDetectorState(saved.since, saved.state) : initialDetectorState(this.opts.clock.now());
        this.checks.set(spec.key, { spec, detector, history: new HistoryRing() });
        this.opts.metrics.addCheck(spec, detector.state);
        summary.added++;
      }
      this.scheduler?.add({ key: spec.key, intervalMs: spec.intervalMs, cron: spec.schedule });
    }
    this.applyServices(loaded);
    return summary;
  }

  private applyServices(loaded: LoadedConfig): void {
    const ids = new Set(loaded.config.services.map((s) => s.id));
    for (const id of this.services.keys()) {
      if (ids.has(id)) continue;
      this.opts.metrics.removeService(id);
      this.services.delete(id);
    }
    // Also what a previous run left behind for services and checks no longer in the config
    // (removed while the agent was stopped): close their incidents, forget their states.
    for (const inc of this.opts.tracker.open()) if (!ids.has(inc.serviceId)) this.opts.tracker.unmonitored(inc.serviceId);
    const stale = Object.keys(this.opts.store.data.checks).filter((k) => !this.checks.has(k));
    if (stale.length > 0) this.opts.store.update((d) => stale.forEach((k) => delete d.checks[k]));
    const keysByService = new Map<string, string[]>();
    for (const c of loaded.checks) keysByService.set(c.serviceId, [...(keysByService.get(c.serviceId) ?? []), c.key]);
    for (const config of loaded.config.services) {
      const checkKeys = keysByService.get(config.id) ?? [];
      const checkIds = new Set(checkKeys.map((k) => this.checks.get(k)!.spec.checkId));
      // A check that was failing and is no longer in the config: what made the service DOWN is gone unseen.
      const lost = (failing: readonly string[]) => (failing.some((id) => !checkIds.has(id)) ? 'lost' : 'reload');
      const existing = this.services.get(config.id);
      if (existing) {
        const cause = lost(existing.failing);
        existing.config = config;
        existing.checkKeys = checkKeys;
        this.opts.metrics.sloObjective.set({ service: config.id }, config.slo / 100);
        this.updateService(config.id, this.opts.clock.now(), cause);
        continue;
      }
      // An incident left open by the previous run keeps the service as it last recorded it (DOWN, or
      // serving in a flapping incident's quiet time) until checks say otherwise.
      const open = this.opts.tracker.openFor(config.id);
      const last = open?.timeline.at(-1);
      const svc: ServiceRuntime = {
        config,
        checkKeys,
        state: open ? (last?.state ?? 'DOWN') : 'UNKNOWN',
        impact: open ? (last ? last.impact : open.impact) : undefined,
        failing: open ? [...(last?.checks ?? [])] : [],
        since: open?.startedAt ?? this.opts.clock.now(),
      };
      this.services.set(config.id, svc);
      this.opts.metrics.addService(config.id, svc.state, open ? 1 : 0, config.slo);
      this.updateService(config.id, this.opts.clock.now(), lost(svc.failing));
    }
  }

  /** Run one check now; called by the scheduler. */
  async run(key: string, info: RunInfo): Promise<void> {
    const rt = this.checks.get(key);
    if (!rt || this.stopped) return;
    const { spec } = rt;
    const result = await runBounded(this.opts.probe, spec, this.opts.clock, this.opts.log, this.inFlight);
    // A reload that changed or removed the check while it ran: this result answers the old config.
    if (this.checks.get(key) !== rt || rt.spec !== spec || this.stopped) return;
    this.opts.guard?.observe(spec, result);
    const verdict = await this.counts(rt, result);
    if (this.checks.get(key) !== rt || rt.spec !== spec || this.stopped) return;
    if (verdict === 'restart') rt.detector = restartStreak(rt.detector);
    this.record(rt, result, info.scheduledAt + info.lateMs, verdict === 'count');
  }

  /**
   * Whether a result may count toward the thresholds. A failure seen while the agent is blind says
   * nothing about the service; and a failure that would confirm an outage counts only once the
   * guard, asked again now, finds the agent can see the network.
   */
  private async counts(rt: CheckRuntime, result: ProbeResult): Promise<Verdict> {
    // The alerts stopped arriving (the watchdog is silent): neither an outage nor its end is known.
    if (result.code === CODES.ALERT_SOURCE_SILENT) return 'ignore';
    const guard = this.opts.guard;
    if (!guard || result.status === 'up') return 'count';
    const peek = transition(rt.detector, result, { failureThreshold: rt.spec.failureThreshold, successThreshold: rt.spec.successThreshold });
    return guard.counts(rt.spec, result, peek.change?.to === 'DOWN' ? (peek.state.downSince ?? result.observedAt) : undefined);
  }

  /** Stop recording results and abort every probe in flight (shutdown after the grace period). */
  abortAll(reason: unknown): void {
    this.stopped = true;
    for (const ac of this.inFlight) ac.abort(reason);
  }

  /**
   * Feed one result through history, metrics and the state machine. `startedAt` (monotonic) is
   * when the run began: a confirming re-probe is due retry_interval after that, not after a slow
   * failure ended, so a timeout does not stretch confirmation.
   */
  record(rt: CheckRuntime, result: ProbeResult, startedAt?: number, counts = true): void {
    const { spec } = rt;
    rt.last = result;
    rt.history.push(result);
    this.opts.metrics.observeProbe(spec, result);
    if (!counts) {
      this.log.debug({ check: spec.key, code: result.code }, 'result not counted: the agent is blind (or was when it began), or the alerts are not heard');
      return;
    }
    const out = transition(rt.detector, result, { failureThreshold: spec.failureThreshold, successThreshold: spec.successThreshold });
    rt.detector = out.state;
    if (out.change) {
      const { to } = out.change;
      this.opts.store.update((d) => {
        d.checks[spec.key] = { state: to, since: out.state.since };
      });
      this.opts.metrics.setCheckState(spec, to);
      this.log.info({ check: spec.key, from: out.change.from, to, code: result.code, detail: result.detail }, 'check state changed');
      this.updateService(spec.serviceId, out.change.at, 'probe');
    }
    if (out.confirming) {
      const elapsed = startedAt === undefined ? 0 : this.opts.clock.monotonic() - startedAt;
      this.scheduler?.runSoon(spec.key, Math.max(0, spec.retryIntervalMs - elapsed));
    }
  }

  /** `lost`: a (re)load removed a check that was failing. */
  private updateService(serviceId: string, at: number, cause: 'probe' | 'reload' | 'lost'): void {
    const svc = this.services.get(serviceId);
    if (!svc) return;
    const views = svc.checkKeys.map((k) => this.checks.get(k)!).map((rt) => ({ state: rt.detector.state, critical: rt.spec.critical }));
    const state = deriveServiceState(views);
    const impact = deriveImpact(views);
    const failing = svc.checkKeys
      .map((k) => this.checks.get(k)!)
      .filter((rt) => rt.detector.state === 'DOWN' || rt.detector.state === 'DEGRADED')
      .map((rt) => rt.spec.checkId);
    if (state === svc.state && impact === svc.impact && failing.join() === svc.failing.join()) return;
    const from = svc.state;
    if (state !== from) svc.since = at;
    svc.state = state;
    svc.impact = impact;
    svc.failing = failing;
    this.opts.metrics.setServiceState(serviceId, state);
    if (state !== from) this.log.info({ service: serviceId, from, to: state, impact }, 'service state changed');
    if (cause === 'lost' && from === 'DOWN' && state !== 'DOWN') {
      // The config took away what made the service DOWN (its failing checks): nobody saw it come
      // back, whatever the checks left say now. Close without claiming a restoration.
      this.opts.tracker.unmonitored(serviceId);
      return;
    }
    this.opts.tracker.serviceChanged({ serviceId, from, to: state, at, impact, failing, evidence: this.evidence(svc) });
  }

  /** The latest result of each of the service's checks, as incident evidence. */
  evidence(svc: ServiceRuntime): Evidence[] {
    const out: Evidence[] = [];
    for (const key of svc.checkKeys) {
      const rt = this.checks.get(key)!;
      const last = rt.last;
      if (!last) continue;
      out.push({
        check: rt.spec.checkId,
        type: rt.spec.type,
        status: last.status,
        code: last.code,
        detail: last.detail,
        phases: last.phases,
        observedAt: last.observedAt,
        ...(last.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}),
        agentId: this.opts.agentId,
      });
    }
    return out;
  }

  checkState(key: string): CheckState | undefined {
    return this.checks.get(key)?.detector.state;
  }
}
