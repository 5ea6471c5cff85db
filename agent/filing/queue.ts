/**
 * Report records and their outbox entries, made together: each step is recorded in the record
 * (which update number, restoration queued, finals) before its entry is queued, so a restart
 * neither repeats nor forgets a step. Shared by the outage and the maintenance lifecycles.
 */
import type { NewEntry, Outbox } from '../outbox/outbox.js';
import type { BuildSpec, OutboxEntry, ReportRecord } from '../outbox/types.js';
import type { Clock } from '../clock.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import type { Incident } from '../incidents/types.js';
import { reportTypeFor } from '../wording/build.js';
import type { StateStore } from '../store/types.js';
import { findRecord } from '../ledger/views.js';

export class ReportQueue {
  constructor(
    private readonly config: () => Config,
    private readonly store: StateStore,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  get records(): Record<string, ReportRecord> {
    return this.store.data.reports;
  }

  /** Find a record by incident id, report key, authority id or reference. */
  find(ref: string): ReportRecord | undefined {
    return findRecord(this.store.data, ref);
  }

  newRecord(key: string, kind: ReportRecord['kind'], service: ServiceConfig, extra: Partial<ReportRecord> = {}): ReportRecord {
    const type = kind === 'maintenance' ? 'scheduled_maintenance' : reportTypeFor(service).type;
    return {
      key, kind, type, serviceId: service.id, keyStem: `raqib:${this.config().entity.code}:${key}`,
      statusHistory: [], queuedAt: this.clock.now(), updates: 0, finals: 0, guidance: [], ...extra,
    };
  }

  /** Queue one step; its idempotency key is the record's stem plus `suffix`, stable across restarts. */
  async queue(rec: ReportRecord, op: OutboxEntry['op'], suffix: string, build: BuildSpec, summary: string): Promise<void> {
    const entry: NewEntry = { lane: `report:${rec.key}`, op, reportKey: rec.key, idempotencyKey: `${rec.keyStem}${suffix}`, body: null, build, summary };
    await this.outbox.enqueue([entry]);
  }

  async update(rec: ReportRecord, build: BuildSpec & { kind: 'ongoing' }, impact?: Incident['impact']): Promise<void> {
    const n = rec.updates + 1;
    this.store.update(() => {
      rec.updates = n;
      rec.lastUpdateAt = this.clock.now();
      if (impact) rec.lastImpact = impact;
    });
    await this.queue(rec, 'add_update', `:update:${n}`, build, `update ${n} (${build.reason})`);
  }

  /** The restoration, once; the final report is due final_report_deadline after the outage ended. */
  async restored(rec: ReportRecord, endedAt: number): Promise<void> {
    if (rec.restoredQueued) return;
    const n = (rec.restorations ?? 0) + 1;
    this.store.update(() => {
      rec.restoredQueued = true;
      rec.restorations = n;
      rec.finalDueAt = endedAt + this.config().authority!.final_report_deadline;
    });
    await this.queue(rec, 'add_update', n === 1 ? ':restored' : `:restored:${n}`, { kind: 'restored' }, n === 1 ? 'restoration' : `restoration ${n}`);
  }

  async final(rec: ReportRecord, build: BuildSpec): Promise<void> {
    const n = rec.finals + 1;
    this.store.update(() => {
      rec.finals = n;
      rec.actionsPending = build.kind === 'final' && !build.actions;
    });
    await this.queue(rec, 'final_report', `:final:${n}`, build, n === 1 ? 'final report' : 'final report with actions');
  }

  static ref(rec: ReportRecord): { key: string; id?: string; reference?: string; status?: string; type: string } {
    return { key: rec.key, type: rec.type, ...(rec.reportId ? { id: rec.reportId } : {}), ...(rec.reference ? { reference: rec.reference } : {}), ...(rec.status ? { status: rec.status } : {}) };
  }

  static setStatus(rec: ReportRecord, status: NonNullable<ReportRecord['status']>, at: number): void {
    if (rec.status === status) return;
    rec.status = status;
    rec.statusHistory.push({ status, at });
  }
}
