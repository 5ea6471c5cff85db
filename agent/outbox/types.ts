/** What the outbox persists in the state file. */
import type { Facts } from '../wording/facts.js';

export type OutboxOp = 'create_report' | 'add_update' | 'final_report' | 'notify';

/** Why an update is filed while the outage lasts. */
export type OngoingReason = 'periodic' | 'impact_changed' | 'intermittent' | 'affected_services';

/** What a report call was to say, as raqib 0.1 queued it (without its facts); read only to upgrade such entries. */
export type LegacyBuildSpec =
  | { kind: 'report' }
  | { kind: 'ongoing'; reason: OngoingReason }
  | { kind: 'restored' }
  | { kind: 'final'; actions?: { taken: string; rootCause?: string } }
  | { kind: 'maintenance' }
  | { kind: 'maintenance_update'; status: 'in_progress' | 'completed' | 'extended'; at: number }
  | { kind: 'maintenance_final' };

/**
 * One outbound call, written durably before it is first sent and removed only once the far side
 * has answered it. The body is stored as sent, so a retry after a restart sends the very same
 * bytes under the same idempotency key (a rebuilt body would differ, and the authority would
 * rightly answer 409).
 */
export interface OutboxEntry {
  /** Global order of creation. */
  seq: number;
  /** Entries in one lane go one at a time in seq order: one lane per report, one per notification channel. */
  lane: string;
  op: OutboxOp;
  /** The report record this belongs to (report ops). */
  reportKey?: string;
  /** Notification channel id (notify). */
  channel?: string;
  idempotencyKey: string;
  /** The exact body sent; null until built at the first attempt, from `facts`. */
  body: unknown;
  /** What a report call says, frozen when it was decided (report ops). */
  facts?: Facts;
  /** Written by raqib 0.1 instead of `facts`; upgraded at start. */
  build?: LegacyBuildSpec;
  /** For people: "report", "update 2 (ongoing)", "restoration", "final report", "notify guidance_received". */
  summary: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  /**
   * Set when the far side refused it for good (a 4xx other than 408/425/429): a dead letter; or
   * when it was made for another authority than the one raqib files with now (`abandoned`).
   */
  dead?: { at: number; status?: number; reason: string; abandoned?: true };
}
