/**
 * The report lifecycle: turns incident events and the passing of time into outbox entries, once
 * each. An outage is filed when its incident opens (unless a maintenance window covers it), is
 * updated every update_interval and on every change of impact, gets its restoration when the
 * incident closes, and its final report when the team adds actions taken — or at the deadline,
 * with the timeline and "actions to follow". Planned windows are maintenance-reports.ts's.
 *
 * Every decision is recorded in the ReportRecord before its entry is queued (queue.ts), so a
 * restart neither repeats nor forgets a step; `reconcile()` catches incidents a crash left
 * without a record.
 */
import type { Outbox } from '../outbox/outbox.js';
import type { OutboxEntry, ReportRecord } from '../outbox/types.js';
import type { Clock } from '../clock.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { RaqibError } from '../errors.js';
import { activeWindow } from '../incidents/maintenance.js';
import type { IncidentEvent, IncidentTracker } from '../incidents/tracker.js';
import type { Incident } from '../incidents/types.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import { reportTypeFor } from '../wording/build.js';
import { formatWhen } from '../wording/dates.js';
import type { StateStore } from '../store/types.js';
import { Answers } from '../outbox/answers.js';
import { MaintenanceReports } from './maintenance.js';
import type { Notifier } from '../team/notify.js';
import { ReportQueue } from './queue.js';

/** How long a confirmed outage may wait to be filed before the team is told (and told again). */
export const NOT_FILED_MS = 10 * 60_000;

export interface ReporterOptions {
  config: () => Config;
  store: StateStore;
  outbox: Outbox;
  notifier: Notifier;
  tracker: IncidentTracker;
  clock: Clock;
  log: Logger;
  metrics: ReportingMetrics;
  /** How often time-driven work (periodic updates, deadlines, windows) is looked at. */
  tickMs?: number;
  /** The agent cannot see the network: make no new claims (periodic "still down" updates, outages outlasting a window). */
  blind?: () => boolean;
  /** drafts: nothing is filed, drafts are written for a person to paste. */
  drafts?: boolean;
}

export class Reporter {
  private timer: unknown;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private readonly queue: ReportQueue;
  private readonly maintenance: MaintenanceReports;
  private readonly answers: Answers;

  constructor(private readonly opts: ReporterOptions) {
    this.log = opts.log.child({ module: 'reporting' });
    this.queue = new ReportQueue(opts.config, opts.store, opts.outbox, opts.clock);
    this.maintenance = new MaintenanceReports(opts.config, opts.store, this.queue, opts.tracker, opts.notifier, opts.clock, this.log);
    this.answers = new Answers(opts.store, opts.notifier, opts.metrics, opts.clock, this.log, opts.drafts ?? false);
  }

  private get cfg(): Config {
    return this.opts.config();
  }

