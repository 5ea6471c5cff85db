/**
 * What the checks' own results say about the agent's reach, for the blind guard (connectivity.ts):
 * the latest result of every check that can prove reach (not DNS, not alert: probes/reach.ts) on a
 * host that is not loopback, whether it was an answer from
 * that host (probes/reach.ts), and the counts the guard reads on every probe, kept as results
 * change so that reading them costs nothing at 10,000 checks.
 */
import type { CheckSpec } from '../config/resolve.js';
import { isLoopbackHost, provesReach, reachedHost } from '../probes/reach.js';
import type { ProbeResult } from '../probes/types.js';

interface Sighting {
  spec: CheckSpec;
  answered: boolean;
  code: string;
  /** observedAt of the latest result. */
  at: number;
}

export class ConnectivityEvidence {
  private readonly sightings = new Map<string, Sighting>();
  private readonly failing = new Map<string, number>();
  private readonly loopback = new Map<string, boolean>();
  /** Checks whose latest result was an answer from their host. */
  answering = 0;

  /** Checks on hosts that can prove sight or its loss (not loopback). */
  get size(): number {
    return this.sightings.size;
  }

  /** Distinct hosts whose checks' latest results failed without an answer. */
  get failingHosts(): number {
    return this.failing.size;
  }

  /** Whether `result` of `spec` is an answer from a host that is not loopback. */
  answered(spec: CheckSpec, result: ProbeResult): boolean {
    return !this.isLoopback(spec.host) && reachedHost(spec.type, result);
  }

  /** Take in a check's latest result; says whether it was an answer from its host. */
  observe(spec: CheckSpec, result: ProbeResult): boolean {
    this.forget(spec.key);
    if (!provesReach(spec.type) || this.isLoopback(spec.host)) return false;
    const answered = reachedHost(spec.type, result);
    this.sightings.set(spec.key, { spec, answered, code: result.code, at: result.observedAt });
    if (answered) {
      this.answering++;
    } else {
      this.failing.set(spec.host, (this.failing.get(spec.host) ?? 0) + 1);
    }
    return answered;
  }

  /** Drop a check's result (it left the config, or a new one replaces it). */
  forget(key: string): boolean {
    const old = this.sightings.get(key);
    if (!old) return false;
    this.sightings.delete(key);
    const host = old.spec.host;
    if (old.answered) this.answering--;
    else if (this.failing.get(host) === 1) this.failing.delete(host);
    else this.failing.set(host, this.failing.get(host)! - 1);
    return true;
  }

  /** One check on each of up to `n` distinct hosts, those that answered most recently first. */
  recheckable(n: number): CheckSpec[] {
    const best = new Map<string, Sighting>();
    for (const s of this.sightings.values()) {
      const b = best.get(s.spec.host);
      if (!b || rank(s) > rank(b)) best.set(s.spec.host, s);
    }
    return [...best.values()]
      .sort((a, b) => rank(b) - rank(a))
      .slice(0, n)
      .map((s) => s.spec);
  }

  /** The codes of the failing checks, for a reason a person reads. */
  failingCodes(): string {
    const codes = new Set<string>();
    for (const s of this.sightings.values()) if (!s.answered) codes.add(s.code);
    return [...codes].join(', ');
  }

  private isLoopback(host: string): boolean {
    let known = this.loopback.get(host);
    if (known === undefined) this.loopback.set(host, (known = isLoopbackHost(host)));
    return known;
  }
}

/** Answers before failures, then the most recent. */
const rank = (s: Sighting): number => (s.answered ? s.at : s.at - 1e15);
