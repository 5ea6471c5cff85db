/**
 * Follows each open report at the authority: records status changes and guidance, tells the team
 * about new guidance and reports returned for more information, measures time to acknowledgement,
 * and escalates a report nobody acknowledged within ack_deadline. None of the other tools read the
 * other side's reply; this is why raqib exists.
 */
import type { AuthorityApi } from '../authority/client.js';
import { FINAL_STATUSES, type Report } from '../authority/contract.js';
import { isAuthorityError } from '../authority/errors.js';
import type { ReportRecord } from '../outbox/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { StateStore } from '../store/types.js';
import type { Notifier } from '../team/notify.js';
import type { Reporter } from '../filing/lifecycle.js';

export interface FollowUpOptions {
  config: () => Config;
  store: StateStore;
  api: AuthorityApi;
  reporter: Reporter;
  notifier: Notifier;
  metrics: ReportingMetrics;
  clock: Clock;
  log: Logger;
}

export class FollowUp {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: FollowUpOptions) {
    this.log = opts.log.child({ module: 'followup' });
  }

  start(): void {
    const loop = () => {
      this.timer = this.opts.clock.setTimer(() => {
        void this.pollAll().finally(loop);
      }, this.opts.config().authority?.followup_interval ?? 300_000);
    };
    loop();
  }

  stop(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Poll every filed, unfinished report once. */
  pollAll(): Promise<void> {
    this.running ??= (async () => {
      for (const rec of Object.values(this.opts.store.data.reports)) {
        if (rec.done || !rec.reportId) continue;
        try {
          this.apply(rec, await this.opts.api.getReport(rec.reportId));
        } catch (err) {
          const level = isAuthorityError(err) && err.kind === 'auth' ? 'debug' : 'warn';
          this.log[level]({ report: rec.reference, err: describeError(err) }, 'follow-up poll failed; will try again');
        }
        this.escalate(rec);
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private apply(rec: ReportRecord, report: Report): void {
    const { store, reporter, notifier, metrics, clock } = this.opts;
    const now = clock.now();
    const before = rec.status;
    const fresh = report.guidance.filter((g) => !rec.guidance.some((seen) => seen.id === g.id));
    const acked = report.acknowledged_at !== undefined && rec.acknowledgedAt === undefined;
    store.update(() => {
      reporter.setStatus(rec, report.status, now);
      rec.guidance.push(...fresh);
      if (acked) rec.acknowledgedAt = Date.parse(report.acknowledged_at!);
      // Closed or cancelled by the authority: nothing more is expected (a final report now would be refused).
      if (FINAL_STATUSES.includes(report.status)) rec.done = true;
    });
    const ref = reporter.ref(rec);
    if (acked) {
      const seconds = Math.max(0, (rec.acknowledgedAt! - (rec.filedAt ?? rec.acknowledgedAt!)) / 1000);
      metrics.ackSeconds.observe(seconds);
      this.log.info({ report: rec.reference, seconds }, 'report acknowledged by the authority');
      void notifier.notify({ event: 'report_acknowledged', at: now, subject: rec.key, serviceId: rec.serviceId, report: ref, message: { en: `The authority acknowledged report ${rec.reference}.`, ar: `أقرّت الهيئة باستلام البلاغ ${rec.reference}.` } });
    }
    if (report.status !== before) this.log.info({ report: rec.reference, from: before, to: report.status }, 'report status changed at the authority');
    if (report.status === 'returned_for_info' && before !== 'returned_for_info') {
      void notifier.notify({ event: 'returned_for_info', at: now, subject: `${rec.key}:${now}`, serviceId: rec.serviceId, report: ref, message: { en: `The authority returned report ${rec.reference} asking for more information.`, ar: `أعادت الهيئة البلاغ ${rec.reference} طالبةً معلومات إضافية.` } });
    }
    for (const g of fresh) {
      metrics.guidance.inc();
      this.log.warn({ report: rec.reference, guidance: g.id, text: g.text.en }, 'guidance received from the authority');
      void notifier.notify({ event: 'guidance_received', at: now, subject: `${rec.key}:${g.id}`, serviceId: rec.serviceId, report: ref, message: { en: `Guidance on ${rec.reference}: ${g.text.en}`, ar: `إرشادات بشأن البلاغ ${rec.reference}: ${g.text.ar}` } });
    }
  }

  /** Tell the team once when a filed report has waited too long for acknowledgement. */
  private escalate(rec: ReportRecord): void {
    const deadline = this.opts.config().authority?.ack_deadline;
    const now = this.opts.clock.now();
    if (!deadline || rec.acknowledgedAt || rec.escalatedAt || !rec.filedAt || now - rec.filedAt < deadline) return;
    this.opts.store.update(() => (rec.escalatedAt = now));
    this.log.warn({ report: rec.reference, filedAt: new Date(rec.filedAt).toISOString() }, 'report not acknowledged in time; escalating to the team');
    void this.opts.notifier.notify({
      event: 'not_acknowledged', at: now, subject: rec.key, serviceId: rec.serviceId, report: this.opts.reporter.ref(rec),
      message: { en: `Report ${rec.reference} is not acknowledged by the authority after ${Math.round((now - rec.filedAt) / 60_000)} minutes; call the authority.`, ar: `لم تُقرّ الهيئة باستلام البلاغ ${rec.reference} منذ ${Math.round((now - rec.filedAt) / 60_000)} دقيقة؛ يرجى التواصل معها.` },
    });
  }
}
