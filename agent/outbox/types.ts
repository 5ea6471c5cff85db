/** What the outbox and the report records persist in the state file. */
import type { Impact } from '../detect/service-state.js';
import type { Guidance, ReportStatus, ReportType } from '../authority/contract.js';

export type OutboxOp = 'create_report' | 'add_update' | 'final_report' | 'notify';

/** Why an update is filed while the outage lasts. */
export type OngoingReason = 'periodic' | 'impact_changed' | 'intermittent' | 'affected_services';

/**
 * What a report call will say, kept until its body is built. Bodies are built at the first
 * attempt (when the filer and team are known), written durably, and only then sent.
 */
export type BuildSpec =
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
  /** The exact body sent; null until built at the first attempt (see `build`). */
  body: unknown;
  build?: BuildSpec;
  /** For people: "report", "update 2 (ongoing)", "restoration", "final report", "notify guidance_received". */
  summary: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  /** Set when the far side refused it for good (a 4xx other than 408/425/429): a dead letter. */
  dead?: { at: number; status?: number; reason: string };
}

/** raqib's own record of one report: what was queued, what the authority answered, what follows. */
export interface ReportRecord {
  /** Incident id, or `maintenance:<service>:<window>:<start>` for a planned window. */
  key: string;
  kind: 'outage' | 'maintenance';
  type: ReportType;
  serviceId: string;
  incidentId?: string;
  /** Stem of every idempotency key of this report. */
  keyStem: string;
  /** The authority's id and reference, once filed. */
  reportId?: string;
  reference?: string;
  status?: ReportStatus;
  statusHistory: { status: ReportStatus; at: number }[];
  queuedAt: number;
  filedAt?: number;
  acknowledgedAt?: number;
  /** When the team was told the report was not acknowledged in time. */
  escalatedAt?: number;
  lastUpdateAt?: number;
  lastImpact?: Impact;
  /** Updates queued so far (numbers the idempotency keys). */
  updates: number;
  restoredQueued?: boolean;
  /** Restorations queued so far: a flapping outage that came back is restored again later. */
  restorations?: number;
  /** Final reports queued so far: a second one carries the actions after a timeline-only first. */
  finals: number;
  finalDueAt?: number;
  /** The last final report said actions will follow. */
  actionsPending?: boolean;
  guidance: Guidance[];
  /** Maintenance occurrence this report is for. */
  window?: { windowId: string; start: number; end: number };
  /** Maintenance progress updates already queued. */
  windowUpdates?: ('in_progress' | 'completed' | 'extended')[];
  /** An outage inside a maintenance window: not filed unless it outlasts the window (this time). */
  suppressedUntil?: number;
  /** When the team was last told the report is still not filed. */
  notFiledToldAt?: number;
  /** The intermittent (flapping) update was queued. */
  intermittentReported?: boolean;
  /** Dependent services already told to the authority. */
  affectedReported?: number;
  /** No more work: closed or cancelled at the authority, or given up. */
  done?: boolean;
}
