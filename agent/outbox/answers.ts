/**
 * What the authority answered to a delivered report call, recorded in the ledger (a filed
 * report's id and reference, a final report's status) and passed on: to the team, and to whoever
 * listens for answers (follow-up reads the report right after it is filed, and once more when a
 * final report closes it). What it refused for good is counted and told to the team, who must act.
 */
import type { ReportStatus } from '../authority/contract.js';
import type { Clock } from '../clock.js';
import { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { Notifier } from '../team/notify.js';
import type { OutboxEntry } from './types.js';

export type Answer = { type: 'filed'; key: string } | { type: 'final'; key: string; status?: ReportStatus };

export class Answers {
  private readonly listeners = new Set<(answer: Answer) => void>();

  constructor(
    private readonly ledger: Ledger,
    private readonly notifier: Notifier,
    private readonly metrics: ReportingMetrics,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** In drafts mode nothing is filed: a draft is ready for a person to paste into the portal. */
    private readonly drafts = false,
  ) {}

  onAnswer(listener: (answer: Answer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(answer: Answer): void {
    for (const listener of this.listeners) listener(answer);
  }

  delivered(entry: OutboxEntry, answer: unknown): void {
    if (!entry.reportKey) return;
    const now = this.clock.now();
    if (entry.op === 'create_report') {
      const created = answer as { id: string; reference: string; status?: ReportStatus };
      const rec = this.ledger.filed(entry.reportKey, created, now);
      if (!rec) return;
      this.metrics.reports.inc({ type: rec.type, outcome: 'filed' });
      if (this.drafts) {
        this.log.warn(
          { report: created.reference, type: rec.type, service: rec.serviceId, incident: rec.incidentId },
          "report drafted: paste it into the authority's portal now",
        );
      } else {
        this.log.warn(
          { report: created.reference, id: created.id, type: rec.type, service: rec.serviceId, incident: rec.incidentId },
          'report filed with the authority',
        );
      }
      void this.notifier.notify({
        event: 'report_filed',
        at: now,
        subject: rec.key,
        serviceId: rec.serviceId,
        report: Ledger.ref(rec),
        facts: { drafts: this.drafts },
      });
      this.emit({ type: 'filed', key: rec.key });
    } else if (entry.op === 'final_report') {
      const status = (answer as { status?: ReportStatus } | undefined)?.status;
      const rec = this.ledger.finalAnswered(entry.reportKey, status, now);
      if (!rec) return;
      this.log.info({ report: rec.reference, status, actionsPending: rec.actionsPending }, 'final report filed with the authority');
      this.emit({ type: 'final', key: rec.key, ...(status ? { status } : {}) });
    }
  }

  deadLetter(entry: OutboxEntry): void {
    this.metrics.deadLetters.inc({ op: entry.op });
    const rec = entry.reportKey ? this.ledger.get(entry.reportKey) : undefined;
    if (entry.op === 'create_report' && rec) this.metrics.reports.inc({ type: rec.type, outcome: 'failed' });
    void this.notifier.notify({
      event: 'report_failed',
      at: this.clock.now(),
      subject: entry.idempotencyKey,
      serviceId: rec?.serviceId,
      ...(rec ? { report: Ledger.ref(rec) } : {}),
      facts: { why: 'refused', what: entry.summary, reason: entry.dead?.reason ?? 'unknown reason' },
    });
  }
}
