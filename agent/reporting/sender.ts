/**
 * Sends one outbox entry. A report entry's body is built at its first attempt — when the filer
 * (the signed-in manager or alternate) and the registered team are known — then written durably
 * into the entry, and only then sent; every retry after that sends the same body.
 */
import type { AuthorityApi } from '../authority/client.js';
import type { FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import { AuthorityError } from '../authority/errors.js';
import { NotReady } from '../authority/outbox.js';
import { describeError } from '../errors.js';
import type { BuildSpec, OutboxEntry, ReportRecord } from '../authority/outbox-types.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import {
  buildFinalReport, buildMaintenanceFinal, buildMaintenanceReport, buildMaintenanceUpdate, buildOngoingUpdate, buildOutageReport, buildRestoredUpdate,
  type MaintenanceWindow, type ReportContext,
} from '../report/build.js';
import type { StateStore } from '../store/types.js';
import { filerFor, type Filer } from './filer.js';
import type { Notifier } from './notify.js';

export interface SenderOptions {
  config: () => Config;
  store: StateStore;
  api: AuthorityApi;
  notifier: Notifier;
  log: Logger;
  /** The email of the member the agent is signed in as; the configured manager in drafts mode. */
  subject(): Promise<string | undefined>;
}

export class ReportSender {
  constructor(private readonly opts: SenderOptions) {}

  async send(entry: OutboxEntry): Promise<unknown> {
    if (entry.op === 'notify') return this.opts.notifier.send(entry);
    const { store } = this.opts;
    const rec = entry.reportKey ? store.data.reports[entry.reportKey] : undefined;
    if (!rec) {
      this.opts.log.warn({ seq: entry.seq, report: entry.reportKey }, 'outbox entry for an unknown report; dropping it');
      return undefined;
    }
    if (entry.op !== 'create_report' && !rec.reportId) {
      const refused = store.data.outbox.find((e) => e.reportKey === rec.key && e.op === 'create_report' && e.dead);
      // Its report will never be filed by raqib: waiting forever would only hide that.
      if (refused) throw new AuthorityError('http', `its report was refused by the authority (dead letter #${refused.seq}); file both by hand`, { status: 424 });
      throw new NotReady('waiting for the report itself to be filed first');
    }
    if (entry.body === null || entry.body === undefined) {
      const body = this.build(entry, rec, filerFor(this.opts.config(), store, await this.opts.subject()));
      store.update(() => (entry.body = body));
      try {
        await store.flush(); // the body must be durable before it is sent once
      } catch (err) {
        // Not on disk: forget it, so nothing that was never written can be sent (it is rebuilt later).
        store.update(() => (entry.body = null));
        throw new NotReady(`the state file cannot be written (${describeError(err)}); the report waits until it can`);
      }
    }
    switch (entry.op) {
      case 'create_report':
        return this.opts.api.createReport(entry.idempotencyKey, entry.body as ReportBody);
      case 'add_update':
        return this.opts.api.addUpdate(rec.reportId!, entry.idempotencyKey, entry.body as UpdateBody);
      case 'final_report':
        return this.opts.api.fileFinalReport(rec.reportId!, entry.idempotencyKey, entry.body as FinalReportBody);
    }
  }

  private build(entry: OutboxEntry, rec: ReportRecord, filer: Filer): unknown {
    const config = this.opts.config();
    const service = config.services.find((s) => s.id === rec.serviceId);
    if (!service) throw new NotReady(`service ${rec.serviceId} is no longer in the config; cannot word its report`);
    const ctx: ReportContext = {
      entity: config.entity,
      service,
      timeZone: config.agent.timezone,
      submitter: filer,
      now: entry.createdAt,
    };
    const spec: BuildSpec = entry.build ?? { kind: 'report' };
    if (rec.kind === 'maintenance') {
      const w = rec.window!;
      const window: MaintenanceWindow = { serviceId: rec.serviceId, windowId: w.windowId, start: w.start, end: w.end, ...descriptionOf(service, w.windowId) };
      if (spec.kind === 'maintenance') return buildMaintenanceReport(window, ctx);
      if (spec.kind === 'maintenance_update') return buildMaintenanceUpdate(window, ctx, spec.status, spec.at);
      // After an overrun the window completed when it was queued (with its `completed` update), not at its planned end.
      if (spec.kind === 'maintenance_final') return buildMaintenanceFinal(window, ctx, rec.windowUpdates?.includes('extended') ? entry.createdAt : w.end);
      throw new Error(`cannot build ${spec.kind} for a maintenance report`);
    }
    const incident = this.opts.store.data.incidents.find((i) => i.id === rec.incidentId);
    if (!incident) throw new NotReady(`incident ${rec.incidentId} is no longer in the state file; cannot word its report`);
    switch (spec.kind) {
      case 'report':
        return buildOutageReport(incident, ctx);
      case 'ongoing':
        return buildOngoingUpdate(incident, ctx, spec.reason);
      case 'restored':
        return buildRestoredUpdate(incident, ctx);
      case 'final':
        return buildFinalReport(incident, ctx, spec.actions);
      default:
        throw new Error(`cannot build ${spec.kind} for an outage report`);
    }
  }
}

function descriptionOf(service: Config['services'][number], windowId: string): { description?: { ar: string; en: string } } {
  const d = service.maintenance.find((m) => m.id === windowId)?.description;
  return d ? { description: d } : {};
}
