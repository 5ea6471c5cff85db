/**
 * What the far side answered, recorded: a filed report's id and reference, a final report's
 * status; and what it refused for good, counted and told to the team, who must act.
 */
import type { OutboxEntry, ReportRecord } from './types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { StateStore } from '../store/types.js';
import type { Notifier } from '../team/notify.js';
import { ReportQueue } from '../filing/queue.js';

export class Answers {
  constructor(
    private readonly store: StateStore,
    private readonly notifier: Notifier,
    private readonly metrics: ReportingMetrics,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** In drafts mode nothing is filed: a draft is ready for a person to paste into the portal. */
    private readonly drafts = false,
  ) {}

  delivered(entry: OutboxEntry, answer: unknown): void {
    if (entry.op === 'notify') {
      this.metrics.notifications.inc({ channel: entry.channel ?? '', result: 'delivered' });
      return;
    }
    const rec = entry.reportKey ? this.store.data.reports[entry.reportKey] : undefined;
    if (!rec) return;
    const now = this.clock.now();
    if (entry.op === 'create_report') {
      const created = answer as { id: string; reference: string; status: ReportRecord['status'] };
      this.store.update(() => {
        rec.reportId = created.id;
        rec.reference = created.reference;
        rec.filedAt = now;
        if (created.status) ReportQueue.setStatus(rec, created.status, now);
      });
      this.metrics.reports.inc({ type: rec.type, outcome: 'filed' });
      if (this.drafts) {
        this.log.warn({ report: created.reference, type: rec.type, service: rec.serviceId, incident: rec.incidentId }, 'report drafted: paste it into the authority\'s portal now');
      } else {
        this.log.warn({ report: created.reference, id: created.id, type: rec.type, service: rec.serviceId, incident: rec.incidentId }, 'report filed with the authority');
      }
      void this.notifier.notify({
        event: 'report_filed', at: now, subject: rec.key, serviceId: rec.serviceId, report: ReportQueue.ref(rec),
        message: this.drafts
          ? { en: `Nothing was sent: the report on ${rec.serviceId} is drafted as data_dir/drafts/${created.reference}-report.md. Paste it into the authority's portal now.`, ar: `لم يُرسَل شيء: البلاغ عن الخدمة ${rec.serviceId} جاهز في data_dir/drafts/${created.reference}-report.md. يرجى إدخاله في بوابة الهيئة الآن.` }
          : { en: `Report ${created.reference} (${rec.type}) filed for ${rec.serviceId}.`, ar: `قُدّم البلاغ ${created.reference} عن الخدمة ${rec.serviceId}.` },
      });
    } else if (entry.op === 'final_report') {
      const report = answer as { status?: ReportRecord['status'] };
      this.store.update(() => {
        if (report.status) ReportQueue.setStatus(rec, report.status, now);
        if (report.status === 'closed' || report.status === 'cancelled') rec.done = true;
      });
      this.log.info({ report: rec.reference, status: report.status, actionsPending: rec.actionsPending }, 'final report filed with the authority');
    }
  }

  deadLetter(entry: OutboxEntry): void {
    this.metrics.deadLetters.inc({ op: entry.op });
    const rec = entry.reportKey ? this.store.data.reports[entry.reportKey] : undefined;
    if (entry.op === 'create_report' && rec) this.metrics.reports.inc({ type: rec.type, outcome: 'failed' });
    if (entry.op === 'notify') {
      this.metrics.notifications.inc({ channel: entry.channel ?? '', result: 'failed' });
      return;
    }
    void this.notifier.notify({
      event: 'report_failed', at: this.clock.now(), subject: `${entry.idempotencyKey}`, serviceId: rec?.serviceId, ...(rec ? { report: ReportQueue.ref(rec) } : {}),
      message: {
        en: `The authority refused the ${entry.summary} for ${rec?.serviceId ?? 'a service'}: ${entry.dead?.reason ?? 'unknown reason'}. It will not be retried; file it by hand.`,
        ar: `رفضت الهيئة ${entry.summary} للخدمة ${rec?.serviceId ?? ''}: ${entry.dead?.reason ?? ''}. لن تُعاد المحاولة؛ يرجى تقديمه يدوياً.`,
      },
    });
  }
}
