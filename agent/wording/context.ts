/**
 * What every builder needs besides the incident: who reports (entity, crisis-team member), the
 * service as configured, the agent's time zone and the current time. Passing `now` in keeps the
 * builders pure: the same incident and context always give the same report body.
 */
import type { Bilingual, ReportBody, ReportType } from '../authority/contract.js';
import type { ServiceConfig } from '../config/schema.js';
import { bidiIsolate, ltrIsolate } from './arabic.js';
import type { ServiceFacts } from './templates.js';

/** What the bodies say of a service: a report keeps these as they were when it was decided. */
export type ReportedService = Pick<ServiceConfig, 'id' | 'name' | 'channel' | 'provider' | 'beneficiaries_per_day'>;

/** Everything a builder needs besides the incident or window; `now` keeps builders pure. */
export interface ReportContext {
  entity: { code: string; name: Bilingual };
  service: ReportedService;
  /** IANA zone of the agent (agent.timezone): every ISO time carries its offset. */
  timeZone: string;
  /** The crisis-team manager or alternate the report is filed as. */
  submitter: { name: Bilingual; role: 'manager' | 'alternate'; email: string; crisisTeamId: string };
  /** Epoch ms of the filing; also the end of "so far" estimates. */
  now: number;
  /** This agent's id, named in the text; without it, the agents seen in the evidence. */
  agentId?: string;
  /** Name of the providing entity of a consumed service; its code alone otherwise. */
  providerName?: Bilingual;
}

/** The report type and provider a service calls for. */
export type ReportKind =
  { type: Extract<ReportType, 'own_service_outage'> } | { type: Extract<ReportType, 'consumed_service_outage'>; provider: { code: string } };

/**
 * `provider: self` is the entity's own service (own_service_outage); any other value is the code
 * of the entity whose service it consumes (consumed_service_outage, naming that provider).
 */
export function reportTypeFor(service: Pick<ServiceConfig, 'provider'>): ReportKind {
  return service.provider === 'self' ? { type: 'own_service_outage' } : { type: 'consumed_service_outage', provider: { code: service.provider } };
}

/** The service as the texts name it, with the provider for a consumed one. */
export function serviceFacts(ctx: ReportContext): ServiceFacts {
  const { service } = ctx;
  if (service.provider === 'self') return { name: service.name, channel: service.channel };
  const code = service.provider;
  const provider = ctx.providerName
    ? { ar: `${bidiIsolate(ctx.providerName.ar.trim())} (${ltrIsolate(code)})`, en: `${ctx.providerName.en} (${code})` }
    : { ar: ltrIsolate(code), en: code };
  return { name: service.name, channel: service.channel, provider };
}

/** The reporting entity, as the contract names it. */
export function entityOf(ctx: ReportContext): ReportBody['entity'] {
  return { code: ctx.entity.code, name: { ar: ctx.entity.name.ar, en: ctx.entity.name.en } };
}

/** The service block of a report: id, bilingual name, channel. */
export function serviceOf(ctx: ReportContext): ReportBody['service'] {
  return { id: ctx.service.id, name: { ar: ctx.service.name.ar, en: ctx.service.name.en }, channel: ctx.service.channel };
}

/** The crisis-team member the report is filed as, in the contract's shape. */
export function submittedByOf(ctx: ReportContext): ReportBody['submitted_by'] {
  const s = ctx.submitter;
  return { name: { ar: s.name.ar, en: s.name.en }, role: s.role, email: s.email, crisis_team_id: s.crisisTeamId };
}

/** Agents named as reporters: this agent if known, else those whose probes are the evidence. */
export function reportingAgents(ctx: ReportContext, evidence: readonly { agentId: string }[]): string[] {
  if (ctx.agentId) return [ctx.agentId];
  return [...new Set(evidence.map((e) => e.agentId))].sort();
}

/** Guards against wiring an incident or window to another service's context. */
export function assertSameService(serviceId: string, ctx: ReportContext): void {
  if (serviceId !== ctx.service.id) throw new Error(`report context is for service ${ctx.service.id}, not ${serviceId}`);
}
