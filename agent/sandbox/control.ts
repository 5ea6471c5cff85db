/**
 * The sandbox's control endpoints (/sandbox/…, no auth; the sandbox listens on 127.0.0.1 by
 * default): approve or deny a sign-in, act as the authority on a report (status, guidance), switch
 * faults, revoke or expire tokens, and read the whole state. Faults never apply here.
 */
import * as z from 'zod';
import { REPORT_STATUSES, bilingualText, type Guidance } from '../authority/contract.js';
import type { Logger } from '../log.js';
import { faultSet, type Faults } from './faults.js';
import { isForm, json, readForm, readJson, type Reply } from './http.js';
import { newId } from './ids.js';
import { setStatus } from './lifecycle.js';
import type { OAuth } from './oauth.js';
import type { Persistence } from './persistence.js';
import { problems, validate } from './problems.js';
import type { Ctx } from './router.js';
import type { SandboxState } from './state.js';
import type { Tokens } from './tokens.js';
import { devicePage, decidedPage } from './device-page.js';

const approval = z.strictObject({ user_code: z.string().min(1), subject: z.email() });
const denial = z.strictObject({ user_code: z.string().min(1) });
const statusChange = z.strictObject({ status: z.enum(REPORT_STATUSES) });
const guidanceBody = z.strictObject({ text: bilingualText() });
const revocation = z.strictObject({ subject: z.email().optional() });

export interface Counters {
  snapshot(): Record<string, Record<string, number>>;
}

export class Control {
  constructor(
    private readonly state: SandboxState,
    private readonly oauth: OAuth,
    private readonly tokens: Tokens,
    private readonly faults: Faults,
    private readonly persistence: Persistence,
    private readonly counters: Counters,
    private readonly now: () => number,
    private readonly baseUrl: () => string,
    private readonly log: Logger,
  ) {}

  device(ctx: Ctx): Reply {
    return { status: 200, text: devicePage(ctx.url.searchParams.get('user_code') ?? '', this.baseUrl()), contentType: 'text/html; charset=utf-8' };
  }

  async approve(ctx: Ctx): Promise<Reply> {
    const form = isForm(ctx.req);
    const body = validate(approval, form ? await readForm(ctx.req) : await readJson(ctx.req));
    const grant = await this.oauth.decide(body.user_code, { subject: body.subject });
    return form
      ? decidedPage(grant.user_code, 'approved', grant.subject)
      : json(200, { user_code: grant.user_code, status: grant.status, subject: grant.subject });
  }

  async deny(ctx: Ctx): Promise<Reply> {
    const form = isForm(ctx.req);
    const body = validate(denial, form ? await readForm(ctx.req) : await readJson(ctx.req));
    const grant = await this.oauth.decide(body.user_code, 'deny');
    return form ? decidedPage(grant.user_code, 'denied') : json(200, { user_code: grant.user_code, status: grant.status });
  }

  async setStatus(ctx: Ctx): Promise<Reply> {
    const report = this.report(ctx.params['id']!);
    const { status } = validate(statusChange, await readJson(ctx.req));
    const at = new Date(this.now()).toISOString();
    report.acknowledged_at ??= at; // the authority has seen it
    setStatus(report, status, at);
    await this.persistence.commit();
    this.log.info({ report: report.id, status }, 'report status set');
    return json(200, report);
  }

  async addGuidance(ctx: Ctx): Promise<Reply> {
    const report = this.report(ctx.params['id']!);
    const { text } = validate(guidanceBody, await readJson(ctx.req));
    const at = new Date(this.now()).toISOString();
    const item: Guidance = { id: newId('gdn'), at, text };
    report.guidance.push(item);
    report.updated_at = at;
    await this.persistence.commit();
    this.log.info({ report: report.id, guidance: item.id }, 'guidance sent');
    return json(201, item);
  }

  getFaults(): Reply {
    return json(200, this.faults.current);
  }

  async setFaults(ctx: Ctx): Promise<Reply> {
    const faults = validate(faultSet, await readJson(ctx.req));
    this.faults.set(faults);
    this.log.warn({ faults }, 'faults set');
    return json(200, this.faults.current);
  }

  clearFaults(): Reply {
    this.faults.clear();
    this.log.info('faults cleared');
    return json(200, this.faults.current);
  }

  async revoke(ctx: Ctx): Promise<Reply> {
    const raw = (ctx.req.headers['content-length'] ?? '0') === '0' && !ctx.req.headers['transfer-encoding'] ? {} : await readJson(ctx.req);
    const { subject } = validate(revocation, raw);
    const revoked = this.tokens.revoke(subject);
    await this.persistence.commit();
    this.log.info({ ...revoked, everyone: subject === undefined }, 'tokens revoked');
    return json(200, { revoked });
  }

  async expire(): Promise<Reply> {
    const expired = this.tokens.expireAll();
    await this.persistence.commit();
    this.log.info({ access_tokens: expired }, 'access tokens expired');
    return json(200, { expired: { access_tokens: expired } });
  }

  snapshot(): Reply {
    return json(200, { teams: [...this.state.teams.values()], reports: [...this.state.reports.values()], requests: this.counters.snapshot() });
  }

  private report(id: string) {
    const report = this.state.reports.get(id);
    if (!report) throw problems.notFound(`no report ${id}`);
    return report;
  }
}
