/**
 * Planned maintenance at the authority: a window with notify_authority is announced as
 * scheduled_maintenance notice_before ahead, updated in_progress at its start, completed at its
 * end (or extended while the service is still down, then completed once it is back), and closed
 * with a final report. Outages inside windows are the outage lifecycle's concern.
 */
import type { Clock } from '../clock.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { occurrenceKey, windowsBetween, type WindowOccurrence } from '../incidents/maintenance.js';
import { Ledger } from '../ledger/ledger.js';
import type { ReportRecord } from '../ledger/types.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../team/notify.js';
import type { MaintenanceWindow } from '../wording/build.js';
import type { ReportQueue } from './queue.js';

export class MaintenanceReports {
  constructor(
    private readonly config: () => Config,
    private readonly ledger: Ledger,
    private readonly queue: ReportQueue,
    /** Whether the service has an open incident now (as filing last heard). */
    private readonly isDown: (serviceId: string) => boolean,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async tick(now: number): Promise<void> {
    const { authority, agent, services } = this.config();
    for (const service of services) {
      if (!service.maintenance.some((w) => w.notify_authority)) continue;
      for (const w of windowsBetween(service, agent.timezone, now, now + authority!.notice_before + 1)) {
        if (!w.notifyAuthority || now < w.start - authority!.notice_before) continue;
        const key = occurrenceKey(w);
        if (!this.ledger.get(key) && now < w.end) await this.announce(key, w, service);
      }
    }
    for (const rec of this.ledger.all()) {
      if (rec.kind !== 'maintenance' || rec.done || !rec.window) continue;
      if (!this.stillPlanned(rec)) {
        await this.withdrawn(rec);
        continue;
      }
      const done = rec.windowUpdates ?? [];
      if (now >= rec.window.start && !done.includes('in_progress')) await this.progress(rec, 'in_progress', rec.window.start);
      if (now >= rec.window.end && !done.includes('completed')) {
        const overrun = this.isDown(rec.serviceId);
        if (overrun && !done.includes('extended')) await this.progress(rec, 'extended', rec.window.end);
        if (!overrun) {
          // Completed on time, or (after an overrun) once the service is back.
          const completedAt = done.includes('extended') ? now : rec.window.end;
          await this.progress(rec, 'completed', completedAt);
          await this.queue.step(rec, { kind: 'maintenance_final', window: this.windowOf(rec), endedAt: completedAt }, (r) => {
            r.finals += 1;
            return { op: 'final_report', suffix: `:final:${r.finals}`, summary: 'final report' };
          });
        }
      }
    }
  }

  /** Whether the announced occurrence is still in the config (a window can be removed or moved). */
  private stillPlanned(rec: ReportRecord): boolean {
    const { services, agent } = this.config();
    const service = services.find((s) => s.id === rec.serviceId);
    if (!service) return false;
    const w = rec.window!;
    return windowsBetween(service, agent.timezone, w.start, w.start + 1).some((o) => o.windowId === w.windowId && o.start === w.start && o.notifyAuthority);
  }

  /** The window was removed or moved after it was announced: stop, and tell the team to withdraw it. */
  private async withdrawn(rec: ReportRecord): Promise<void> {
    this.ledger.finish(rec);
    this.log.warn({ report: rec.reference ?? rec.key }, 'announced maintenance window is no longer in the config; not following it further');
    await this.notifier.notify({
      event: 'report_failed',
      facts: { why: 'withdrawn' },
      at: this.clock.now(),
      subject: `${rec.key}:withdrawn`,
      serviceId: rec.serviceId,
      report: Ledger.ref(rec),
    });
  }

  private async announce(key: string, w: WindowOccurrence, service: ServiceConfig): Promise<void> {
    const rec = this.queue.newRecord(key, 'maintenance', service, { window: { windowId: w.windowId, start: w.start, end: w.end }, windowUpdates: [] });
    this.ledger.add(rec);
    this.log.info({ service: service.id, window: w.windowId, start: new Date(w.start).toISOString() }, 'announcing planned maintenance');
    await this.queue.step(rec, { kind: 'maintenance', window: this.windowOf(rec) }, () => ({
      op: 'create_report',
      suffix: ':report',
      summary: 'maintenance notice',
    }));
  }

  /** The occurrence with its description as configured now. */
  private windowOf(rec: ReportRecord): MaintenanceWindow {
    const w = rec.window!;
    const description = this.config()
      .services.find((s) => s.id === rec.serviceId)
      ?.maintenance.find((m) => m.id === w.windowId)?.description;
    return { serviceId: rec.serviceId, windowId: w.windowId, start: w.start, end: w.end, ...(description ? { description } : {}) };
  }

  private async progress(rec: ReportRecord, status: 'in_progress' | 'completed' | 'extended', at: number): Promise<void> {
    await this.queue.step(rec, { kind: 'maintenance_update', window: this.windowOf(rec), status, at }, (r) => {
      r.windowUpdates = [...(r.windowUpdates ?? []), status];
      return { op: 'add_update', suffix: `:${status}`, summary: `maintenance ${status}` };
    });
  }
}
