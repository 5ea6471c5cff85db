/**
 * Reports: filing (POST /reports), reading one or a page of the caller's entity's reports, updates
 * while the outage lasts, and the final report. Filing, updates and final reports need an
 * Idempotency-Key and are answered only once they are on disk.
 */
import * as z from 'zod';
import {
  API_PREFIX,
  REPORT_STATUSES,
  REPORT_TYPES,
  finalReportBody,
  reportBody,
  updateBody,
  type Report,
  type ReportCreated,
  type ReportUpdate,
} from '../authority/contract.js';
import type { Logger } from '../log.js';
import type { Faults } from './faults.js';
import { json, readJson, type Reply } from './http.js';
import { Idempotency, requestHash, requireKey } from './idempotency.js';
import { newId } from './ids.js';
import { Acknowledger, applyFinalReport, applyUpdate, initialStatus, isFinal, updateStatusesFor } from './lifecycle.js';
import type { Persistence } from './persistence.js';
import { fieldErrors, problems, validate } from './problems.js';
import type { Ctx } from './router.js';
import { roleIn, sameEmail, type SandboxState } from './state.js';
import type { Principal } from './tokens.js';

const listQuery = z.strictObject({
  /** The report filed under this Idempotency-Key, if any: how a client that lost the answer finds it. */
  idempotency_key: z.string().min(1).max(200).optional(),
  status: z.enum(REPORT_STATUSES).optional(),
  type: z.enum(REPORT_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});

export class Reports {
  constructor(
    private readonly state: SandboxState,
    private readonly idempotency: Idempotency,
    private readonly persistence: Persistence,
    private readonly acks: Acknowledger,
    private readonly faults: Faults,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  async file(ctx: Ctx, who: Principal): Promise<Reply> {
    const rejection = this.faults.rejectReport();
    if (rejection) throw rejection;
    const key = requireKey(ctx.req);
    const raw = await readJson(ctx.req);
    const body = validate(reportBody, raw);
    const scope = `reports:${body.entity.code}`;
    const hash = requestHash('file-report', raw);
    const replay = this.idempotency.replay(scope, key, hash);
    if (replay) return this.persistence.flush().then(() => replay);

    const team = this.state.teamOfEntity(body.entity.code);
    if (!team)
      throw problems.invalid(
        [{ path: 'entity.code', message: `${body.entity.code} has no registered crisis team: register the crisis team first` }],
        'register the crisis team first',
      );
    if (body.submitted_by.crisis_team_id !== team.id) {
      throw problems.invalid([{ path: 'submitted_by.crisis_team_id', message: `${body.entity.code}'s crisis team is ${team.id}` }]);
    }
    if (!sameEmail(body.submitted_by.email, who.subject)) {
      throw problems.forbidden(`submitted_by.email must be the signed-in person (${who.subject}); a report is filed by the person who signed in`);
    }
    const role = roleIn(team, who.subject);
    if (role !== 'manager' && role !== 'alternate') throw problems.forbidden("only the crisis team's manager or alternate may file");
    if (body.submitted_by.role !== role) throw problems.invalid([{ path: 'submitted_by.role', message: `${who.subject} is registered as ${role}` }]);
    if (body.provider?.code === body.entity.code) {
      throw problems.invalid([{ path: 'provider.code', message: 'the provider of a consumed service is another entity' }]);
    }

    const at = new Date(this.now()).toISOString();
    const status = initialStatus(body.type);
    const report: Report = {
      id: newId('rpt'),
      reference: this.nextReference(),
      status,
      type: body.type,
      created_at: at,
      updated_at: at,
      body,
      updates: [],
      guidance: [],
      status_history: [{ status, at }],
    };
    this.state.reports.set(report.id, report);
    const created: ReportCreated = { id: report.id, reference: report.reference, status };
    const reply = json(201, created, { location: `${API_PREFIX}/reports/${report.id}` });
    this.idempotency.remember(scope, key, hash, reply);
    await this.persistence.commit();
    this.acks.schedule(report);
    this.log.info({ report: report.id, reference: report.reference, entity: body.entity.code, type: body.type }, 'report filed');
    return reply;
  }

  get(ctx: Ctx, who: Principal): Reply {
    return json(200, this.visible(ctx.params['id']!, who));
  }

  /** The caller's entities' reports, newest first, a page at a time. */
  list(ctx: Ctx, who: Principal): Reply {
    const q = listQuery.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) throw problems.badQuery(fieldErrors(q.error));
    const { status, type, limit, cursor, idempotency_key: key } = q.data;
    const entities = this.state.entitiesOf(who.subject);
    const keyed = key === undefined ? undefined : new Set([...entities].map((e) => this.idempotency.answered(`reports:${e}`, key)?.['id']).filter(Boolean));
    let items = [...this.state.reports.values()]
      .reverse()
      .filter((r) => entities.has(r.body.entity.code) && (!status || r.status === status) && (!type || r.type === type) && (!keyed || keyed.has(r.id)));
    if (cursor !== undefined) {
      const after = Buffer.from(cursor, 'base64url').toString('utf8');
      const at = items.findIndex((r) => r.id === after);
      if (at < 0) throw problems.badQuery([{ path: 'cursor', message: 'not a cursor from this list; start again without one' }]);
      items = items.slice(at + 1);
    }
    const page = items.slice(0, limit);
    const more = items.length > limit;
    return json(200, { items: page, ...(more ? { next_cursor: Buffer.from(page.at(-1)!.id).toString('base64url') } : {}) });
  }

  async update(ctx: Ctx, who: Principal): Promise<Reply> {
    const report = this.visible(ctx.params['id']!, who);
    const key = requireKey(ctx.req);
    const raw = await readJson(ctx.req);
    const body = validate(updateBody, raw);
    const hash = requestHash('update', raw);
    const replay = this.idempotency.replay(`report:${report.id}`, key, hash);
    if (replay) return this.persistence.flush().then(() => replay);
    this.mustLead(report, who);
    if (isFinal(report)) throw closed(report);
    const allowed = updateStatusesFor(report.type);
    if (!allowed.includes(body.status)) {
      throw problems.invalid([{ path: 'status', message: `a ${report.type} report takes updates with status ${allowed.join(', ')}` }]);
    }
    const at = new Date(this.now()).toISOString();
    const update: ReportUpdate = { id: newId('upd'), received_at: at, ...body };
    report.updates.push(update);
    applyUpdate(report, body.status, at);
    const reply = json(201, update);
    this.idempotency.remember(`report:${report.id}`, key, hash, reply);
    await this.persistence.commit();
    this.log.info({ report: report.id, update: update.id, status: report.status }, 'report updated');
    return reply;
  }

  async finalReport(ctx: Ctx, who: Principal): Promise<Reply> {
    const report = this.visible(ctx.params['id']!, who);
    const key = requireKey(ctx.req);
    const raw = await readJson(ctx.req);
    const body = validate(finalReportBody, raw);
    const hash = requestHash('final-report', raw);
    const replay = this.idempotency.replay(`report:${report.id}`, key, hash);
    if (replay) return this.persistence.flush().then(() => replay);
    this.mustLead(report, who);
    if (isFinal(report)) throw closed(report);
    if (report.final_report && !report.final_report.actions_pending) {
      throw problems.conflict('final-report-exists', 'Final report already filed', `${report.reference} already has a complete final report`);
    }
    const at = new Date(this.now()).toISOString();
    report.final_report = { ...body, received_at: at };
    applyFinalReport(report, body.actions_pending, at);
    const reply = json(201, report);
    this.idempotency.remember(`report:${report.id}`, key, hash, reply);
    await this.persistence.commit();
    this.log.info({ report: report.id, status: report.status, actions_pending: body.actions_pending }, 'final report filed');
    return reply;
  }

  /** A report of one of the caller's entities; 404 for anyone else's, as if it did not exist. */
  private visible(id: string, who: Principal): Report {
    const report = this.state.reports.get(id);
    if (!report || !this.state.entitiesOf(who.subject).has(report.body.entity.code)) throw problems.notFound(`no report ${id} of your entity`);
    return report;
  }

  private mustLead(report: Report, who: Principal): void {
    const team = this.state.teamOfEntity(report.body.entity.code);
    const role = team && roleIn(team, who.subject);
    if (role !== 'manager' && role !== 'alternate') throw problems.forbidden("only the crisis team's manager or alternate may file");
  }

  /** `DGA-2026-000042`: one sequence per year (Riyadh time), across entities. */
  private nextReference(): string {
    const year = String(new Date(this.now() + 3 * 3_600_000).getUTCFullYear());
    const n = (this.state.sequences.get(year) ?? 0) + 1;
    this.state.sequences.set(year, n);
    return `DGA-${year}-${String(n).padStart(6, '0')}`;
  }
}

function closed(report: Report) {
  return problems.conflict('report-closed', 'Report closed', `${report.reference} is ${report.status}; it takes no more updates or reports`);
}
