/**
 * The report lifecycle: turns incident events and the passing of time into report calls, once
 * each. An outage is filed when its incident opens (unless a maintenance window covers it), is
 * updated every update_interval and on every change of impact, gets its restoration when the
 * incident closes — or, when raqib stopped watching it first, an update that says so — and its
 * final report when the team adds actions taken, or at the deadline with the timeline and
 * "actions to follow". Planned windows are maintenance.ts's.
 *
 * It hears incidents only from their events, each carrying the incident as it was then, and
 * keeps the latest of each open one; every call it decides carries the facts frozen at that
 * moment (queue.ts). It calls only what comes after it: the outbox and the team.
 */
import type { Clock } from '../clock.js';
import { SerialWork } from '../serial-work.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { RaqibError } from '../errors.js';
import { activeWindow } from '../incidents/maintenance.js';
import type { IncidentEvent } from '../incidents/tracker.js';
import type { Incident } from '../incidents/types.js';
import { Ledger } from '../ledger/ledger.js';
import type { ReportRecord } from '../ledger/types.js';
import type { Logger } from '../log.js';
import type { ReportingMetrics } from '../metrics/reporting-metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import type { LegacyBuildSpec } from '../outbox/types.js';
import type { Notifier, TeamEvent } from '../team/notify.js';
import { reportTypeFor } from '../wording/build.js';
import type { ReportFacts, TeamActions } from '../wording/facts.js';
import { freeze, reportedService } from './freeze.js';
import { MaintenanceReports } from './maintenance.js';
import { ReportQueue } from './queue.js';

export interface FilingOptions {
  config: () => Config;
  ledger: Ledger;
  /** The report outbox: where decided calls go. */
  outbox: Outbox;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  metrics: ReportingMetrics;
  /** How often time-driven work (periodic updates, deadlines, windows) is looked at. */
  tickMs?: number;
  /** The agent cannot see the network: make no new claims (periodic "still down" updates, outages outlasting a window). */
  blind?: () => boolean;
}

export class Filing {
  private readonly log: Logger;
  /** Work runs one step at a time so two events never race on the same record. */
  private readonly work: SerialWork;
  private readonly queue: ReportQueue;
  private readonly maintenance: MaintenanceReports;
  /** The latest copy of each open incident, by service: what "still down" updates say. */
  private readonly open = new Map<string, Incident>();
  /** Closed incidents the store held at start, until raqib 0.1's entries are upgraded from them. */
  private presentClosed: Map<string, Incident> | undefined = new Map();

  constructor(private readonly opts: FilingOptions) {
    this.log = opts.log.child({ module: 'reporting' });
    this.work = new SerialWork(opts.clock, this.log, 'reporting step failed');
    this.queue = new ReportQueue(opts.config, opts.ledger, opts.outbox, opts.clock);
    this.maintenance = new MaintenanceReports(
      opts.config,
      opts.ledger,
      this.queue,
      (serviceId) => this.open.has(serviceId),
      opts.notifier,
      opts.clock,
      this.log,
    );
  }

  private get cfg(): Config {
    return this.opts.config();
  }

  /** An incident event (from the tracker, in order, once durable). */
  heard(e: IncidentEvent): void {
    this.serially(() => this.onIncident(e));
  }

  start(): void {
    this.serially(() => this.upgradeQueued());
    this.work.every(
      () => this.opts.tickMs ?? 10_000,
      () => this.tick(),
    );
  }

  stop(): void {
    this.work.stop();
  }

  /** Waits for work already started (tests and shutdown). */
  idle(): Promise<void> {
    return this.work.idle();
  }

  private serially(step: () => Promise<void>): Promise<void> {
    return this.work.run(step);
  }

  private service(id: string): ServiceConfig | undefined {
    return this.cfg.services.find((s) => s.id === id);
  }