  start(): void {
    this.unsubscribe = this.opts.tracker.onEvent((e) => this.serially(() => this.onIncident(e)));
    this.serially(() => this.reconcile());
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Waits for work already started (tests and shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Work runs one step at a time so two events never race on the same record. */
  private serially(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error({ err }, 'reporting step failed'));
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimer(() => {
      this.serially(() => this.tick());
      this.schedule();
    }, this.opts.tickMs ?? 10_000);
  }

  find(ref: string): ReportRecord | undefined {
    return this.queue.find(ref);
  }

  private service(id: string): ServiceConfig | undefined {
    return this.cfg.services.find((s) => s.id === id);
  }

  private async onIncident(e: IncidentEvent): Promise<void> {
    const inc = e.incident;
    if (e.type === 'opened') return this.opened(inc);
    const rec = this.queue.records[inc.id];
    if (e.type === 'closed') await this.tell('incident_closed', inc, `The outage of ${inc.serviceId} is over (${inc.resolution}).`, `انتهى انقطاع الخدمة ${inc.serviceId}.`);
    if (!rec || this.refused(rec)) return;
    if (e.type === 'changed') {
      if (rec.suppressedUntil !== undefined || rec.done) return;
      if (inc.status === 'open' && rec.restoredQueued && rec.finals === 0) {
        // A flapping outage came back: it is not over after all; a later restoration will say when it is.
        this.opts.store.update(() => {
          rec.restoredQueued = false;
          delete rec.finalDueAt;
        });
      }
      if (inc.impact !== rec.lastImpact) await this.queue.update(rec, { kind: 'ongoing', reason: 'impact_changed' }, inc.impact);
      if (inc.flapping && !rec.intermittentReported) {
        this.opts.store.update(() => (rec.intermittentReported = true));
        await this.queue.update(rec, { kind: 'ongoing', reason: 'intermittent' });
      }
      const affected = inc.affected?.length ?? 0;
      if (affected > (rec.affectedReported ?? 0)) {
        this.opts.store.update(() => (rec.affectedReported = affected));
        await this.queue.update(rec, { kind: 'ongoing', reason: 'affected_services' });
      }
      return;
    }
    if (rec.done) return;
    if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
      this.opts.store.update(() => (rec.done = true));
      this.log.info({ incident: inc.id }, 'outage ended inside its maintenance window; nothing to report');
      return;
    }
    if (inc.resolution !== 'recovered') {
      await this.opts.notifier.notify({
        event: 'report_failed', at: this.opts.clock.now(), subject: inc.id, serviceId: inc.serviceId, report: ReportQueue.ref(rec),
        message: { en: `Service ${inc.serviceId} is no longer monitored while its report is open; update the authority by hand.`, ar: `توقفت مراقبة الخدمة ${inc.serviceId} وبلاغها مفتوح؛ يرجى تحديث الهيئة يدوياً.` },
      });
      return;
    }
    await this.restore(rec, inc);
  }

  private async opened(inc: Incident): Promise<void> {
    if (!this.cfg.authority || this.queue.records[inc.id]) return;
    const service = this.service(inc.serviceId);
    if (!service) return;
    const window = activeWindow(service, this.cfg.agent.timezone, inc.startedAt);
    if (!window) await this.fileOutage(inc, service); // the report first: it is what the authority is owed
    await this.tell('incident_opened', inc, `Outage of ${inc.serviceId} confirmed (${inc.impact}).`, `تأكّد انقطاع الخدمة ${inc.serviceId}.`);
    if (window) {
      this.opts.store.update((d) => {
        d.reports[inc.id] = this.queue.newRecord(inc.id, 'outage', service, { incidentId: inc.id, suppressedUntil: window.end, queuedAt: 0 });
      });
      this.opts.metrics.reports.inc({ type: reportTypeFor(service).type, outcome: 'suppressed' });
      this.log.info({ incident: inc.id, window: window.windowId, until: new Date(window.end).toISOString() }, 'outage inside a maintenance window; not reported unless it outlasts the window');
    }
  }

  private async fileOutage(inc: Incident, service: ServiceConfig): Promise<void> {
    const now = this.opts.clock.now();
    const rec = this.queue.records[inc.id] ?? this.queue.newRecord(inc.id, 'outage', service, { incidentId: inc.id });
    this.opts.store.update((d) => {
      delete rec.suppressedUntil;
      rec.queuedAt = now;
      rec.lastUpdateAt = now;
      rec.lastImpact = inc.impact;
      d.reports[inc.id] = rec;
    });
    await this.queue.queue(rec, 'create_report', ':report', { kind: 'report' }, 'report');
  }

  /** Queue the restoration and tell the team the final report is now due, and by when. */
  private async restore(rec: ReportRecord, inc: Incident): Promise<void> {
    if (rec.restoredQueued) return;
    await this.queue.restored(rec, inc.endedAt ?? this.opts.clock.now());
    const due = formatWhen(rec.finalDueAt!, this.cfg.agent.timezone);
    await this.opts.notifier.notify({
      event: 'final_report_due', at: this.opts.clock.now(), subject: rec.key, serviceId: rec.serviceId, report: ReportQueue.ref(rec),
      message: {
        en: `${inc.serviceId} is back. Add the actions taken before ${due.en} with: raqib reports finalize ${rec.reference ?? rec.key} --actions "…"`,
        ar: `عادت الخدمة ${inc.serviceId}. يرجى إضافة الإجراءات المتخذة قبل ${due.ar} بالأمر: raqib reports finalize ${rec.reference ?? rec.key} --actions "…"`,
      },
    });
  }

