/**
 * The blind-agent guard: tells a cut of the agent's own network from an outage of a service. While
 * the agent is *blind* what its probes see says nothing about the services, so failures do not
 * count, no incident opens and nothing is filed; and before any outage is confirmed the guard is
 * asked again, so a network cut can never race a check's thresholds into a false report.
 *
 * Two ways to know (docs/operations.md, "Blind agent"):
 * - written canaries only (`agent.connectivity.canaries`, `builtin: false`): blind while every
 *   canary fails.
 * - built-in (the default): canaries derived from what the agent needs (the system resolver, the
 *   authority's host) plus the checks themselves as evidence. An answer from any non-loopback
 *   check's host proves sight. Blind while no canary answers and every such check's latest result
 *   failed without an answer (with no canary at all: on at least two distinct hosts). An outage is
 *   confirmed only when the check's host answered, or it is loopback, or something answered since
 *   its failures began, or a canary answers now, or (no canary at all) its failure is not shared
 *   by every other host.
 */
import type { Gauge } from 'prom-client';
import type { Clock } from '../clock.js';
import type { CheckSpec } from '../config/resolve.js';
import type { Logger } from '../log.js';
import type { ProbeRunner } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';
import { runBounded } from './bounded-probe.js';
import { isLoopbackHost, reachedHost } from '../probes/reach.js';

export interface CanaryView {
  id: string;
  type: string;
  status?: ProbeResult['status'];
  code?: string;
  detail?: string;
  observed_at?: string;
}

export interface GuardMetrics {
  blind: Gauge;
  canaryUp: Gauge<'canary'>;
}

/** What the guard knows of one non-loopback check: its host and its latest result's verdict. */
interface Sighting {
  host: string;
  reached: boolean;
  code: string;
}

const CANARIES_FAIL = 'no connectivity canary answers';

export class ConnectivityGuard {
  private specs = new Map<string, CheckSpec>();
  private builtin = false;
  private readonly last = new Map<string, ProbeResult>();
  private readonly sightings = new Map<string, Sighting>();
  /** Sightings whose latest result was an answer; and the failing ones per host (kept as they change). */
  private answering = 0;
  private readonly failingHosts = new Map<string, number>();
  /** observedAt of the latest result of a non-loopback check that reached its host. */
  private lastReachAt = -Infinity;
  /** Why a confirmation was refused: blind until anything answers. */
  private refused: string | undefined;
  private readonly inFlight = new Set<AbortController>();
  private verifying: Promise<boolean> | undefined;
  private blindSince: number | undefined;
  private reason: string | undefined;
  private readonly log: Logger;

  constructor(
    private readonly probe: ProbeRunner,
    private readonly clock: Clock,
    log: Logger,
    private readonly metrics: GuardMetrics,
  ) {
    this.log = log.child({ module: 'connectivity' });
    metrics.blind.set(0);
  }

  /** Replace the canary set (start and reload); results of canaries that stay are kept. */
  apply(canaries: CheckSpec[], builtin: boolean): void {
    for (const key of this.specs.keys()) {
      if (canaries.some((c) => c.key === key)) continue;
      this.last.delete(key);
      this.metrics.canaryUp.remove({ canary: this.specs.get(key)!.checkId });
    }
    this.specs = new Map(canaries.map((c) => [c.key, c]));
    this.builtin = builtin;
    if (!builtin) this.refused = undefined;
    this.evaluate();
  }

  get canaries(): CheckSpec[] {
    return [...this.specs.values()];
  }

  get blind(): boolean {
    return this.blindSince !== undefined;
  }

  /** Run one canary (the scheduler calls this for `#connectivity/…` keys). */
  async run(key: string): Promise<void> {
    const spec = this.specs.get(key);
    if (!spec) return;
    const result = await runBounded(this.probe, spec, this.clock, this.log, this.inFlight);
    if (this.specs.get(key) !== spec) return;
    this.record(spec, result);
    this.evaluate();
  }

  /** Every result of a service's check passes here first: the evidence of the built-in guard. */
  observe(spec: CheckSpec, result: ProbeResult): void {
    if (isLoopbackHost(spec.host)) return;
    const reached = reachedHost(result);
    this.unsee(spec.key);
    this.sightings.set(spec.key, { host: spec.host, reached, code: result.code });
    if (reached) {
      this.answering++;
      this.lastReachAt = Math.max(this.lastReachAt, result.observedAt);
      this.refused = undefined;
    } else {
      this.failingHosts.set(spec.host, (this.failingHosts.get(spec.host) ?? 0) + 1);
    }
    if (this.builtin) this.evaluate();
  }

  /** A check left the config: its last result is no evidence any more. */
  forget(key: string): void {
    if (this.unsee(key) && this.builtin) this.evaluate();
  }

  private unsee(key: string): boolean {
    const old = this.sightings.get(key);
    if (!old) return false;
    this.sightings.delete(key);
    if (old.reached) this.answering--;
    else if (this.failingHosts.get(old.host) === 1) this.failingHosts.delete(old.host);
    else this.failingHosts.set(old.host, this.failingHosts.get(old.host)! - 1);
    return true;
  }

