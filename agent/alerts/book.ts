/**
 * The alerts Alertmanager has sent that some `alert` check listens for, kept in the state file so
 * that a restart neither forgets an outage nor reads a silence as its end.
 *
 * An alert is one fingerprint (its label set); each stretch of firing is an episode. Deliveries are
 * merged by time, not by equal fields, because an Alertmanager cluster (and Prometheus pairs
 * behind it) may send the same episode with different `startsAt`, and in any order:
 * - firing over firing renews it and keeps the earliest start;
 * - a resolution ends the kept episode when it ends at or after its start; an earlier one belongs
 *   to an older episode and is ignored;
 * - firing over a resolution is a new episode when it started after that end. One that started
 *   before is a retry or a lagging peer if it comes within LATE_RETRY_MS of the resolution, and
 *   otherwise the same episode firing again (Alertmanager resolves an alert Prometheus has not
 *   re-sent for a while, then takes it back with its old start when it is).
 * A firing alert not sent again for a check's `expire_after`, counted from the later of its last
 * delivery and this agent's start (so the agent's own downtime is not silence), counts as ended.
 * Resolutions are kept a day, to recognize late retries; firing alerts a week after the last send.
 */
import type { Clock } from '../clock.js';
import type { StateStore } from '../store/types.js';
import { matchesAll, type Matcher } from './matchers.js';
import type { DeliveredAlert } from './payload.js';

export interface KeptAlert extends DeliveredAlert {
  /** Epoch ms (agent clock) of the last delivery that carried this episode. */
  receivedAt: number;
}

/** How long after a resolution a firing delivery of the same episode is a retry, not a new firing. */
export const LATE_RETRY_MS = 60_000;
const RESOLVED_KEEP_MS = 24 * 3600_000;
/** Also the longest expire_after the config takes. */
export const FIRING_KEEP_MS = 7 * 24 * 3600_000;

export interface ReceiveSummary {
  /** Alerts of the delivery that some alert check listens for (or that the book holds). */
  matched: number;
  /** Of those, deliveries that changed what is kept (a repeat renews a firing alert). */
  changed: number;
  /** Late retries and resolutions of older episodes, left out. */
  stale: number;
  /** Alerts that started or stopped firing: their checks are worth running now. */
  moved: KeptAlert[];
}

/** What the `alert` probe reads. */
export interface AlertSource {
  /** The alerts matching `matchers` that fire now, and those that did until they expired. */
  firing(matchers: readonly Matcher[], expireAfterMs: number, now: number): { firing: KeptAlert[]; expired: KeptAlert[] };
  /** False while the configured watchdog alert is not firing or has expired: alerts cannot be trusted to arrive. */
  heard(now: number): boolean;
}

export interface Watchdog {
  matchers: readonly Matcher[];
  expireAfterMs: number;
}

type Merge = { kind: 'stale' | 'same' } | { kind: 'renewed' | 'moved'; next: KeptAlert };

/** What delivery `a` received at `now` does to the alert kept for its fingerprint. */
export function merge(old: KeptAlert | undefined, a: DeliveredAlert, now: number): Merge {
  const next: KeptAlert = { ...a, receivedAt: now };
  if (a.status === 'firing') {
    if (!old) return { kind: 'moved', next };
    if (old.status === 'firing') return { kind: 'renewed', next: { ...next, startsAt: Math.min(old.startsAt, a.startsAt) } };
    if (a.startsAt > (old.endsAt ?? old.receivedAt)) return { kind: 'moved', next };
    return now - old.receivedAt <= LATE_RETRY_MS ? { kind: 'stale' } : { kind: 'moved', next };
  }
  if (!old) return { kind: 'renewed', next }; // nothing was firing; kept to recognize a late firing retry
  if (old.status === 'resolved') return { kind: 'same' };
  if ((a.endsAt ?? now) < old.startsAt) return { kind: 'stale' };
  return { kind: 'moved', next: { ...next, startsAt: Math.min(old.startsAt, a.startsAt) } };
}

export class AlertBook implements AlertSource {
  private readonly startedAt: number;

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    /** The matchers of every alert check now configured: alerts nothing listens for are not kept. */
    private readonly interest: () => readonly (readonly Matcher[])[],
    private readonly watchdog: () => Watchdog | undefined = () => undefined,
  ) {
    this.startedAt = clock.now();
  }

  private get kept(): Record<string, KeptAlert> {
    return this.store.data.alerts ?? {};
  }

  receive(alerts: readonly DeliveredAlert[]): ReceiveSummary {
    const now = this.clock.now();
    const dog = this.watchdog();
    const interest = dog ? [...this.interest(), dog.matchers] : this.interest();
    const summary: ReceiveSummary = { matched: 0, changed: 0, stale: 0, moved: [] };
    const updates = new Map<string, KeptAlert>();
    for (const a of alerts) {
      const old = updates.get(a.fingerprint) ?? this.kept[a.fingerprint];
      // An alert already kept is always followed: a reload may have dropped the check meanwhile.
      if (!old && !interest.some((m) => matchesAll(m, a.labels))) continue;
      summary.matched++;
      const m = merge(old, a, now);
      if (m.kind === 'stale') summary.stale++;
      if (m.kind !== 'renewed' && m.kind !== 'moved') continue;
      summary.changed++;
      if (m.kind === 'moved') summary.moved.push(m.next);
      updates.set(a.fingerprint, m.next);
    }
    const gone = Object.values(this.kept).filter(
      (k) => !updates.has(k.fingerprint) && now - k.receivedAt > (k.status === 'resolved' ? RESOLVED_KEEP_MS : FIRING_KEEP_MS),
    );
    if (updates.size > 0 || gone.length > 0) {
      this.store.update((d) => {
        const book = (d.alerts ??= {});
        for (const k of gone) delete book[k.fingerprint];
        for (const [fp, k] of updates) book[fp] = k;
      });
    }
    return summary;
  }

  firing(matchers: readonly Matcher[], expireAfterMs: number, now: number): { firing: KeptAlert[]; expired: KeptAlert[] } {
    const firing: KeptAlert[] = [];
    const expired: KeptAlert[] = [];
    for (const k of Object.values(this.kept)) {
      if (k.status !== 'firing' || !matchesAll(matchers, k.labels)) continue;
      (this.silentFor(k, now) > expireAfterMs ? expired : firing).push(k);
    }
    return { firing, expired };
  }

  heard(now: number): boolean {
    const dog = this.watchdog();
    return !dog || this.firing(dog.matchers, dog.expireAfterMs, now).firing.length > 0 || now - this.startedAt <= dog.expireAfterMs;
  }

  private silentFor(k: KeptAlert, now: number): number {
    return now - Math.max(k.receivedAt, this.startedAt);
  }
}