  private async tell(event: 'incident_opened' | 'incident_closed', inc: Incident, en: string, ar: string): Promise<void> {
    if (!this.cfg.authority) return;
    await this.opts.notifier.notify({ event, at: this.opts.clock.now(), subject: inc.id, serviceId: inc.serviceId, message: { en, ar } });
  }

  /** The team's actions taken: file the final report now (again, if the first said "to follow"). */
  async finalize(ref: string, actions: { taken: string; rootCause?: string }): Promise<ReportRecord> {
    let result: ReportRecord | undefined;
    let failure: unknown;
    this.serially(async () => {
      try {
        const rec = this.queue.find(ref);
        if (!rec) throw new RaqibError('RAQIB_REPORT_UNKNOWN', `no report ${ref}; raqib reports list shows them`);
        if (rec.kind === 'maintenance') throw new RaqibError('RAQIB_REPORT_MAINTENANCE', `${rec.reference ?? rec.key} is a scheduled maintenance report; its final report is filed when the window completes`);
        if (!rec.restoredQueued) {
          const inc = this.opts.store.data.incidents.find((i) => i.id === rec.incidentId);
          if (inc?.status === 'closed') {
            // No restoration was seen (the service stopped being monitored): raqib cannot say when it ended.
            throw new RaqibError('RAQIB_REPORT_UNMONITORED', `raqib stopped monitoring ${rec.serviceId} before it recovered, so it cannot say when the outage ended; file the restoration and final report of ${rec.reference ?? rec.key} by hand`);
          }
          throw new RaqibError('RAQIB_REPORT_ONGOING', `the outage of ${rec.serviceId} is not over yet; the final report follows its restoration`);
        }
        if (rec.done) throw new RaqibError('RAQIB_REPORT_FINAL', `report ${rec.reference ?? rec.key} is ${rec.status ?? 'done'} at the authority; nothing more can be filed`);
        if (rec.finals > 0 && !rec.actionsPending) throw new RaqibError('RAQIB_REPORT_FINAL', `the final report of ${rec.reference ?? rec.key} was already filed with its actions`);
        await this.queue.final(rec, { kind: 'final', actions });
        result = rec;
      } catch (err) {
        failure = err;
      }
    });
    await this.chain;
    if (failure) throw failure;
    return result!;
  }

