/**
 * The alerts Alertmanager has sent that some `alert` check listens for, kept in the state file so
 * that a restart neither forgets an outage nor reads a silence as its end.
 *
 * An alert is one fingerprint (its label set); each time it starts firing is an episode, named by
 * its `startsAt`. Deliveries are merged so that repeats, duplicates from an Alertmanager cluster
 * and out-of-order retries change nothing they should not:
 * - an older episode than the one kept is ignored;
 * - a newer episode replaces it;
 * - within one episode, resolved is final: a firing delivery that arrives after it is a late retry.
 * A firing alert that is not sent again for the check's `expire_after` counts as ended
 * (Alertmanager resends a firing alert every `repeat_interval`). Resolved alerts are kept a day, to
 * recognize late retries; firing ones a week after they were last sent.
 */
import type { Clock } from '../clock.js';
import type { StateStore } from '../store/types.js';
import { matchesAll, type Matcher } from './matchers.js';
import type { DeliveredAlert } from './payload.js';

export interface KeptAlert extends DeliveredAlert {
  /** Epoch ms (agent clock) of the last delivery that carried this episode. */
  receivedAt: number;
}

const RESOLVED_KEEP_MS = 24 * 3600_000;
const FIRING_KEEP_MS = 7 * 24 * 3600_000;

export interface ReceiveSummary {
  /** Alerts of the delivery that some alert check listens for. */
  matched: number;
  /** Of those, deliveries that changed what is kept (not a repeat, not a late retry). */
  changed: number;
  /** Late retries and older episodes, left out. */
  stale: number;
  /** Fingerprints whose firing or resolved state changed: their checks are worth running now. */
  moved: KeptAlert[];
}

/** What the `alert` probe reads: the alerts matching a check's matchers, firing or lately expired. */
export interface AlertSource {
  firing(matchers: readonly Matcher[], expireAfterMs: number, now: number): { firing: KeptAlert[]; expired: KeptAlert[] };
}

export class AlertBook implements AlertSource {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    /** The matchers of every alert check now configured: alerts no check listens for are not kept. */
    private readonly interest: () => readonly (readonly Matcher[])[],
  ) {}

  private get kept(): Record<string, KeptAlert> {
    return this.store.data.alerts ?? {};
  }

  receive(alerts: readonly DeliveredAlert[]): ReceiveSummary {
    const now = this.clock.now();
    const interest = this.interest();
    const summary: ReceiveSummary = { matched: 0, changed: 0, stale: 0, moved: [] };
    const updates = new Map<string, KeptAlert>();
    for (const a of alerts) {
      if (!interest.some((m) => matchesAll(m, a.labels))) continue;
      summary.matched++;
      const old = updates.get(a.fingerprint) ?? this.kept[a.fingerprint];
      if (old && (a.startsAt < old.startsAt || (a.startsAt === old.startsAt && old.status === 'resolved' && a.status === 'firing'))) {
        summary.stale++;
        continue;
      }
      const next: KeptAlert = { ...a, receivedAt: now };
      if (old && old.startsAt === a.startsAt && old.status === a.status && sameMap(old.annotations, a.annotations) && a.status === 'resolved') continue;
      summary.changed++;
      if (!old || old.status !== a.status || old.startsAt !== a.startsAt) summary.moved.push(next);
      updates.set(a.fingerprint, next);
    }
    const expired = Object.values(this.kept).filter(
      (k) => !updates.has(k.fingerprint) && now - k.receivedAt > (k.status === 'resolved' ? RESOLVED_KEEP_MS : FIRING_KEEP_MS),
    );
    if (updates.size > 0 || expired.length > 0) {
      this.store.update((d) => {
        const book = (d.alerts ??= {});
        for (const k of expired) delete book[k.fingerprint];
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
      (now - k.receivedAt > expireAfterMs ? expired : firing).push(k);
    }
    return { firing, expired };
  }
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
