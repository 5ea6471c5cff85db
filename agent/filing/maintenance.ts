/**
 * Planned maintenance at the authority: a window with notify_authority is announced as
 * scheduled_maintenance notice_before ahead, updated in_progress at its start, completed at its
 * end (or extended while the service is still down, then completed once it is back), and closed
 * with a final report. Outages inside windows are the outage lifecycle's concern.
 */
import type { ServiceConfig } from '../config/schema.js';
import { occurrenceKey, windowsBetween, type WindowOccurrence } from '../incidents/maintenance.js';
import type { IncidentTracker } from '../incidents/tracker.js';
import type { Logger } from '../log.js';
import type { ReportRecord } from '../outbox/types.js';
import type { StateStore } from '../store/types.js';
import type { Clock } from '../clock.js';
import type { Notifier } from '../team/notify.js';
import { ReportQueue } from './queue.js';
import type { Config } from '../config/schema.js';

export class MaintenanceReports {
  constructor(
    private readonly config: () => Config,
    private readonly store: StateStore,
    private readonly queue: ReportQueue,
    private readonly tracker: IncidentTracker,
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
        if (!this.queue.records[key] && now < w.end) await this.announce(key, w, service);
      }
    }
    for (const rec of Object.values(this.queue.records)) {
      if (rec.kind !== 'maintenance' || rec.done || !rec.window) continue;
      if (!this.stillPlanned(rec)) {
        await this.withdrawn(rec);
        continue;
      }
      const done = rec.windowUpdates ?? [];
      if (now >= rec.window.start && !done.includes('in_progress')) await this.progress(rec, 'in_progress', rec.window.start);
      if (now >= rec.window.end && !done.includes('completed')) {
        const overrun = this.tracker.openFor(rec.serviceId) !== undefined;
        if (overrun && !done.includes('extended')) await this.progress(rec, 'extended', rec.window.end);
        if (!overrun) {
          // Completed on time, or (after an overrun) once the service is back.
          await this.progress(rec, 'completed', done.includes('extended') ? now : rec.window.end);
          await this.queue.final(rec, { kind: 'maintenance_final' });
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
    this.store.update(() => (rec.done = true));
    this.log.warn({ report: rec.reference ?? rec.key }, 'announced maintenance window is no longer in the config; not following it further');
    await this.notifier.notify({
      event: 'report_failed', at: this.clock.now(), subject: `${rec.key}:withdrawn`, serviceId: rec.serviceId, report: ReportQueue.ref(rec),
      message: {
        en: `The maintenance window announced as ${rec.reference ?? rec.key} was removed or moved in the config. Ask the authority to cancel that report; a moved window is announced again.`,
        ar: `أُزيلت نافذة الصيانة المعلنة في البلاغ ${rec.reference ?? rec.key} أو نُقلت. يرجى طلب إلغاء ذلك البلاغ من الهيئة؛ وتُعلن النافذة المنقولة من جديد.`,
      },
    });
  }

  private async announce(key: string, w: WindowOccurrence, service: ServiceConfig): Promise<void> {
    const rec = this.queue.newRecord(key, 'maintenance', service, { window: { windowId: w.windowId, start: w.start, end: w.end }, windowUpdates: [] });
    this.store.update((d) => (d.reports[key] = rec));
    this.log.info({ service: service.id, window: w.windowId, start: new Date(w.start).toISOString() }, 'announcing planned maintenance');
    await this.queue.queue(rec, 'create_report', ':report', { kind: 'maintenance' }, 'maintenance notice');
  }

  private async progress(rec: ReportRecord, status: 'in_progress' | 'completed' | 'extended', at: number): Promise<void> {
    this.store.update(() => (rec.windowUpdates = [...(rec.windowUpdates ?? []), status]));
    await this.queue.queue(rec, 'add_update', `:${status}`, { kind: 'maintenance_update', status, at }, `maintenance ${status}`);
  }
}
