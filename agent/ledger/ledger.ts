/**
 * The ledger of reports: one record per report, in the state file. Every stage reaches the
 * records only through these methods, each named for what it records: filing its decisions,
 * the outbox's answers what the authority answered, follow-up what it read there.
 */
import { FINAL_STATUSES, type Guidance, type Report, type ReportStatus } from '../authority/contract.js';
import type { StateData, StateStore } from '../store/types.js';
import type { ReportRecord } from './types.js';

/** Finished reports (filed to the end and followed) kept for people to look back at; older ones go. */
export const KEEP_FINISHED = 200;

/** The records in a state read from disk (the CLI's view when no agent runs). */
export function recordsIn(data: Pick<StateData, 'reports'>): ReportRecord[] {
  return Object.values(data.reports);
}

/** A record as people and team messages name it. */
export interface ReportRef {
  key: string;
  type: string;
  id?: string;
  reference?: string;
  status?: string;
}

/** What one reading of the authority's copy added. */
export interface Observation {
  from: ReportStatus | undefined;
  to: ReportStatus;
  fresh: Guidance[];
  acknowledged: boolean;
}

export class Ledger {
  constructor(private readonly store: StateStore) {}

  all(): ReportRecord[] {
    return Object.values(this.store.data.reports);
  }

  get(key: string): ReportRecord | undefined {
    return this.store.data.reports[key];
  }

  /** A record by report key, incident id, the authority's id or its reference (`DGA-…`, any case). */
  find(ref: string): ReportRecord | undefined {
    return findRecord(this.store.data.reports, ref);
  }

  /** Filing: a new record. */
  add(rec: ReportRecord): void {
    this.store.update((d) => (d.reports[rec.key] = rec));
  }

  /** Filing: a decision about a record (what is queued, what is due). */
  decide(rec: ReportRecord, change: (rec: ReportRecord) => void): void {
    this.store.update(() => change(rec));
  }

  /** Nothing more is filed for this report; the copy of its incident is no longer needed. */
  finish(rec: ReportRecord): void {
    this.store.update(() => {
      rec.done = true;
      delete rec.closedIncident;
    });
  }

  /** The outbox's answers: the authority took the report under this id and reference. */
  filed(key: string, created: { id: string; reference: string; status?: ReportStatus }, at: number): ReportRecord | undefined {
    const rec = this.get(key);
    if (!rec) return undefined;
    this.store.update(() => {
      rec.reportId = created.id;
      rec.reference = created.reference;
      rec.filedAt = at;
      if (created.status) setStatus(rec, created.status, at);
    });
    return rec;
  }

  /** The outbox's answers: the status the authority gave a final report. */
  finalAnswered(key: string, status: ReportStatus | undefined, at: number): ReportRecord | undefined {
    const rec = this.get(key);
    if (!rec) return undefined;
    this.store.update(() => {
      if (status) setStatus(rec, status, at);
    });
    if (status && FINAL_STATUSES.includes(status)) this.finish(rec);
    return rec;
  }

  /** Follow-up: the authority's copy of the report as read now. */
  observed(rec: ReportRecord, report: Report, at: number): Observation {
    const from = rec.status;
    const fresh = report.guidance.filter((g) => !rec.guidance.some((seen) => seen.id === g.id));
    const acknowledged = report.acknowledged_at !== undefined && rec.acknowledgedAt === undefined;
    this.store.update(() => {
      setStatus(rec, report.status, at);
      rec.guidance.push(...fresh);
      if (acknowledged) rec.acknowledgedAt = Date.parse(report.acknowledged_at!);
    });
    // Closed or cancelled by the authority: nothing more may be filed (a final report now would be refused).
    if (FINAL_STATUSES.includes(report.status)) this.finish(rec);
    return { from, to: report.status, fresh, acknowledged };
  }

  /** Follow-up: the team was told (`escalatedAt`: not acknowledged; `notFiledToldAt`: not filed yet). */
  told(rec: ReportRecord, what: 'escalatedAt' | 'notFiledToldAt', at: number): void {
    this.store.update(() => (rec[what] = at));
  }

  /** Follow-up: nothing more to read at the authority. The oldest finished records beyond KEEP_FINISHED go. */
  followed(rec: ReportRecord): void {
    this.store.update((d) => {
      rec.followed = true;
      const finished = Object.values(d.reports)
        .filter((r) => r.done && r.followed)
        .sort((a, b) => a.queuedAt - b.queuedAt);
      for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) delete d.reports[old.key];
    });
  }

  /**
   * The authority changed (sandbox → live, a new url): records of outages still open are dropped,
   * so they are filed afresh with the new one; the rest stay as history, finished.
   */
  leaveAuthority(stillOpen: (incidentId: string) => boolean): void {
    this.store.update((d) => {
      for (const [key, rec] of Object.entries(d.reports)) {
        const outageOpen = rec.kind === 'outage' && rec.incidentId !== undefined && stillOpen(rec.incidentId);
        // Windows not yet over are announced afresh too (maintenance files them again while they are ahead).
        const windowAhead = rec.kind === 'maintenance' && !rec.done;
        if (outageOpen || windowAhead) delete d.reports[key];
        else {
          rec.done = true;
          rec.followed = true;
          delete rec.closedIncident;
        }
      }
    });
  }

  /**
   * Records written by raqib 0.1: the service as reports name it (for when it leaves the config),
   * and a finished one marked followed (0.1 read nothing after a report closed).
   */
  upgrade(service: (serviceId: string) => ReportRecord['service']): void {
    const old = this.all().filter((r) => r.service === undefined);
    if (old.length === 0) return;
    this.store.update(() => {
      for (const rec of old) {
        const s = service(rec.serviceId);
        if (s) rec.service = s;
        if (rec.done) rec.followed = true;
      }
    });
  }

  /** Resolves once every record written so far is durable. */
  durable(): Promise<void> {
    return this.store.flush();
  }

  static ref(rec: ReportRecord): ReportRef {
    return {
      key: rec.key,
      type: rec.type,
      ...(rec.reportId ? { id: rec.reportId } : {}),
      ...(rec.reference ? { reference: rec.reference } : {}),
      ...(rec.status ? { status: rec.status } : {}),
    };
  }
}

function setStatus(rec: ReportRecord, status: ReportStatus, at: number): void {
  if (rec.status === status) return;
  rec.status = status;
  rec.statusHistory.push({ status, at });
}

/** When the record last reached a closed or cancelled status, if it is in one. */
export function finalSince(rec: ReportRecord): number | undefined {
  if (!rec.status || !FINAL_STATUSES.includes(rec.status)) return undefined;
  return rec.statusHistory.findLast((h) => h.status === rec.status)?.at;
}

export function findRecord(reports: Record<string, ReportRecord>, ref: string): ReportRecord | undefined {
  const upper = ref.toUpperCase();
  return Object.values(reports).find((r) => r.key === ref || r.incidentId === ref || r.reportId === ref || r.reference?.toUpperCase() === upper);
}
