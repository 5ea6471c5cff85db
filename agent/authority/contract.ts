/**
 * Authority API v1: the contract raqib defines for filing outage reports with the Digital
 * Government Authority (no public API exists; see docs/authority-api.md). These zod schemas are the
 * one source of it: the sandbox validates requests with them, the client validates answers with
 * them, and docs/authority-api.yaml describes the same shapes.
 */
import * as z from 'zod';

export const API_PREFIX = '/api/v1';

const iso = () => z.iso.datetime({ offset: true });
export const bilingualText = () => z.strictObject({ ar: z.string().min(1).max(20_000), en: z.string().min(1).max(20_000) });
export type Bilingual = z.infer<ReturnType<typeof bilingualText>>;

export const REPORT_TYPES = ['own_service_outage', 'consumed_service_outage', 'scheduled_maintenance'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];
export const IMPACTS = ['total', 'partial', 'degraded'] as const;
export const CHANNELS = ['web', 'mobile', 'api', 'gsb'] as const;
export const ROLES = ['manager', 'alternate', 'member'] as const;

/**
 * Where a report stands at the authority. Outages: submitted → received → ongoing → restored →
 * awaiting_final_report → closed; maintenance: scheduled → in_progress → completed | extended;
 * either may be returned_for_info (the authority wants more) or cancelled.
 */
export const REPORT_STATUSES = [
  'submitted',
  'received',
  'ongoing',
  'restored',
  'awaiting_final_report',
  'closed',
  'returned_for_info',
  'cancelled',
  'scheduled',
  'in_progress',
  'completed',
  'extended',
] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Statuses after which nothing more is expected from the entity. */
export const FINAL_STATUSES: readonly ReportStatus[] = ['closed', 'cancelled'];

export const entityRef = z.strictObject({ code: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,31}$/), name: bilingualText() });

export const member = z.strictObject({
  name: bilingualText(),
  role: z.enum(ROLES),
  mobile: z.string().regex(/^\+[1-9]\d{7,14}$/, 'E.164, e.g. +966500000000'),
  email: z.email(),
  on_call: z.boolean().default(false),
});
export type Member = z.infer<typeof member>;

export const crisisTeamBody = z.strictObject({ entity: entityRef, members: z.array(member).min(2) }).superRefine((team, ctx) => {
  const managers = team.members.filter((m) => m.role === 'manager').length;
  const alternates = team.members.filter((m) => m.role === 'alternate').length;
  if (managers !== 1) ctx.addIssue({ code: 'custom', path: ['members'], message: `a crisis team has exactly one manager, got ${managers}` });
  if (alternates < 1) ctx.addIssue({ code: 'custom', path: ['members'], message: 'a crisis team has at least one alternate' });
  const seen = new Map<string, number>();
  team.members.forEach((m, i) => {
    const first = seen.get(m.email.toLowerCase());
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['members', i, 'email'], message: `the same person as members[${first}]` });
    else seen.set(m.email.toLowerCase(), i);
  });
});
export type CrisisTeamBody = z.infer<typeof crisisTeamBody>;

export const crisisTeam = z.object({
  id: z.string(),
  status: z.literal('registered'),
  registered_at: iso(),
  updated_at: iso(),
  entity: entityRef,
  members: z.array(member),
});
export type CrisisTeam = z.infer<typeof crisisTeam>;
export const crisisTeamList = z.object({ items: z.array(crisisTeam) });

/** One probe result as evidence: what was seen, when, from which agent, with timing phases (ms). */
export const evidenceItem = z.strictObject({
  service_id: z.string().optional(),
  check: z.string(),
  type: z.string(),
  status: z.enum(['up', 'degraded', 'down']),
  code: z.string(),
  detail: z.string().max(2_000),
  phases: z.record(z.string(), z.number().nonnegative()),
  observed_at: iso(),
  http_status: z.number().int().optional(),
  agent_id: z.string(),
});
export type EvidenceItem = z.infer<typeof evidenceItem>;

/** Who files: the crisis team's manager or alternate, on behalf of the registered team. */
export const submittedBy = z.strictObject({
  name: bilingualText(),
  role: z.enum(['manager', 'alternate']),
  email: z.email(),
  crisis_team_id: z.string(),
});

