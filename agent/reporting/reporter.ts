/**
 * The report lifecycle: turns incident events and the passing of time into outbox entries, once
 * each. An outage is filed when its incident opens (unless a maintenance window covers it), is
 * updated every update_interval and on every change of impact, gets its restoration when the
 * incident closes, and its final report when the team adds actions taken — or at the deadline,
 * with the timeline and "actions to follow". Planned windows are announced notice_before ahead.
 *
 * Every decision is recorded in the ReportRecord before its entry is queued, so a restart neither
 * repeats nor forgets a step; `reconcile()` catches incidents a crash left without a record.
 */
import type { Clock } from '../clock.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { RaqibError } from '../errors.js';
import { activeWindow, occurrenceKey, windowsBetween, type WindowOccurrence } from '../incidents/maintenance.js';
import type { IncidentEvent, IncidentTracker } from '../incidents/tracker.js';
import type { Incident } from '../incidents/types.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { Outbox, NewEntry } from '../authority/outbox.js';
import type { BuildSpec, OutboxEntry, ReportRecord } from '../authority/outbox-types.js';
import type { StateStore } from '../store/types.js';
import type { Notifier } from './notify.js';
import { reportTypeFor } from '../report/build.js';

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
}

export class Reporter {
  private timer: unknown;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReporterOptions) {
    this.log = opts.log.child({ module: 'reporting' });
  }

  private get cfg(): Config {
    return this.opts.config();
  }

  private get records(): Record<string, ReportRecord> {
    return this.opts.store.data.reports;
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

  /** Find a record by incident id, report key, authority id or reference. */
  find(ref: string): ReportRecord | undefined {
    return Object.values(this.records).find((r) => r.key === ref || r.incidentId === ref || r.reportId === ref || r.reference === ref);
  }

  private service(id: string): ServiceConfig | undefined {
    return this.cfg.services.find((s) => s.id === id);
  }

  private async onIncident(e: IncidentEvent): Promise<void> {
    const inc = e.incident;
    if (e.type === 'opened') return this.opened(inc);
    const rec = this.records[inc.id];
    if (!rec) return;
    if (e.type === 'changed') {
      if (!rec.suppressedUntil && inc.impact !== rec.lastImpact) await this.queueUpdate(rec, { kind: 'ongoing', reason: 'impact_changed' }, inc.impact);
      return;
    }
    if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
      this.opts.store.update(() => (rec.done = true));
      this.log.info({ incident: inc.id }, 'outage ended inside its maintenance window; nothing to report');
      return;
    }
    if (inc.resolution !== 'recovered') {
      await this.opts.notifier.notify({
        event: 'report_failed', at: this.opts.clock.now(), subject: inc.id, serviceId: inc.serviceId, report: this.ref(rec),
        message: { en: `Service ${inc.serviceId} is no longer monitored while its report is open; update the authority by hand.`, ar: `توقفت مراقبة الخدمة ${inc.serviceId} وبلاغها مفتوح؛ يرجى تحديث الهيئة يدوياً.` },
      });
      return;
    }
    await this.queueRestored(rec);
  }

  private async opened(inc: Incident): Promise<void> {
    if (!this.cfg.authority || this.records[inc.id]) return;
    const service = this.service(inc.serviceId);
    if (!service) return;
    const window = activeWindow(service, this.cfg.agent.timezone, inc.startedAt);
    if (window) {
      this.opts.store.update((d) => {
        d.reports[inc.id] = this.newRecord(inc.id, 'outage', service, { incidentId: inc.id, suppressedUntil: window.end, queuedAt: 0 });
      });
      this.opts.metrics.reports.inc({ type: reportTypeFor(service).type, outcome: 'suppressed' });
      this.log.info({ incident: inc.id, window: window.windowId, until: new Date(window.end).toISOString() }, 'outage inside a maintenance window; not reported unless it outlasts the window');
      return;
    }
    await this.fileOutage(inc, service);
  }

  private async fileOutage(inc: Incident, service: ServiceConfig): Promise<void> {
    const now = this.opts.clock.now();
    const rec = this.records[inc.id] ?? this.newRecord(inc.id, 'outage', service, { incidentId: inc.id });
    this.opts.store.update((d) => {
      delete rec.suppressedUntil;
      rec.queuedAt = now;
      rec.lastUpdateAt = now;
      rec.lastImpact = inc.impact;
      d.reports[inc.id] = rec;
    });
    await this.queue(rec, 'create_report', ':report', { kind: 'report' }, 'report');
  }

  private newRecord(key: string, kind: ReportRecord['kind'], service: ServiceConfig, extra: Partial<ReportRecord> = {}): ReportRecord {
    const type = kind === 'maintenance' ? 'scheduled_maintenance' : reportTypeFor(service).type;
    return {
      key, kind, type, serviceId: service.id, keyStem: `raqib:${this.cfg.entity.code}:${key}`,
      statusHistory: [], queuedAt: this.opts.clock.now(), updates: 0, finals: 0, guidance: [], ...extra,
    };
  }

  private async queue(rec: ReportRecord, op: OutboxEntry['op'], suffix: string, build: BuildSpec, summary: string): Promise<void> {
    const entry: NewEntry = { lane: `report:${rec.key}`, op, reportKey: rec.key, idempotencyKey: `${rec.keyStem}${suffix}`, body: null, build, summary };
    await this.opts.outbox.enqueue([entry]);
  }

  private async queueUpdate(rec: ReportRecord, build: BuildSpec & { kind: 'ongoing' }, impact?: Incident['impact']): Promise<void> {
    const n = rec.updates + 1;
    this.opts.store.update(() => {
      rec.updates = n;
      rec.lastUpdateAt = this.opts.clock.now();
      if (impact) rec.lastImpact = impact;
    });
    await this.queue(rec, 'add_update', `:update:${n}`, build, `update ${n} (${build.reason})`);
  }

  private async queueRestored(rec: ReportRecord): Promise<void> {
    if (rec.restoredQueued) return;
    this.opts.store.update(() => {
      rec.restoredQueued = true;
      rec.finalDueAt = this.opts.clock.now() + this.cfg.authority!.final_report_deadline;
    });
    await this.queue(rec, 'add_update', ':restored', { kind: 'restored' }, 'restoration');
  }

  /** The team's actions taken: file the final report now (again, if the first said "to follow"). */
  async finalize(ref: string, actions: { taken: string; rootCause?: string }): Promise<ReportRecord> {
    let result: ReportRecord | undefined;
    let failure: unknown;
    this.serially(async () => {
      try {
        const rec = this.find(ref);
        if (!rec) throw new RaqibError('RAQIB_REPORT_UNKNOWN', `no report ${ref}; raqib reports list shows them`);
        if (rec.kind === 'maintenance') throw new RaqibError('RAQIB_REPORT_MAINTENANCE', `${rec.reference ?? rec.key} is a scheduled maintenance report; its final report is filed when the window completes`);
        if (rec.kind === 'outage' && !rec.restoredQueued) throw new RaqibError('RAQIB_REPORT_ONGOING', `the outage of ${rec.serviceId} is not over yet; the final report follows its restoration`);
        if (rec.finals > 0 && !rec.actionsPending) throw new RaqibError('RAQIB_REPORT_FINAL', `the final report of ${rec.reference ?? rec.key} was already filed with its actions`);
        await this.queueFinal(rec, { kind: 'final', actions });
        result = rec;
      } catch (err) {
        failure = err;
      }
    });
    await this.chain;
    if (failure) throw failure;
    return result!;
  }

  private async queueFinal(rec: ReportRecord, build: BuildSpec): Promise<void> {
    const n = rec.finals + 1;
    this.opts.store.update(() => {
      rec.finals = n;
      rec.actionsPending = build.kind === 'final' && !build.actions;
    });
    await this.queue(rec, 'final_report', `:final:${n}`, build, n === 1 ? 'final report' : 'final report with actions');
  }

  /** Time-driven work: periodic updates, final-report deadlines, maintenance windows. */
  async tick(): Promise<void> {
    const authority = this.cfg.authority;
    if (!authority) return;
    const now = this.opts.clock.now();
    for (const rec of Object.values(this.records)) {
      if (rec.done || rec.kind !== 'outage') continue;
      const inc = this.opts.tracker.openFor(rec.serviceId);
      const open = inc?.id === rec.incidentId ? inc : undefined;
      if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
        if (open && now >= rec.suppressedUntil) {
          this.log.warn({ incident: rec.key }, 'outage outlasted its maintenance window; reporting it');
          await this.fileOutage(open, this.service(rec.serviceId)!);
        }
        continue;
      }
      if (open && !rec.restoredQueued && now - (rec.lastUpdateAt ?? rec.queuedAt) >= authority.update_interval) {
        await this.queueUpdate(rec, { kind: 'ongoing', reason: 'periodic' });
      }
      if (rec.restoredQueued && rec.finals === 0 && rec.finalDueAt !== undefined && now >= rec.finalDueAt) {
        this.log.info({ report: rec.reference ?? rec.key }, 'final report deadline reached; filing the timeline, actions to follow');
        await this.queueFinal(rec, { kind: 'final' });
      }
    }
    await this.maintenance(now);
  }

  private async maintenance(now: number): Promise<void> {
    const { authority, agent } = this.cfg;
    for (const service of this.cfg.services) {
      if (!service.maintenance.some((w) => w.notify_authority)) continue;
      for (const w of windowsBetween(service, agent.timezone, now, now + authority!.notice_before + 1)) {
        if (!w.notifyAuthority || now < w.start - authority!.notice_before) continue;
        const key = occurrenceKey(w);
        if (!this.records[key] && now < w.end) await this.announce(key, w, service);
      }
    }
    for (const rec of Object.values(this.records)) {
      if (rec.kind !== 'maintenance' || rec.done || !rec.window) continue;
      const done = rec.windowUpdates ?? [];
      if (now >= rec.window.start && !done.includes('in_progress')) await this.windowUpdate(rec, 'in_progress', rec.window.start);
      if (now >= rec.window.end && !done.includes('completed')) {
        const overrun = this.opts.tracker.openFor(rec.serviceId) !== undefined;
        if (overrun && !done.includes('extended')) await this.windowUpdate(rec, 'extended', rec.window.end);
        if (!overrun) {
          // Completed on time, or (after an overrun) once the service is back.
          await this.windowUpdate(rec, 'completed', done.includes('extended') ? now : rec.window.end);
          await this.queueFinal(rec, { kind: 'maintenance_final' });
        }
      }
    }
  }

  private async announce(key: string, w: WindowOccurrence, service: ServiceConfig): Promise<void> {
    const rec = this.newRecord(key, 'maintenance', service, { window: { windowId: w.windowId, start: w.start, end: w.end }, windowUpdates: [] });
    this.opts.store.update((d) => (d.reports[key] = rec));
    this.log.info({ service: service.id, window: w.windowId, start: new Date(w.start).toISOString() }, 'announcing planned maintenance');
    await this.queue(rec, 'create_report', ':report', { kind: 'maintenance' }, 'maintenance notice');
  }

  private async windowUpdate(rec: ReportRecord, status: 'in_progress' | 'completed' | 'extended', at: number): Promise<void> {
    this.opts.store.update(() => (rec.windowUpdates = [...(rec.windowUpdates ?? []), status]));
    await this.queue(rec, 'add_update', `:${status}`, { kind: 'maintenance_update', status, at }, `maintenance ${status}`);
  }

  /** After a crash: open incidents with no record, closed ones whose restoration was never queued. */
  private async reconcile(): Promise<void> {
    if (!this.cfg.authority) return;
    for (const inc of this.opts.store.data.incidents) {
      const rec = this.records[inc.id];
      if (!rec && inc.status === 'open') await this.opened(inc);
      else if (rec && inc.status === 'closed' && inc.resolution === 'recovered' && !rec.restoredQueued && rec.queuedAt !== 0) await this.queueRestored(rec);
    }
  }

  /** Record what the authority answered to a delivered entry. */
  delivered(entry: OutboxEntry, answer: unknown): void {
    if (entry.op === 'notify') {
      this.opts.metrics.notifications.inc({ channel: entry.channel ?? '', result: 'delivered' });
      return;
    }
    const rec = entry.reportKey ? this.records[entry.reportKey] : undefined;
    if (!rec) return;
    const now = this.opts.clock.now();
    if (entry.op === 'create_report') {
      const created = answer as { id: string; reference: string; status: ReportRecord['status'] };
      this.opts.store.update(() => {
        rec.reportId = created.id;
        rec.reference = created.reference;
        rec.filedAt = now;
        if (created.status) this.setStatus(rec, created.status, now);
      });
      this.opts.metrics.reports.inc({ type: rec.type, outcome: 'filed' });
      this.log.warn({ report: created.reference, id: created.id, type: rec.type, service: rec.serviceId, incident: rec.incidentId }, 'report filed with the authority');
      void this.opts.notifier.notify({
        event: 'report_filed', at: now, subject: rec.key, serviceId: rec.serviceId, report: this.ref(rec),
        message: { en: `Report ${created.reference} (${rec.type}) filed for ${rec.serviceId}.`, ar: `قُدّم البلاغ ${created.reference} عن الخدمة ${rec.serviceId}.` },
      });
    } else if (entry.op === 'final_report') {
      const report = answer as { status?: ReportRecord['status'] };
      this.opts.store.update(() => {
        if (report.status) this.setStatus(rec, report.status, now);
        if (report.status === 'closed' || report.status === 'cancelled') rec.done = true;
      });
      this.log.info({ report: rec.reference, status: report.status, actionsPending: rec.actionsPending }, 'final report filed with the authority');
    }
  }

  /** A refused entry: count it and tell the team, who must act. */
  deadLetter(entry: OutboxEntry): void {
    this.opts.metrics.deadLetters.inc({ op: entry.op });
    const rec = entry.reportKey ? this.records[entry.reportKey] : undefined;
    if (entry.op === 'create_report' && rec) this.opts.metrics.reports.inc({ type: rec.type, outcome: 'failed' });
    if (entry.op === 'notify') {
      this.opts.metrics.notifications.inc({ channel: entry.channel ?? '', result: 'failed' });
      return;
    }
    void this.opts.notifier.notify({
      event: 'report_failed', at: this.opts.clock.now(), subject: `${entry.idempotencyKey}`, serviceId: rec?.serviceId, ...(rec ? { report: this.ref(rec) } : {}),
      message: {
        en: `The authority refused the ${entry.summary} for ${rec?.serviceId ?? 'a service'}: ${entry.dead?.reason ?? 'unknown reason'}. It will not be retried; file it by hand.`,
        ar: `رفضت الهيئة ${entry.summary} للخدمة ${rec?.serviceId ?? ''}: ${entry.dead?.reason ?? ''}. لن تُعاد المحاولة؛ يرجى تقديمه يدوياً.`,
      },
    });
  }

  setStatus(rec: ReportRecord, status: NonNullable<ReportRecord['status']>, at: number): void {
    if (rec.status === status) return;
    rec.status = status;
    rec.statusHistory.push({ status, at });
  }

  ref(rec: ReportRecord): { key: string; id?: string; reference?: string; status?: string; type: string } {
    return { key: rec.key, type: rec.type, ...(rec.reportId ? { id: rec.reportId } : {}), ...(rec.reference ? { reference: rec.reference } : {}), ...(rec.status ? { status: rec.status } : {}) };
  }
}
