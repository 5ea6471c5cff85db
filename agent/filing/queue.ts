/**
 * Each step of a report is recorded in the ledger before its entry, with the facts frozen now, is
 * queued, so a restart neither repeats nor forgets a step and a late send says what was true when
 * it was decided. Shared by the outage and the maintenance lifecycles.
 */
import type { Config } from '../config/schema.js';
import type { Clock } from '../clock.js';
import type { Incident } from '../incidents/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ReportRecord } from '../ledger/types.js';
import type { NewEntry, Outbox } from '../outbox/outbox.js';
import type { OngoingReason, OutboxEntry } from '../outbox/types.js';
import type { ReportedService } from '../wording/context.js';
import type { Facts, ReportFacts, TeamActions } from '../wording/facts.js';
import { RaqibError } from '../errors.js';
import { reportTypeFor } from '../wording/build.js';
import { freeze, reportedService } from './freeze.js';

export class ReportQueue {
  constructor(
    private readonly config: () => Config,
    private readonly ledger: Ledger,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  newRecord(key: string, kind: ReportRecord['kind'], service: ReportedService, extra: Partial<ReportRecord> = {}): ReportRecord {
    const type = kind === 'maintenance' ? 'scheduled_maintenance' : reportTypeFor(service).type;
    return {
      key,
      kind,
      type,
      serviceId: service.id,
      keyStem: `raqib:${this.config().entity.code}:${key}`,
      service: reportedService(service),
      statusHistory: [],
      queuedAt: this.clock.now(),
      updates: 0,
      finals: 0,
      guidance: [],
      ...extra,
    };
  }

  /** The service as configured now, or as it was when the report was last decided (it may have left the config). */
  serviceOf(rec: ReportRecord): ReportedService {
    const now = this.config().services.find((s) => s.id === rec.serviceId);
    if (now) {
      const frozen = reportedService(now);
      if (JSON.stringify(frozen) !== JSON.stringify(rec.service)) this.ledger.decide(rec, (r) => (r.service = frozen));
      return frozen;
    }
    if (!rec.service) throw new Error(`service ${rec.serviceId} is no longer in the config and its report kept no description of it`);
    return rec.service;
  }

  /** The facts of a call decided now; throws before anything is recorded if they cannot be told. */
  private facts(rec: ReportRecord, what: ReportFacts): Facts {
    return freeze(this.config(), this.serviceOf(rec), this.clock.now(), what);
  }

  /** Queue one step; its idempotency key is the record's stem plus `suffix`, stable across restarts. */
  async queue(rec: ReportRecord, op: OutboxEntry['op'], suffix: string, facts: Facts, summary: string): Promise<void> {
    const entry: NewEntry = { lane: `report:${rec.key}`, op, reportKey: rec.key, idempotencyKey: `${rec.keyStem}${suffix}`, body: null, facts, summary };
    await this.outbox.enqueue([entry]);
  }

  /** Record a step, then queue it with the facts frozen before the record changed. */
  async step(rec: ReportRecord, what: ReportFacts, record: (rec: ReportRecord) => { op: OutboxEntry['op']; suffix: string; summary: string }): Promise<void> {
    const facts = this.facts(rec, what);
    let call: ReturnType<typeof record> | undefined;
    this.ledger.decide(rec, (r) => (call = record(r)));
    await this.queue(rec, call!.op, call!.suffix, facts, call!.summary);
  }

  async update(rec: ReportRecord, incident: Incident, reason: OngoingReason): Promise<void> {
    await this.step(rec, { kind: 'ongoing', incident, reason }, (r) => {
      r.updates += 1;
      r.lastUpdateAt = this.clock.now();
      r.lastImpact = incident.impact;
      return { op: 'add_update', suffix: `:update:${r.updates}`, summary: `update ${r.updates} (${reason})` };
    });
  }

  /** The restoration, once; the final report is due final_report_deadline after the outage ended. */
  async restored(rec: ReportRecord, incident: Incident): Promise<void> {
    if (rec.restoredQueued) return;
    const endedAt = incident.endedAt ?? this.clock.now();
    await this.step(rec, { kind: 'restored', incident }, (r) => {
      const n = (r.restorations ?? 0) + 1;
      r.restoredQueued = true;
      r.restorations = n;
      r.finalDueAt = endedAt + this.config().authority!.final_report_deadline;
      return { op: 'add_update', suffix: n === 1 ? ':restored' : `:restored:${n}`, summary: n === 1 ? 'restoration' : `restoration ${n}` };
    });
  }

  /** raqib stopped watching the outage before it ended: the authority is told so, and filing ends here. */
  async unmonitored(rec: ReportRecord, incident: Incident): Promise<void> {
    await this.step(rec, { kind: 'unmonitored', incident }, (r) => {
      r.done = true;
      r.unmonitoredAt = this.clock.now();
      delete r.closedIncident;
      return { op: 'add_update', suffix: ':unmonitored', summary: 'monitoring stopped' };
    });
  }

  /** The final report, from the incident as it closed and the moments the authority answered. */
  async final(rec: ReportRecord, actions?: TeamActions): Promise<void> {
    const incident = rec.closedIncident;
    if (!incident)
      throw new RaqibError('RAQIB_REPORT_UNWORDABLE', `report ${rec.reference ?? rec.key} kept no copy of its closed incident; file its final report by hand`);
    const moments = {
      ...(rec.filedAt !== undefined ? { filedAt: rec.filedAt } : {}),
      ...(rec.acknowledgedAt !== undefined ? { acknowledgedAt: rec.acknowledgedAt } : {}),
    };
    await this.step(rec, { kind: 'final', incident, ...(actions ? { actions } : {}), moments }, (r) => {
      r.finals += 1;
      r.actionsPending = !actions;
      return { op: 'final_report', suffix: `:final:${r.finals}`, summary: r.finals === 1 ? 'final report' : 'final report with actions' };
    });
  }
}