export const reportBody = z
  .strictObject({
    type: z.enum(REPORT_TYPES),
    cause: z.enum(['incident', 'planned']),
    entity: entityRef,
    /** The entity whose service failed, for consumed_service_outage. */
    provider: z.strictObject({ code: z.string() }).optional(),
    service: z.strictObject({ id: z.string(), name: bilingualText(), channel: z.enum(CHANNELS) }),
    impact: z.enum(IMPACTS),
    beneficiaries_affected: z.number().int().nonnegative(),
    started_at: iso(),
    detected_at: iso(),
    expected_end_at: iso().optional(),
    ended_at: iso().optional(),
    title: bilingualText(),
    description: bilingualText(),
    evidence: z.array(evidenceItem).max(50),
    submitted_by: submittedBy,
  })
  .superRefine((r, ctx) => {
    if (r.type === 'consumed_service_outage' && !r.provider) {
      ctx.addIssue({ code: 'custom', path: ['provider'], message: 'a consumed_service_outage names the provider entity' });
    }
    if ((r.type === 'scheduled_maintenance') !== (r.cause === 'planned')) {
      ctx.addIssue({ code: 'custom', path: ['cause'], message: 'scheduled_maintenance is planned; outages are incidents' });
    }
    if (r.type === 'scheduled_maintenance' && !r.expected_end_at) {
      ctx.addIssue({ code: 'custom', path: ['expected_end_at'], message: 'scheduled maintenance gives its expected end' });
    }
  });
export type ReportBody = z.infer<typeof reportBody>;

export const UPDATE_STATUSES = ['ongoing', 'restored', 'in_progress', 'completed', 'extended'] as const;
export const updateBody = z
  .strictObject({
    status: z.enum(UPDATE_STATUSES),
    at: iso(),
    impact: z.enum(IMPACTS).optional(),
    beneficiaries_affected: z.number().int().nonnegative().optional(),
    expected_end_at: iso().optional(),
    ended_at: iso().optional(),
    note: bilingualText(),
    evidence: z.array(evidenceItem).max(50).optional(),
  })
  .superRefine((u, ctx) => {
    if ((u.status === 'restored' || u.status === 'completed') && !u.ended_at) {
      ctx.addIssue({ code: 'custom', path: ['ended_at'], message: `a ${u.status} update gives ended_at` });
    }
  });
export type UpdateBody = z.infer<typeof updateBody>;
export const reportUpdate = z.object({ id: z.string(), received_at: iso() }).and(updateBody);
export type ReportUpdate = z.infer<typeof reportUpdate>;

export const finalReportBody = z.strictObject({
  ended_at: iso(),
  duration_seconds: z.number().int().nonnegative(),
  beneficiaries_affected: z.number().int().nonnegative(),
  timeline: z
    .array(z.strictObject({ at: iso(), event: bilingualText() }))
    .min(1)
    .max(500),
  root_cause: bilingualText().optional(),
  actions_taken: bilingualText(),
  /** True when the entity files the timeline now and its actions later (deadline reached). */
  actions_pending: z.boolean(),
});
export type FinalReportBody = z.infer<typeof finalReportBody>;

export const guidance = z.object({ id: z.string(), at: iso(), text: bilingualText() });
export type Guidance = z.infer<typeof guidance>;

export const report = z.object({
  id: z.string(),
  reference: z.string(),
  status: z.enum(REPORT_STATUSES),
  type: z.enum(REPORT_TYPES),
  created_at: iso(),
  updated_at: iso(),
  acknowledged_at: iso().optional(),
  body: reportBody,
  updates: z.array(reportUpdate),
  final_report: finalReportBody.and(z.object({ received_at: iso() })).optional(),
  guidance: z.array(guidance),
  status_history: z.array(z.object({ status: z.enum(REPORT_STATUSES), at: iso() })),
});
export type Report = z.infer<typeof report>;

/** What POST /reports (and its idempotent replay) answers. */
export const reportCreated = z.object({ id: z.string(), reference: z.string(), status: z.enum(REPORT_STATUSES) });
export type ReportCreated = z.infer<typeof reportCreated>;

export const reportList = z.object({ items: z.array(report), next_cursor: z.string().optional() });

/** RFC 9457 problem details, the body of every error answer. */
export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problem>;

/** OAuth 2.0 (RFC 6749 / RFC 8628) answers. */
export const deviceAuthorization = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  expires_in: z.number().int().positive(),
  interval: z.number().int().positive().default(5),
});
export type DeviceAuthorization = z.infer<typeof deviceAuthorization>;

export const tokenAnswer = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenAnswer = z.infer<typeof tokenAnswer>;

export const tokenError = z.object({
  error: z.enum([
    'authorization_pending',
    'slow_down',
    'expired_token',
    'access_denied',
    'invalid_grant',
    'invalid_client',
    'invalid_request',
    'invalid_scope',
    'unsupported_grant_type',
  ]),
  error_description: z.string().optional(),
});

/**
 * Who the access token belongs to (OpenID Connect Core §5.3, UserInfo): `sub` identifies the
 * person, `email` is the address the crisis team lists them under. A client learns who signed in
 * from this answer, never from what it asked for (`login_hint`).
 */
export const userInfo = z.object({
  sub: z.string().min(1),
  email: z.email(),
});
export type UserInfo = z.infer<typeof userInfo>;
export const USERINFO_PATH = '/oauth/userinfo';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const SCOPE = 'reports:write teams:write';

/** Header carrying the caller's idempotency key on POSTs that create something. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Header the authority sets on an answer replayed for a repeated idempotency key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
