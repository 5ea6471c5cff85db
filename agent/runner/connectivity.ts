/**
 * The blind-agent guard. Canaries check the agent's own reach (its gateway, public resolvers, the
 * authority's host). When every canary fails, the agent is *blind*: what its probes see says
 * nothing about the services, so it opens no incident and files nothing until a canary answers
 * again. Gatus pauses checks the same way; raqib also re-verifies reach right before confirming
 * any outage, so a network cut can never race a check's thresholds into a false report.
 */
import type { Gauge } from 'prom-client';
import type { Clock } from '../clock.js';
import type { CheckSpec } from '../config/resolve.js';
import type { Logger } from '../log.js';
import type { ProbeRunner } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';
import { runBounded } from './bounded-probe.js';

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

export class ConnectivityGuard {
  private specs = new Map<string, CheckSpec>();
  private readonly last = new Map<string, ProbeResult>();
  private readonly inFlight = new Set<AbortController>();
  private verifying: Promise<boolean> | undefined;
  private blindSince: number | undefined;
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
  apply(canaries: CheckSpec[]): void {
    for (const key of this.specs.keys()) {
      if (canaries.some((c) => c.key === key)) continue;
      this.last.delete(key);
      this.metrics.canaryUp.remove({ canary: this.specs.get(key)!.checkId });
    }
    this.specs = new Map(canaries.map((c) => [c.key, c]));
    this.evaluate();
  }

  get canaries(): CheckSpec[] {
    return [...this.specs.values()];
  }

  /** Every canary has answered and every one failed. No canaries: never blind. */
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

  /**
   * Run every canary now and say whether the agent can see the network. Called right before an
   * outage is confirmed; concurrent callers share one round.
   */
  verify(): Promise<boolean> {
    if (this.specs.size === 0) return Promise.resolve(true);
    this.verifying ??= (async () => {
      const specs = [...this.specs.values()];
      const results = await Promise.all(specs.map((s) => runBounded(this.probe, s, this.clock, this.log, this.inFlight)));
      specs.forEach((s, i) => this.specs.get(s.key) === s && this.record(s, results[i]!));
      this.evaluate();
      return !this.blind;
    })().finally(() => (this.verifying = undefined));
    return this.verifying;
  }

  abortAll(reason: unknown): void {
    for (const ac of this.inFlight) ac.abort(reason);
  }

  status(): { blind: boolean; since?: string; canaries: CanaryView[] } {
    return {
      blind: this.blind,
      ...(this.blindSince !== undefined ? { since: new Date(this.blindSince).toISOString() } : {}),
      canaries: [...this.specs.values()].map((s) => {
        const r = this.last.get(s.key);
        return { id: s.checkId, type: s.type, ...(r ? { status: r.status, code: r.code, detail: r.detail, observed_at: new Date(r.observedAt).toISOString() } : {}) };
      }),
    };
  }

  private record(spec: CheckSpec, result: ProbeResult): void {
    this.last.set(spec.key, result);
    this.metrics.canaryUp.set({ canary: spec.checkId }, result.status === 'down' ? 0 : 1);
  }

  private evaluate(): void {
    const results = [...this.specs.keys()].map((k) => this.last.get(k));
    const blind = results.length > 0 && results.every((r) => r !== undefined && r.status === 'down');
    if (blind === this.blind) return;
    if (blind) {
      this.blindSince = this.clock.now();
      const why = [...this.specs.values()].map((s) => `${s.checkId}: ${this.last.get(s.key)!.code}`).join(', ');
      this.log.error({ canaries: why }, 'agent is blind: every connectivity canary fails; opening no incidents and filing nothing until one answers');
    } else {
      this.log.warn({ blindForSeconds: Math.round((this.clock.now() - this.blindSince!) / 1000) }, 'connectivity restored: a canary answers; detection resumes');
      this.blindSince = undefined;
    }
    this.metrics.blind.set(blind ? 1 : 0);
  }
}
