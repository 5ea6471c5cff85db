/**
 * How a report's status moves: acknowledgement after ackDelayMs, the effect of each update, the
 * final report, and what the authority does by hand (sandbox control: status, guidance). Every
 * change of status is appended to status_history.
 */
import { FINAL_STATUSES, type Report, type ReportStatus, type ReportType, type UpdateBody } from '../authority/contract.js';
import type { Logger } from '../log.js';
import type { Persistence } from './persistence.js';
import type { SandboxState } from './state.js';

const OUTAGE_UPDATES: readonly string[] = ['ongoing', 'restored'];
const MAINTENANCE_UPDATES: readonly string[] = ['in_progress', 'completed', 'extended'];

export function initialStatus(type: ReportType): ReportStatus {
  return type === 'scheduled_maintenance' ? 'scheduled' : 'submitted';
}

export function isFinal(report: Report): boolean {
  return FINAL_STATUSES.includes(report.status);
}

/** The update statuses a report of this type accepts. */
export function updateStatusesFor(type: ReportType): readonly string[] {
  return type === 'scheduled_maintenance' ? MAINTENANCE_UPDATES : OUTAGE_UPDATES;
}

/** Sets the status, recording it in status_history when it changes. */
export function setStatus(report: Report, status: ReportStatus, at: string): void {
  report.updated_at = at;
  if (report.status === status) return;
  report.status = status;
  report.status_history.push({ status, at });
}

/** What an update does to the status: restored and completed lead on to awaiting_final_report. */
export function applyUpdate(report: Report, status: UpdateBody['status'], at: string): void {
  setStatus(report, status, at);
  if (status === 'restored' || status === 'completed') setStatus(report, 'awaiting_final_report', at);
}

/** What a final report does: closes the report, or leaves it awaiting the actions still pending. */
export function applyFinalReport(report: Report, actionsPending: boolean, at: string): void {
  setStatus(report, actionsPending ? 'awaiting_final_report' : 'closed', at);
}

/** The authority's acknowledgement: acknowledged_at, and an outage still `submitted` becomes `received`. */
export function acknowledge(report: Report, at: string): boolean {
  if (report.acknowledged_at) return false;
  report.acknowledged_at = at;
  if (report.status === 'submitted') setStatus(report, 'received', at);
  else report.updated_at = at;
  return true;
}

/** Acknowledges each report ackDelayMs after it was filed (never when negative). */
export class Acknowledger {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly state: SandboxState,
    private readonly persistence: Persistence,
    private readonly ackDelayMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** Schedules the acknowledgement of a report (after a restart, of every report still waiting). */
  schedule(report: Report): void {
    if (this.ackDelayMs < 0 || report.acknowledged_at || this.timers.has(report.id)) return;
    const due = Date.parse(report.created_at) + this.ackDelayMs;
    const timer = setTimeout(() => this.fire(report.id), Math.max(0, due - this.now()));
    timer.unref();
    this.timers.set(report.id, timer);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private fire(id: string): void {
    this.timers.delete(id);
    const report = this.state.reports.get(id);
    if (!report || !acknowledge(report, new Date(this.now()).toISOString())) return;
    this.log.info({ report: id, reference: report.reference, status: report.status }, 'report acknowledged');
    this.persistence.commit().catch((err: unknown) => this.log.error({ err, report: id }, 'cannot persist acknowledgement'));
  }
}