  /** Time-driven work: periodic updates, final-report deadlines, maintenance windows. */
  async tick(): Promise<void> {
    const authority = this.cfg.authority;
    if (!authority) return;
    const now = this.opts.clock.now();
    for (const rec of Object.values(this.queue.records)) {
      if (rec.done || rec.kind !== 'outage') continue;
      const inc = this.opts.tracker.openFor(rec.serviceId);
      const open = inc?.id === rec.incidentId ? inc : undefined;
      if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
        if (open && now >= rec.suppressedUntil && !this.opts.blind?.()) {
          this.log.warn({ incident: rec.key }, 'outage outlasted its maintenance window; reporting it');
          await this.fileOutage(open, this.service(rec.serviceId)!);
        }
        continue;
      }
      if (this.refused(rec)) continue;
      await this.escalateUnfiled(rec, now);
      if (open && !rec.restoredQueued && !this.opts.blind?.() && now - (rec.lastUpdateAt ?? rec.queuedAt) >= authority.update_interval) {
        await this.queue.update(rec, { kind: 'ongoing', reason: 'periodic' });
      }
      if (rec.restoredQueued && rec.finals === 0 && rec.finalDueAt !== undefined && now >= rec.finalDueAt) {
        this.log.info({ report: rec.reference ?? rec.key }, 'final report deadline reached; filing the timeline, actions to follow');
        await this.queue.final(rec, { kind: 'final' });
      }
    }
    await this.maintenance.tick(now);
  }

  /** Whether the authority refused this report for good (its create is a dead letter). */
  private refused(rec: ReportRecord): boolean {
    return !rec.reportId && this.opts.store.data.outbox.some((e) => e.reportKey === rec.key && e.op === 'create_report' && e.dead);
  }

  /**
   * The crisis team believes the authority has the report from the first minute: when it has not
   * been filed after NOT_FILED_MS (authority down, nobody signed in, disk full…), say so and why,
   * and again every NOT_FILED_MS until it is.
   */
  private async escalateUnfiled(rec: ReportRecord, now: number): Promise<void> {
    if (rec.reportId || rec.queuedAt === 0 || now - rec.queuedAt < NOT_FILED_MS || now - (rec.notFiledToldAt ?? 0) < NOT_FILED_MS) return;
    const waiting = this.opts.store.data.outbox.find((e) => e.reportKey === rec.key && e.op === 'create_report' && !e.dead);
    const minutes = Math.round((now - rec.queuedAt) / 60_000);
    this.opts.store.update(() => (rec.notFiledToldAt = now));
    this.log.error({ report: rec.key, minutes, lastError: waiting?.lastError }, 'report still not filed with the authority');
    await this.opts.notifier.notify({
      event: 'report_failed', at: now, subject: `${rec.key}:unfiled:${minutes}`, serviceId: rec.serviceId, report: ReportQueue.ref(rec),
      message: {
        en: `The report on ${rec.serviceId} is still not filed after ${minutes} minutes${waiting?.lastError ? ` (${waiting.lastError})` : ''}. raqib keeps trying; if it cannot be fixed now, report by phone or the portal.`,
        ar: `لم يُقدَّم البلاغ عن الخدمة ${rec.serviceId} بعد مرور ${minutes} دقيقة. يواصل رقيب المحاولة؛ وإن تعذّر ذلك فيرجى الإبلاغ هاتفياً أو عبر البوابة.`,
      },
    });
  }

  /** After a crash: open incidents with no record, closed ones whose restoration was never queued. */
  private async reconcile(): Promise<void> {
    if (!this.cfg.authority) return;
    for (const inc of this.opts.store.data.incidents) {
      const rec = this.queue.records[inc.id];
      if (!rec && inc.status === 'open') await this.opened(inc);
      else if (rec && inc.status === 'closed' && inc.resolution === 'recovered' && !rec.restoredQueued && rec.queuedAt !== 0) await this.restore(rec, inc);
    }
  }

  /** Record what the far side answered to a delivered entry. */
  delivered(entry: OutboxEntry, answer: unknown): void {
    this.answers.delivered(entry, answer);
  }

  /** A refused entry: count it and tell the team, who must act. */
  deadLetter(entry: OutboxEntry): void {
    this.answers.deadLetter(entry);
  }

  /**
   * A person dismissed the dead letter of a report the authority refused: they filed it by hand.
   * The report is theirs now: raqib stops escalating it and drops what it still had queued for it,
   * which could never be sent (its updates wait for a report id the authority never gave).
   */
  dismissed(entry: OutboxEntry): void {
    const rec = entry.op === 'create_report' && entry.reportKey ? this.opts.store.data.reports[entry.reportKey] : undefined;
    if (!rec || rec.reportId) return;
    this.opts.store.update((d) => {
      rec.done = true;
      d.outbox = d.outbox.filter((e) => e.reportKey !== rec.key || e.dead !== undefined || e.op === 'notify');
    });
    this.log.warn({ report: rec.key }, 'report handled by hand: raqib files nothing more for it');
  }

  setStatus(rec: ReportRecord, status: NonNullable<ReportRecord['status']>, at: number): void {
    ReportQueue.setStatus(rec, status, at);
  }

  ref(rec: ReportRecord): ReturnType<typeof ReportQueue.ref> {
    return ReportQueue.ref(rec);
  }
}
