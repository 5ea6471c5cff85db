/**
 * The blind-agent guard: tells a cut of the agent's own network from an outage of a service. While
 * the agent is *blind* what its probes see says nothing about the services, so failures do not
 * count, no incident opens and nothing is filed; and before any outage is confirmed the guard is
 * asked again, so a network cut can never race a check's thresholds into a false report.
 *
 * Sight is proved only by an answer given now: a written canary, the authority's host, or a
 * check's host answering (probes/reach.ts); the system resolver only where nothing else could (one
 * host to watch). Before an unanswered failure confirms an outage, a round (sight-round.ts) asks
 * whether the agent can see now, and only then is the check probed once more. docs/operations.md,
 * "Blind agent", has the rules; `counts()` applies them.
 */
import type { Gauge } from 'prom-client';
import type { Clock } from '../clock.js';
import { CANARY_SERVICE, RESOLVER, type CheckSpec, type Connectivity } from '../config/resolve.js';
import type { Logger } from '../log.js';
import { notAsked } from '../probes/reach.js';
import type { ProbeRunner } from '../probes/registry.js';
import type { ProbeResult } from '../probes/types.js';
import { runBounded } from './bounded-probe.js';
import { ConnectivityEvidence } from './connectivity-evidence.js';
import { SightRound, type RoundProbe } from './sight-round.js';

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

/** What the monitor does with a failure: count it, ignore it, or forget its streak and ignore it. */
export type Verdict = 'count' | 'ignore' | 'restart';

const CANARIES_FAIL = 'no connectivity canary answers';

/**
 * A canary answered: not down, and not a canary the agent could not even send (an icmp canary
 * where ICMP is not permitted is degraded, an agent limit, and shows no sight: it counts as failing).
 */
const canaryAnswered = (r: ProbeResult) => r.status !== 'down' && !notAsked(r);
/** Hosts of other checks asked again before an outage is confirmed: enough that one answers if any can. */
const RECHECK_HOSTS = 4;

export class ConnectivityGuard {
  private specs = new Map<string, CheckSpec>();
  private sight = new Set<string>();
  /** Hosts of the checks whose answers prove sight. */
  private hosts = new Set<string>();
  private builtin = false;
  private readonly last = new Map<string, ProbeResult>();
  private readonly evidence = new ConnectivityEvidence();
  /** Why a confirmation was refused: blind until something answers. */
  private refused: string | undefined;
  private readonly inFlight = new Set<AbortController>();
  private round: SightRound | undefined;
  private blindSince: number | undefined;
  /** When the agent last came out of blindness: failures that began before it are not judged. */
  private sightSince = -Infinity;
  private reason: string | undefined;
  /** Whether the log has said the deciding resolver canary cannot answer here. */
  private hinted = false;
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
  apply({ canaries, builtin, sight, hosts }: Connectivity): void {
    for (const key of this.specs.keys()) {
      if (canaries.some((c) => c.key === key)) continue;
      this.last.delete(key);
      this.metrics.canaryUp.remove({ canary: this.specs.get(key)!.checkId });
    }
    this.specs = new Map(canaries.map((c) => [c.key, c]));
    this.sight = new Set(sight);
    this.hosts = new Set(hosts);
    this.builtin = builtin;
    this.evaluate();
  }

  get canaries(): CheckSpec[] {
    return [...this.specs.values()];
  }

  get blind(): boolean {
    return this.blindSince !== undefined;
  }

