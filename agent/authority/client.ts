/**
 * Authority API v1 over HTTP (undici). One method per endpoint; every answer is validated against
 * the contract; every failure becomes an AuthorityError the outbox can classify. The client does
 * not retry (the outbox does, durably) except once after a 401, with a fresh access token.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type * as z from 'zod';
import { describeError } from '../errors.js';
import {
  API_PREFIX,
  crisisTeam,
  crisisTeamList,
  IDEMPOTENCY_HEADER,
  problem,
  report,
  reportCreated,
  reportList,
  reportUpdate,
  type CrisisTeam,
  type CrisisTeamBody,
  type FinalReportBody,
  type Report,
  type ReportBody,
  type ReportCreated,
  type ReportUpdate,
  type UpdateBody,
} from './contract.js';
import { AuthorityError } from './errors.js';
import { parseRetryAfter } from '../outbox/retry.js';

/** The operations the outbox, follow-up and CLI need; the HTTP client, drafts and tests implement it. */
export interface AuthorityApi {
  createReport(idempotencyKey: string, body: ReportBody): Promise<ReportCreated>;
  addUpdate(reportId: string, idempotencyKey: string, body: UpdateBody): Promise<ReportUpdate>;
  /** Answers the report as it stands after the final report (at least its status). */
  fileFinalReport(reportId: string, idempotencyKey: string, body: FinalReportBody): Promise<Pick<Report, 'status'>>;
  getReport(reportId: string): Promise<Report>;
  /** The report filed under this idempotency key, if any (a 409 on a create means it may exist). */
  findReportByKey(idempotencyKey: string): Promise<Report | undefined>;
  findTeam(entityCode: string): Promise<CrisisTeam | undefined>;
  registerTeam(body: CrisisTeamBody): Promise<CrisisTeam>;
  updateTeam(teamId: string, body: CrisisTeamBody): Promise<CrisisTeam>;
}

/** What the client tells observers about each request: metrics and the audit log listen. */
export interface RequestEvent {
  endpoint: string;
  method: string;
  /** HTTP status, or 'network' when no answer came. */
  outcome: number | 'network';
  seconds: number;
  idempotencyKey?: string;
  error?: string;
  /** Who the request was made as, when its answer is what says so (OAuth userinfo); else the listener knows. */
  actor?: string;
}

export interface TokenSource {
  /** A valid access token, refreshed if needed; throws AuthorityError('auth') when signed out. */
  accessToken(): Promise<string>;
  /** The last token was refused: the next call must refresh. */
  invalidate(): void;
}

export interface HttpClientOptions {
  baseUrl: string;
  tokens: TokenSource;
  timeoutMs: number;
  caFile?: string;
  userAgent: string;
  onRequest?(event: RequestEvent): void;
  /** Wall-clock now, for a Retry-After given as a date (the agent's injected clock; the system's by default). */
  now?: () => number;
}