  /**
   * Whether a failure of `spec` (already observed) may count toward its thresholds. `downSince` is
   * given when it would confirm the check DOWN: when its streak of failures began. Concurrent
   * confirmations share one round of canaries.
   */
  async counts(spec: CheckSpec, result: ProbeResult, downSince?: number): Promise<boolean> {
    if (this.builtin && isLoopbackHost(spec.host)) return true;
    if (this.blind) return false;
    if (downSince === undefined) return true;
    if (!this.builtin) return this.specs.size === 0 || this.verify();
    if (reachedHost(result) || this.lastReachAt >= downSince) return true;
    if (this.specs.size > 0 && (await this.verify())) return true;
    if (this.lastReachAt >= downSince) return true; // a check answered while the canaries ran
    const why = this.specs.size > 0 ? `${CANARIES_FAIL} (${this.canaryCodes()}) and no check has reached its host since ${spec.key} began failing` : this.correlated(false);
    if (why === undefined) return true;
    this.refused = why;
    this.evaluate();
    return false;
  }

  /** Run every canary now and say whether one answers. */
  private verify(): Promise<boolean> {
    this.verifying ??= (async () => {
      const specs = [...this.specs.values()];
      const results = await Promise.all(specs.map((s) => runBounded(this.probe, s, this.clock, this.log, this.inFlight)));
      specs.forEach((s, i) => this.specs.get(s.key) === s && this.record(s, results[i]!));
      this.evaluate();
      return specs.some((s) => this.last.get(s.key)?.status !== 'down');
    })().finally(() => (this.verifying = undefined));
    return this.verifying;
  }

  abortAll(reason: unknown): void {
    for (const ac of this.inFlight) ac.abort(reason);
  }

  status(): { blind: boolean; since?: string; reason?: string; builtin: boolean; canaries: CanaryView[] } {
    return {
      blind: this.blind,
      ...(this.blindSince !== undefined ? { since: new Date(this.blindSince).toISOString(), reason: this.reason } : {}),
      builtin: this.builtin,
      canaries: [...this.specs.values()].map((s) => {
        const r = this.last.get(s.key);
        return { id: s.checkId, type: s.type, ...(r ? { status: r.status, code: r.code, detail: r.detail, observed_at: new Date(r.observedAt).toISOString() } : {}) };
      }),
    };
  }

  /** Why the agent is blind, in one clause ("…, so no outage can be confirmed"). */
  get blindReason(): string | undefined {
    return this.reason;
  }

  private record(spec: CheckSpec, result: ProbeResult): void {
    this.last.set(spec.key, result);
    this.metrics.canaryUp.set({ canary: spec.checkId }, result.status === 'down' ? 0 : 1);
    if (result.status !== 'down') this.refused = undefined;
  }

  /** Every canary has answered and every one failed. */
  private canariesFail(): boolean {
    return this.specs.size > 0 && [...this.specs.keys()].every((k) => this.last.get(k)?.status === 'down');
  }

  /**
   * With no canary at all: why every host failing at once looks like the agent's own cut. `whole`:
   * every check's latest result must have failed unanswered (the standing verdict); otherwise the
   * failing hosts are enough (at a confirmation, where nothing has answered since it began).
   */
  private correlated(whole: boolean): string | undefined {
    if ((whole && this.answering > 0) || this.failingHosts.size < 2) return undefined;
    const codes = new Set<string>();
    for (const s of this.sightings.values()) if (!s.reached) codes.add(s.code);
    return `checks on ${this.failingHosts.size} hosts fail without an answer from any (${[...codes].join(', ')}) and no canary can tell a network cut from an outage`;
  }

  private canaryCodes(): string {
    return [...this.specs.values()].map((s) => `${s.checkId}: ${this.last.get(s.key)?.code ?? 'no result'}`).join(', ');
  }

  /** The reason to be blind now, or undefined when the agent can see. */
  private blindness(): string | undefined {
    if (!this.builtin) return this.canariesFail() ? CANARIES_FAIL : undefined;
    if ([...this.specs.keys()].some((k) => this.last.has(k) && this.last.get(k)!.status !== 'down')) return undefined;
    if (this.canariesFail() && this.answering === 0) {
      return `${CANARIES_FAIL} (${this.canaryCodes()}) and no check reaches its host`;
    }
    return (this.specs.size === 0 ? this.correlated(true) : undefined) ?? this.refused;
  }

  private evaluate(): void {
    const reason = this.blindness();
    if ((reason !== undefined) === this.blind) {
      if (reason !== undefined) this.reason = reason;
      return;
    }
    if (reason !== undefined) {
      this.blindSince = this.clock.now();
      this.reason = reason;
      if (reason === CANARIES_FAIL) {
        this.log.error({ canaries: this.canaryCodes() }, 'agent is blind: every connectivity canary fails; opening no incidents and filing nothing until one answers');
      } else {
        this.log.error({ reason }, 'agent is blind: nothing shows it can see the network; opening no incidents and filing nothing until a canary or a check answers');
      }
    } else {
      this.log.warn({ blindForSeconds: Math.round((this.clock.now() - this.blindSince!) / 1000) }, 'connectivity restored: a canary answers; detection resumes');
      this.blindSince = undefined;
      this.reason = undefined;
    }
    this.metrics.blind.set(reason !== undefined ? 1 : 0);
  }
}