  private async onIncident(e: IncidentEvent): Promise<void> {
    const inc = e.incident;
    if (inc.status === 'open') this.open.set(inc.serviceId, inc);
    else if (this.open.get(inc.serviceId)?.id === inc.id) this.open.delete(inc.serviceId);
    if (e.type === 'present') {
      if (inc.status === 'closed') this.presentClosed?.set(inc.id, inc);
      return this.reconcile(inc);
    }
    if (e.type === 'opened') return this.opened(inc);
    const rec = this.opts.ledger.get(inc.id);
    if (e.type === 'closed') {
      if (rec && !rec.done) this.opts.ledger.decide(rec, (r) => (r.closedIncident = inc));
      await this.tell({ event: 'incident_closed', facts: { resolution: inc.resolution ?? 'recovered' } }, inc);
    }
    if (!rec || this.refused(rec)) return;
    if (e.type === 'changed') return this.changed(rec, inc);
    if (rec.done) return;
    if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
      this.opts.ledger.finish(rec);
      this.log.info({ incident: inc.id }, 'outage ended inside its maintenance window; nothing to report');
      return;
    }
    if (inc.resolution === 'unmonitored') return this.unmonitored(rec, inc);
    await this.restore(rec, inc);
  }

  private async changed(rec: ReportRecord, inc: Incident): Promise<void> {
    if (rec.suppressedUntil !== undefined) return;
    if (inc.status === 'open' && (rec.done || rec.finals > 0)) return this.reopenedAfterFinal(rec, inc);
    if (rec.done) return;
    if (inc.status === 'open' && rec.restoredQueued) {
      // A flapping outage came back: it is not over after all; a later restoration will say when it is.
      this.opts.ledger.decide(rec, (r) => {
        r.restoredQueued = false;
        delete r.finalDueAt;
        delete r.closedIncident;
      });
    }
    if (inc.impact !== rec.lastImpact) await this.queue.update(rec, inc, 'impact_changed');
    if (inc.flapping && !rec.intermittentReported) {
      this.opts.ledger.decide(rec, (r) => (r.intermittentReported = true));
      await this.queue.update(rec, inc, 'intermittent');
    }
    const affected = inc.affected?.length ?? 0;
    if (affected > (rec.affectedReported ?? 0)) {
      this.opts.ledger.decide(rec, (r) => (r.affectedReported = affected));
      await this.queue.update(rec, inc, 'affected_services');
    }
  }

  private async opened(inc: Incident): Promise<void> {
    if (!this.cfg.authority || this.opts.ledger.get(inc.id)) return;
    const service = this.service(inc.serviceId);
    if (!service) return;
    const window = activeWindow(service, this.cfg.agent.timezone, inc.startedAt);
    if (!window) await this.fileOutage(inc, service); // the report first: it is what the authority is owed
    await this.tell({ event: 'incident_opened', facts: { impact: inc.impact } }, inc);
    if (window) {
      this.opts.ledger.add(this.queue.newRecord(inc.id, 'outage', service, { incidentId: inc.id, suppressedUntil: window.end, queuedAt: 0 }));
      this.opts.metrics.reports.inc({ type: reportTypeFor(service).type, outcome: 'suppressed' });
      this.log.info(
        { incident: inc.id, window: window.windowId, until: new Date(window.end).toISOString() },
        'outage inside a maintenance window; not reported unless it outlasts the window',
      );
    }
  }

  private async fileOutage(inc: Incident, service: ServiceConfig): Promise<void> {
    const now = this.opts.clock.now();
    const existing = this.opts.ledger.get(inc.id);
    const rec = existing ?? this.queue.newRecord(inc.id, 'outage', service, { incidentId: inc.id });
    if (!existing) this.opts.ledger.add(rec);
    await this.queue.step(rec, { kind: 'report', incident: inc }, (r) => {
      delete r.suppressedUntil;
      r.queuedAt = now;
      r.lastUpdateAt = now;
      r.lastImpact = inc.impact;
      return { op: 'create_report', suffix: ':report', summary: 'report' };
    });
  }

  /** Queue the restoration and tell the team the final report is now due, and by when. */
  private async restore(rec: ReportRecord, inc: Incident): Promise<void> {
    if (rec.restoredQueued) return;
    await this.queue.restored(rec, inc);
    await this.tell({ event: 'final_report_due', facts: { due: rec.finalDueAt!, timeZone: this.cfg.agent.timezone } }, inc, rec);
  }

  /** raqib stopped watching before the outage ended: tell the authority that, not that it is over, and the team what is theirs now. */
  private async unmonitored(rec: ReportRecord, inc: Incident): Promise<void> {
    if (rec.restoredQueued) return;
    await this.queue.unmonitored(rec, inc);
    this.log.warn(
      { incident: inc.id, report: rec.reference ?? rec.key },
      "outage no longer monitored while its report is open; the authority is told, the rest is the team's",
    );
    await this.tell({ event: 'report_failed', facts: { why: 'unmonitored' } }, inc, rec);
  }

  private async tell(what: Pick<TeamEvent, 'event' | 'facts'>, inc: Incident, rec?: ReportRecord): Promise<void> {
    if (!this.cfg.authority) return;
    const subject = what.event === 'final_report_due' || what.event === 'report_failed' ? rec!.key : inc.id;
    await this.opts.notifier.notify({
      ...what,
      at: this.opts.clock.now(),
      subject,
      serviceId: inc.serviceId,
      ...(rec ? { report: Ledger.ref(rec) } : {}),
    } as TeamEvent);
  }

  /** The team's actions taken: file the final report now (again, if the first said "to follow"). */
  async finalize(ref: string, actions: TeamActions): Promise<ReportRecord> {
    let result: ReportRecord | undefined;
    let failure: unknown;
    this.serially(async () => {
      try {
        const rec = this.opts.ledger.find(ref);
        if (!rec) throw new RaqibError('RAQIB_REPORT_UNKNOWN', `no report ${ref}; raqib reports list shows them`);
        const name = rec.reference ?? rec.key;
        if (rec.kind === 'maintenance')
          throw new RaqibError('RAQIB_REPORT_MAINTENANCE', `${name} is a scheduled maintenance report; its final report is filed when the window completes`);
        if (!rec.restoredQueued) {
          if (rec.unmonitoredAt !== undefined || rec.closedIncident?.resolution === 'unmonitored') {
            // No restoration was seen (the outage stopped being monitored): raqib cannot say when it ended.
            throw new RaqibError(
              'RAQIB_REPORT_UNMONITORED',
              `raqib stopped monitoring ${rec.serviceId} before it recovered, so it cannot say when the outage ended; file the restoration and final report of ${name} by hand`,
            );
          }
          throw new RaqibError('RAQIB_REPORT_ONGOING', `the outage of ${rec.serviceId} is not over yet; the final report follows its restoration`);
        }
        if (rec.done) throw new RaqibError('RAQIB_REPORT_FINAL', `report ${name} is ${rec.status ?? 'done'} at the authority; nothing more can be filed`);
        if (rec.finals > 0 && !rec.actionsPending) throw new RaqibError('RAQIB_REPORT_FINAL', `the final report of ${name} was already filed with its actions`);
        await this.queue.final(rec, actions);
        result = rec;
      } catch (err) {
        failure = err;
      }
    });
    await this.work.idle();
    if (failure) throw failure;
    return result!;
  }

  /** A person took a report the authority refused into their own hands: nothing more is filed for it. */
  handledByHand(reportKey: string): Promise<void> {
    return this.serially(async () => {
      const rec = this.opts.ledger.get(reportKey);
      if (!rec || rec.reportId) return;
      this.opts.ledger.finish(rec);
      this.opts.outbox.dropPending(reportKey);
      this.log.warn({ report: rec.key }, 'report handled by hand: raqib files nothing more for it');
    });
  }

  /**
   * A person sent a refused report again: what filing passed over while it stood refused (changes,
   * the end of the outage) is decided now, from the latest copy of the incident.
   */
  resume(reportKey: string): Promise<void> {
    return this.serially(async () => {
      const rec = this.opts.ledger.get(reportKey);
      if (!rec || rec.done || rec.kind !== 'outage') return;
      const open = this.open.get(rec.serviceId);
      if (open && open.id === rec.incidentId) return this.changed(rec, open);
      const closed = rec.closedIncident;
      if (!closed) return;
      if (closed.resolution === 'unmonitored') await this.unmonitored(rec, closed);
      else await this.restore(rec, closed);
    });
  }

  /**
   * The outage came back after its final report was filed (a flapping service, within its window):
   * that report is closed or closing at the authority, so nothing more goes under it. The team is
   * told once, to report the new outage themselves.
   */
  private async reopenedAfterFinal(rec: ReportRecord, inc: Incident): Promise<void> {
    if (rec.reopenedAt !== undefined) return;
    this.opts.ledger.decide(rec, (r) => (r.reopenedAt = this.opts.clock.now()));
    this.log.warn(
      { incident: inc.id, report: rec.reference ?? rec.key },
      'outage came back after its final report; raqib files nothing more under that report',
    );
    await this.tell({ event: 'report_failed', facts: { why: 'reopened' } }, inc, rec);
  }

  /** Time-driven work: periodic updates, final-report deadlines, maintenance windows. */
  async tick(): Promise<void> {
    const authority = this.cfg.authority;
    if (!authority) return;
    const now = this.opts.clock.now();
    for (const rec of this.opts.ledger.all()) {
      if (rec.done || rec.kind !== 'outage') continue;
      const latest = this.open.get(rec.serviceId);
      const open = latest?.id === rec.incidentId ? latest : undefined;
      if (rec.suppressedUntil !== undefined && rec.queuedAt === 0) {
        if (open && now >= rec.suppressedUntil && !this.opts.blind?.()) {
          this.log.warn({ incident: rec.key }, 'outage outlasted its maintenance window; reporting it');
          await this.fileOutage(open, this.service(rec.serviceId)!);
        }
        continue;
      }
      if (this.refused(rec)) continue;
      if (open && !rec.restoredQueued && !this.opts.blind?.() && now - (rec.lastUpdateAt ?? rec.queuedAt) >= authority.update_interval) {
        await this.queue.update(rec, open, 'periodic');
      }
      if (rec.restoredQueued && rec.finals === 0 && rec.finalDueAt !== undefined && now >= rec.finalDueAt) await this.deadline(rec);
    }
    await this.maintenance.tick(now);
  }

  private async deadline(rec: ReportRecord): Promise<void> {
    if (!rec.closedIncident) {
      this.opts.ledger.finish(rec);
      const reason = 'the state file no longer holds the incident it would describe';
      this.log.error({ report: rec.reference ?? rec.key }, `final report cannot be worded: ${reason}`);
      await this.opts.notifier.notify({
        event: 'report_failed',
        facts: { why: 'no_final', reason },
        at: this.opts.clock.now(),
        subject: `${rec.key}:final`,
        serviceId: rec.serviceId,
        report: Ledger.ref(rec),
      });
      return;
    }
    this.log.info({ report: rec.reference ?? rec.key }, 'final report deadline reached; filing the timeline, actions to follow');
    await this.queue.final(rec);
  }

  /** Whether the authority refused this report for good (its filing is a dead letter). */
  private refused(rec: ReportRecord): boolean {
    return !rec.reportId && this.opts.outbox.refused(rec.key) !== undefined;
  }

  /** At start, for each incident the store holds: what a crash or an older raqib left undone. */
  private async reconcile(inc: Incident): Promise<void> {
    if (!this.cfg.authority) return;
    const rec = this.opts.ledger.get(inc.id);
    if (!rec) {
      if (inc.status === 'open') await this.opened(inc);
      return;
    }
    // A change made durable but not heard before a crash (a reopen, a new impact) is decided now.
    if (inc.status === 'open') return rec.queuedAt === 0 || this.refused(rec) ? undefined : this.changed(rec, inc);
    if (rec.done) return;
    if (!rec.closedIncident) this.opts.ledger.decide(rec, (r) => (r.closedIncident = inc));
    if (rec.queuedAt === 0 || rec.restoredQueued || this.refused(rec)) return;
    if (inc.resolution === 'recovered') await this.restore(rec, inc);
    else if (inc.resolution === 'unmonitored') await this.unmonitored(rec, inc);
  }

  /**
   * Entries queued by raqib 0.1 carry what to build, not the facts: freeze them now from the
   * incident as the store holds it (the closest to the truth that is left), before any is sent.
   */
  private async upgradeQueued(): Promise<void> {
    this.opts.ledger.upgrade((id) => {
      const s = this.service(id);
      return s && reportedService(s);
    });
    for (const entry of this.opts.outbox.withoutFacts()) {
      if (!entry.reportKey || !entry.build) continue;
      const rec = this.opts.ledger.get(entry.reportKey);
      const what = rec && this.legacyFacts(rec, entry.build, entry.createdAt);
      if (!rec || !what) continue;
      const service = this.service(rec.serviceId) ?? rec.service;
      if (!service) continue;
      this.opts.outbox.setFacts(entry, freeze(this.cfg, reportedService(service), entry.createdAt, what));
    }
    this.presentClosed = undefined;
  }

  private legacyFacts(rec: ReportRecord, build: LegacyBuildSpec, at: number): ReportFacts | undefined {
    if (rec.kind === 'maintenance') {
      const w = rec.window!;
      const description = this.service(rec.serviceId)?.maintenance.find((m) => m.id === w.windowId)?.description;
      const window = { serviceId: rec.serviceId, windowId: w.windowId, start: w.start, end: w.end, ...(description ? { description } : {}) };
      if (build.kind === 'maintenance') return { kind: 'maintenance', window };
      if (build.kind === 'maintenance_update') return { kind: 'maintenance_update', window, status: build.status, at: build.at };
      if (build.kind === 'maintenance_final') return { kind: 'maintenance_final', window, endedAt: rec.windowUpdates?.includes('extended') ? at : w.end };
      return undefined;
    }
    const incident = rec.closedIncident ?? (rec.incidentId ? this.presentClosed?.get(rec.incidentId) : undefined) ?? this.open.get(rec.serviceId);
    if (!incident || incident.id !== rec.incidentId) return undefined;
    switch (build.kind) {
      case 'report':
        return { kind: 'report', incident };
      case 'ongoing':
        return { kind: 'ongoing', incident, reason: build.reason };
      case 'restored':
        return { kind: incident.resolution === 'unmonitored' ? 'unmonitored' : 'restored', incident };
      case 'final':
        return {
          kind: 'final',
          incident,
          ...(build.actions ? { actions: build.actions } : {}),
          moments: {
            ...(rec.filedAt !== undefined ? { filedAt: rec.filedAt } : {}),
            ...(rec.acknowledgedAt !== undefined ? { acknowledgedAt: rec.acknowledgedAt } : {}),
          },
        };
      default:
        return undefined;
    }
  }
}