export function authorityDispatcher(caFile: string | undefined, timeoutMs: number): Agent {
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  return new Agent({ connect: ca ? { ca } : {}, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
}

export class HttpAuthorityClient implements AuthorityApi {
  private readonly dispatcher: Agent;

  constructor(private readonly opts: HttpClientOptions) {
    this.dispatcher = authorityDispatcher(opts.caFile, opts.timeoutMs);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  createReport(key: string, body: ReportBody): Promise<ReportCreated> {
    return this.call('create_report', 'POST', `${API_PREFIX}/reports`, reportCreated, body, key);
  }

  addUpdate(reportId: string, key: string, body: UpdateBody): Promise<ReportUpdate> {
    return this.call('add_update', 'POST', `${API_PREFIX}/reports/${encodeURIComponent(reportId)}/updates`, reportUpdate, body, key);
  }

  fileFinalReport(reportId: string, key: string, body: FinalReportBody): Promise<Report> {
    return this.call('final_report', 'POST', `${API_PREFIX}/reports/${encodeURIComponent(reportId)}/final-report`, report, body, key);
  }

  getReport(reportId: string): Promise<Report> {
    return this.call('get_report', 'GET', `${API_PREFIX}/reports/${encodeURIComponent(reportId)}`, report);
  }

  async findReportByKey(key: string): Promise<Report | undefined> {
    const list = await this.call('find_report', 'GET', `${API_PREFIX}/reports?idempotency_key=${encodeURIComponent(key)}`, reportList);
    return list.items[0];
  }

  async findTeam(entityCode: string): Promise<CrisisTeam | undefined> {
    const list = await this.call('find_team', 'GET', `${API_PREFIX}/crisis-teams?entity=${encodeURIComponent(entityCode)}`, crisisTeamList);
    return list.items[0];
  }

  registerTeam(body: CrisisTeamBody): Promise<CrisisTeam> {
    return this.call('register_team', 'POST', `${API_PREFIX}/crisis-teams`, crisisTeam, body);
  }

  updateTeam(teamId: string, body: CrisisTeamBody): Promise<CrisisTeam> {
    return this.call('update_team', 'PUT', `${API_PREFIX}/crisis-teams/${encodeURIComponent(teamId)}`, crisisTeam, body);
  }

  private async call<T>(endpoint: string, method: 'GET' | 'POST' | 'PUT', path: string, schema: z.ZodType<T>, body?: unknown, key?: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.opts.tokens.accessToken();
      try {
        return await this.once(endpoint, method, path, schema, token, body, key);
      } catch (err) {
        if (err instanceof AuthorityError && err.status === 401 && attempt === 0) {
          this.opts.tokens.invalidate(); // expired or revoked early: refresh once, then believe it
          continue;
        }
        if (err instanceof AuthorityError && err.status === 401) throw new AuthorityError('auth', err.message, { status: 401, problem: err.problem });
        throw err;
      }
    }
  }

  private async once<T>(
    endpoint: string,
    method: string,
    path: string,
    schema: z.ZodType<T>,
    token: string,
    body: unknown,
    key: string | undefined,
  ): Promise<T> {
    const started = performance.now();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': this.opts.userAgent };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers[IDEMPOTENCY_HEADER] = key;
    const report = (outcome: number | 'network', error?: string) =>
      this.opts.onRequest?.({
        endpoint,
        method,
        outcome,
        seconds: (performance.now() - started) / 1000,
        ...(key ? { idempotencyKey: key } : {}),
        ...(error ? { error } : {}),
      });
    let res;
    try {
      res = await request(new URL(path, this.opts.baseUrl), {
        method: method as 'GET',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      report('network', describeError(err));
      throw new AuthorityError('network', `${method} ${endpoint}: no answer from the authority (${describeError(err)})`, { cause: err });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      report('network', describeError(err));
      throw new AuthorityError('network', `${method} ${endpoint}: the answer was cut off (${describeError(err)})`, { cause: err });
    }
    if (res.statusCode >= 400) {
      // A gateway that echoes the request must not carry the token into errors, logs and the audit log.
      const parsed = problem.safeParse(safeJson(token ? text.split(token).join('[redacted]') : text));
      const p = parsed.success ? parsed.data : undefined;
      const retryAfter = parseRetryAfter(headerOf(res.headers['retry-after']), (this.opts.now ?? Date.now)());
      report(res.statusCode, p?.title);
      const why = p ? `${p.title}${p.detail ? `: ${p.detail}` : ''}` : `HTTP ${res.statusCode}`;
      throw new AuthorityError('http', `${method} ${endpoint}: ${res.statusCode} ${why}`, { status: res.statusCode, problem: p, retryAfterMs: retryAfter });
    }
    const parsed = schema.safeParse(safeJson(text));
    report(res.statusCode, parsed.success ? undefined : 'the answer does not match Authority API v1');
    if (!parsed.success) {
      throw new AuthorityError(
        'invalid_answer',
        `${method} ${endpoint}: the answer does not match Authority API v1 (${parsed.error.issues[0]?.message ?? 'unreadable'})`,
      );
    }
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