  /** Why the agent is blind, in one clause ("…, so no outage can be confirmed"). */
  get blindReason(): string | undefined {
    return this.reason;
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

  /** Every result of a service's check passes here first: the checks are evidence too. */
  observe(spec: CheckSpec, result: ProbeResult): void {
    const answered = this.evidence.observe(spec, result);
    if (answered && this.builtin) this.refused = undefined;
    if (this.builtin) this.evaluate();
  }

  /** A check left the config: its last result is no evidence any more. */
  forget(key: string): void {
    if (this.evidence.forget(key) && this.builtin) this.evaluate();
  }

  /**
   * What a failure of `spec` (already observed) does to its thresholds. `downSince` is given when
   * it would confirm the check DOWN: when its streak of failures began.
   * - A probe that began before the agent last regained sight is ignored, and a streak that began
   *   before then is restarted: the cut may explain them.
   * - A failure that is an answer from the check's host (a 503, a bad certificate) confirms.
   * - Otherwise a round asks whether the agent can see now (the canaries, and the checks of a few
   *   other hosts probed again). If nothing answers, the agent is blind. If something does, the
   *   check is probed once more: it confirms if that fails too (and, for a failed name lookup,
   *   the system resolver answers); if that works, this failure is not counted.
   * - With nothing that could answer (no canary that proves sight, no other host), it confirms.
   */
  async counts(spec: CheckSpec, result: ProbeResult, downSince?: number): Promise<Verdict> {
    if (this.blind || result.observedAt < this.sightSince) return 'ignore';
    if (downSince === undefined) return 'count';
    if (downSince < this.sightSince) return 'restart';
    if (this.specs.size === 0 && !this.builtin) return 'count';
    if (this.builtin && this.evidence.answered(spec, result)) return 'count';
    const others = this.builtin && this.hosts.size > (this.hosts.has(spec.host) ? 1 : 0);
    if (!others && ![...this.specs.keys()].some((k) => this.sight.has(k))) return 'count'; // nothing could tell
    const round = await this.freshRound(this.clock.now());
    if (!(await round.sight)) return this.refuse(this.unanswered(others));
    const again = await runBounded(this.probe, spec, this.clock, this.log, this.inFlight);
    if (this.blind) return 'ignore';
    if (again.status !== 'down') return 'ignore'; // it works now: this failure proves nothing
    if (this.builtin && again.code.startsWith('DNS_')) {
      const resolver = [...(await round.done)].find(([key]) => this.specs.get(key)?.checkId === RESOLVER)?.[1];
      if (resolver?.status === 'down') {
        // The agent's own resolver, not the service: not counted, and not blindness either (other hosts answer).
        this.log.warn({ check: spec.key, code: again.code, resolver: resolver.code }, 'not confirming a failed name lookup while the system resolver fails');
        return 'ignore';
      }
    }
    return 'count';
  }

  /** Why a round found no sight: the canaries' codes, and the other hosts' when there are some. */
  private unanswered(others: boolean): string {
    const parts: string[] = [];
    if (this.specs.size > 0) parts.push(`${CANARIES_FAIL} (${this.canaryCodes()})`);
    if (others) parts.push(`no other check's host answers (${this.evidence.failingCodes()})`);
    return parts.join(' and ');
  }

  private refuse(reason: string): Verdict {
    this.refused = reason;
    this.evaluate();
    return 'ignore';
  }

  /** A round begun at or after `asked`: older ones are waited out, not joined; one runs at a time. */
  private async freshRound(asked: number): Promise<SightRound> {
    while (this.round && this.round.startedAt < asked) await this.round.done;
    if (!this.round) {
      const canaries: RoundProbe[] = [...this.specs.values()].map((spec) => ({ spec, proves: (r) => this.sight.has(spec.key) && canaryAnswered(r) }));
      const checks: RoundProbe[] = this.builtin
        ? this.evidence.recheckable(RECHECK_HOSTS).map((spec) => ({ spec, proves: (r) => this.evidence.answered(spec, r) }))
        : [];
      const run = (s: CheckSpec) => runBounded(this.probe, s, this.clock, this.log, this.inFlight);
      const round = new SightRound(this.clock.now(), [...canaries, ...checks], run, (s, r) => {
        if (s.serviceId !== CANARY_SERVICE) this.observe(s, r);
        else if (this.specs.get(s.key) === s) {
          this.record(s, r);
          this.evaluate();
        }
      });
      this.round = round;
      void round.done.finally(() => this.round === round && (this.round = undefined));
    }
    return this.round;
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
        return {
          id: s.checkId,
          type: s.type,
          ...(r ? { status: r.status, code: r.code, detail: r.detail, observed_at: new Date(r.observedAt).toISOString() } : {}),
        };
      }),
    };
  }

  private record(spec: CheckSpec, result: ProbeResult): void {
    this.last.set(spec.key, result);
    this.metrics.canaryUp.set({ canary: spec.checkId }, canaryAnswered(result) ? 1 : 0);
    if (canaryAnswered(result) && this.sight.has(spec.key)) this.refused = undefined;
    if (result.status === 'down' && this.sight.has(spec.key) && spec.type === 'dns' && this.evidence.answering > 0 && !this.hinted) {
      this.hinted = true;
      this.log.warn(
        { canary: spec.checkId, code: result.code },
        'the system resolver does not answer for the root zone while checks answer: with one host to watch, its outage could not be confirmed; write canaries (agent.connectivity.canaries)',
      );
    }
  }

  private canaryCodes(): string {
    return [...this.specs.values()].map((s) => `${s.checkId}: ${this.last.get(s.key)?.code ?? 'no result'}`).join(', ');
  }

  /** Why the agent is blind now, or undefined when it can see; the words are made only when asked. */
  private blindness(): (() => string) | undefined {
    let sighted = 0;
    let failed = 0;
    for (const [key, r] of this.last) {
      if (!canaryAnswered(r)) failed++;
      else if (this.sight.has(key)) sighted++;
    }
    const canariesFail = this.specs.size > 0 && failed === this.specs.size;
    if (!this.builtin) return canariesFail ? () => CANARIES_FAIL : undefined;
    const refused = this.refused;
    if (refused !== undefined) return () => refused;
    if (sighted > 0 || this.evidence.answering > 0 || this.evidence.size === 0) return undefined;
    if (canariesFail) return () => `${CANARIES_FAIL} (${this.canaryCodes()}) and no check reaches its host`;
    if (this.evidence.failingHosts >= 2) return () => `checks on ${this.evidence.failingHosts} hosts fail and none answers (${this.evidence.failingCodes()})`;
    return undefined;
  }

  private evaluate(): void {
    const why = this.blindness();
    if ((why !== undefined) === this.blind) return;
    if (why !== undefined) {
      const reason = why();
      this.blindSince = this.clock.now();
      this.reason = reason;
      if (reason === CANARIES_FAIL) {
        this.log.error(
          { canaries: this.canaryCodes() },
          'agent is blind: every connectivity canary fails; opening no incidents and filing nothing until one answers',
        );
      } else {
        this.log.error(
          { reason },
          'agent is blind: nothing shows it can see the network; opening no incidents and filing nothing until a canary or a check answers',
        );
      }
    } else {
      this.log.warn(
        { blindForSeconds: Math.round((this.clock.now() - this.blindSince!) / 1000) },
        'connectivity restored: a canary answers; detection resumes',
      );
      this.blindSince = undefined;
      this.reason = undefined;
      this.refused = undefined;
      this.sightSince = this.clock.now();
    }
    this.metrics.blind.set(why !== undefined ? 1 : 0);
  }
}
