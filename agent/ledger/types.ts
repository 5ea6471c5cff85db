/** raqib's record of each report, kept in the state file. */
import type { Guidance, ReportStatus, ReportType } from '../authority/contract.js';
import type { Impact } from '../detect/service-state.js';
import type { Incident } from '../incidents/types.js';
import type { ReportedService } from '../wording/context.js';

/** One report: what filing decided, what the authority answered, what follow-up saw. */
export interface ReportRecord {
  /** Incident id, or `maintenance:<service>:<window>:<start>` for a planned window. */
  key: string;
  kind: 'outage' | 'maintenance';
  type: ReportType;
  serviceId: string;
  /** The service as reports named it when last decided: what is said after it leaves the config. */
  service?: ReportedService;
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
  /** When raqib stopped watching the outage before it ended (and told the authority so). */
  unmonitoredAt?: number;
  /** When the outage came back after its final report (the team was told). */
  reopenedAt?: number;
  /** The intermittent (flapping) update was queued. */
  intermittentReported?: boolean;
  /** Dependent services already told to the authority. */
  affectedReported?: number;
  /** The incident as it closed: the final report's facts, whatever the incident store keeps. */
  closedIncident?: Incident;
  /** Filing has nothing more to do: the final report went, the authority closed it, or a person took over. */
  done?: boolean;
  /** Follow-up has nothing more to read: the report is closed or cancelled and was read once more after. */
  followed?: boolean;
}
