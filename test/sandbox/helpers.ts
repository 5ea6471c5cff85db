/**
 * Shared set-up for the sandbox tests: a sandbox on port 0 with a clock the test moves, a small
 * HTTP client over global fetch, sign-in through the device flow, and valid request bodies.
 */
import { afterEach } from 'vitest';
import type { CrisisTeamBody, FinalReportBody, ReportBody, TokenAnswer, UpdateBody } from '../../agent/authority/contract.js';
import { DEVICE_GRANT } from '../../agent/authority/contract.js';
import { createLogger } from '../../agent/log.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../agent/sandbox/server.js';

export const T0 = Date.parse('2026-11-28T09:00:00+03:00');
export const MANAGER = 'manager@moh.gov.sa';
export const ALTERNATE = 'alternate@moh.gov.sa';
export const MEMBER = 'member@moh.gov.sa';
export const STRANGER = 'someone@nic.gov.sa';

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

export interface TestSandbox {
  sb: Sandbox;
  url: string;
  /** Moves the sandbox's clock. */
  advance(ms: number): void;
  call(method: string, path: string, opts?: CallOptions): Promise<Answer>;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  key?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body of any shape, read field by field
  body: any;
  text: string;
}

export async function sandbox(options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  let now = T0;
  const sb = await startSandbox({ log: createLogger({ level: 'silent' }), now: () => now, ackDelayMs: -1, ...options });
  running.push(sb);
  return { sb, url: sb.url, advance: (ms) => (now += ms), call: (method, path, opts) => call(sb.url, method, path, opts) };
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.key) headers['idempotency-key'] = opts.key;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  }
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The device flow as a client runs it, with the person approving through the control endpoint. */
export async function signIn(t: TestSandbox, email: string, scope?: string): Promise<TokenAnswer> {
  const start = await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib', ...(scope ? { scope } : {}) } });
  if (start.status !== 200) throw new Error(`device authorization: ${start.status} ${start.text}`);
  const approved = await t.call('POST', '/sandbox/device/approve', { json: { user_code: start.body.user_code, subject: email } });
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${approved.text}`);
  const token = await t.call('POST', '/oauth/token', { form: { grant_type: DEVICE_GRANT, device_code: start.body.device_code, client_id: 'raqib' } });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
  return token.body as TokenAnswer;
}

const person = (en: string, ar: string) => ({ ar, en });

export function teamBody(overrides: Partial<CrisisTeamBody> = {}): CrisisTeamBody {
  return {
    entity: { code: 'MOH', name: person('Ministry of Health', 'وزارة الصحة') },
    members: [
      { name: person('Sara Manager', 'سارة'), role: 'manager', mobile: '+966500000001', email: MANAGER, on_call: true },
      { name: person('Omar Alternate', 'عمر'), role: 'alternate', mobile: '+966500000002', email: ALTERNATE, on_call: false },
      { name: person('Huda Member', 'هدى'), role: 'member', mobile: '+966500000003', email: MEMBER, on_call: false },
    ],
    ...overrides,
  };
}

export function reportBody(teamId: string, overrides: Partial<ReportBody> = {}): ReportBody {
  return {
    type: 'own_service_outage',
    cause: 'incident',
    entity: { code: 'MOH', name: person('Ministry of Health', 'وزارة الصحة') },
    service: { id: 'appointments', name: person('Appointments', 'خدمة المواعيد'), channel: 'web' },
    impact: 'total',
    beneficiaries_affected: 12000,
    started_at: '2026-11-28T09:30:00+03:00',
    detected_at: '2026-11-28T09:30:20+03:00',
    title: person('Appointments portal unavailable', 'بوابة المواعيد غير متاحة'),
    description: person('The portal answers HTTP 503.', 'البوابة تستجيب بالرمز 503.'),
    evidence: [
      {
        service_id: 'appointments',
        check: 'portal',
        type: 'http',
        status: 'down',
        code: 'HTTP_STATUS',
        detail: '503 in 84 ms',
        phases: { total: 84 },
        observed_at: '2026-11-28T09:30:20+03:00',
        http_status: 503,
        agent_id: 'riyadh-dc1',
      },
    ],
    submitted_by: { name: person('Sara Manager', 'سارة'), role: 'manager', email: MANAGER, crisis_team_id: teamId },
    ...overrides,
  };
}

export function maintenanceBody(teamId: string): ReportBody {
  return reportBody(teamId, {
    type: 'scheduled_maintenance',
    cause: 'planned',
    expected_end_at: '2026-12-06T04:00:00+03:00',
    started_at: '2026-12-05T22:00:00+03:00',
    detected_at: '2026-12-05T22:00:00+03:00',
  });
}

export function updateBody(status: UpdateBody['status'], extra: Partial<UpdateBody> = {}): UpdateBody {
  return { status, at: '2026-11-28T10:00:00+03:00', note: person(`Status ${status}`, `الحالة ${status}`), ...extra };
}

export function finalBody(actionsPending: boolean): FinalReportBody {
  return {
    ended_at: '2026-11-28T10:30:00+03:00',
    duration_seconds: 3600,
    beneficiaries_affected: 12000,
    timeline: [{ at: '2026-11-28T09:30:00+03:00', event: person('Portal down', 'توقف البوابة') }],
    actions_taken: person('Restarted the database', 'أعيد تشغيل قاعدة البيانات'),
    actions_pending: actionsPending,
  };
}

/** A sandbox with MOH's team registered by its manager, and tokens for each person. */
export async function withTeam(options: Partial<SandboxOptions> = {}) {
  const t = await sandbox(options);
  const manager = await signIn(t, MANAGER);
  const team = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: teamBody() });
  if (team.status !== 201) throw new Error(`register team: ${team.status} ${team.text}`);
  return { t, manager, teamId: team.body.id as string };
}
