/**
 * Sends one outbox entry. A report entry's body is built at its first attempt — when the filer
 * (the signed-in manager or alternate) and the registered team are known — then written durably
 * into the entry, and only then sent; every retry after that sends the same body.
 */
import type { AuthorityApi } from '../authority/client.js';
import type { FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import { AuthorityError } from '../authority/errors.js';
import { NotReady } from './outbox.js';
import { describeError } from '../errors.js';
import type { BuildSpec, OutboxEntry, ReportRecord } from './types.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import {
  buildFinalReport, buildMaintenanceFinal, buildMaintenanceReport, buildMaintenanceUpdate, buildOngoingUpdate, buildOutageReport, buildRestoredUpdate,
  type MaintenanceWindow, type ReportContext,
} from '../wording/build.js';
import type { StateStore } from '../store/types.js';
import { filerFor, type Filer } from '../team/filer.js';
import type { Notifier } from '../team/notify.js';

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
    const subject = await this.opts.subject();
    const signer = (entry.body as { submitted_by?: { email?: string } } | null)?.submitted_by?.email;
    if (entry.body && signer && subject && signer.toLowerCase() !== subject.toLowerCase()) {
      // Another manager or alternate signed in since the body was written: the authority would refuse
      // it (403). If the first attempt was filed after all, take that report; else file under the new name.
      if (entry.op === 'create_report') {
        const filed = await this.opts.api.findReportByKey(entry.idempotencyKey);
        if (filed) return { id: filed.id, reference: filed.reference, status: filed.status };
      }
      this.opts.log.warn({ seq: entry.seq, from: signer, to: subject }, 'signed-in person changed; rewording the report in their name');
      await this.materialize(entry, null);
    }
    if (entry.body === null || entry.body === undefined) {
      await this.materialize(entry, this.build(entry, rec, filerFor(this.opts.config(), store, subject)));
    }
    try {
      switch (entry.op) {
        case 'create_report':
          return await this.opts.api.createReport(entry.idempotencyKey, entry.body as ReportBody);
        case 'add_update':
          return await this.opts.api.addUpdate(rec.reportId!, entry.idempotencyKey, entry.body as UpdateBody);
        case 'final_report':
          return await this.opts.api.fileFinalReport(rec.reportId!, entry.idempotencyKey, entry.body as FinalReportBody);
      }
    } catch (err) {
      const outcome = await this.recover(entry, err);
      if ('answer' in outcome) return outcome.answer;
      throw outcome.error;
    }
  }

  /** Write the body into the entry durably before it is ever sent (null forgets it). */
  private async materialize(entry: OutboxEntry, body: unknown): Promise<void> {
    const { store } = this.opts;
    store.update(() => (entry.body = body));
    try {
      await store.flush();
    } catch (err) {
      // Not on disk: forget it, so nothing that was never written can be sent (it is rebuilt later).
      store.update(() => (entry.body = null));
      throw new NotReady(`the state file cannot be written (${describeError(err)}); the report waits until it can`);
    }
  }

  /**
   * Some refusals are not the request's fault: a 403 on filing means the signed-in person may not
   * file (hold it until someone who may signs in); a 409 "key reused" on filing may mean the report
   * was filed under this key after all (then that report is the answer). The rest stand.
   */
  private async recover(entry: OutboxEntry, err: unknown): Promise<{ answer: unknown } | { error: unknown }> {
    if (!(err instanceof AuthorityError) || entry.op !== 'create_report') return { error: err };
    if (err.status === 403) {
      const why = err.problem?.detail ?? err.message;
      return { error: new AuthorityError('auth', `the authority refused the signed-in person (${why}); sign in as the crisis team's manager or an alternate: raqib login --as <email>`, { status: 403 }) };
    }
    if (err.status === 409 && err.problem?.type.endsWith('/idempotency-key-reused')) {
      const filed = await this.opts.api.findReportByKey(entry.idempotencyKey).catch(() => undefined);
      if (filed) {
        this.opts.log.warn({ seq: entry.seq, report: filed.reference }, 'the authority already holds this report under its key; taking that one');
        return { answer: { id: filed.id, reference: filed.reference, status: filed.status } };
      }
    }
    return { error: err };
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
