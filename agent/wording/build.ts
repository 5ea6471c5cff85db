/**
 * Incidents to the authority's report bodies (Authority API v1): the opening report, updates
 * while it lasts, the restoration, and the final report. Pure: no I/O, no clock (the context
 * carries `now`), so a body built for the outbox can be rebuilt, compared and tested exactly.
 * Maintenance bodies are in maintenance.ts and re-exported here, so callers import one module.
 */
import type { Bilingual, FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import type { OngoingReason } from '../outbox/types.js';
import type { Incident } from '../incidents/types.js';
import { assertSameService, entityOf, reportTypeFor, reportingAgents, serviceFacts, serviceOf, submittedByOf, type ReportContext } from './context.js';
import { formatDuration, formatWhen, toIso } from './dates.js';
import { entryImpact, estimateIncident } from './estimate.js';
import { failingChecks, toEvidenceItems } from './evidence.js';
import { teamText, type TeamTextInput } from './team-text.js';
import { ACTIONS_PENDING, ongoingNote, outageDescription, outageTitle, restoredNote, timelineEventText, type TimelineEvent } from './templates.js';

export { reportTypeFor, type ReportContext, type ReportKind } from './context.js';
export { teamText, type TeamTextInput } from './team-text.js';
export { buildMaintenanceFinal, buildMaintenanceReport, buildMaintenanceUpdate, type MaintenanceWindow } from './maintenance.js';

/** The contract's bounds on a final report's timeline. */
export const MAX_TIMELINE = 500;

/**
 * The report that opens an outage at the authority: the incident's impact, its start and
 * detection, the failing checks in plain words, beneficiaries estimated from the start to `now`
 * (to the end, if it already ended), and the latest probe results as evidence.
 */
export function buildOutageReport(incident: Incident, ctx: ReportContext): ReportBody {
  assertSameService(incident.serviceId, ctx);
  const tz = ctx.timeZone;
  const kind = reportTypeFor(ctx.service);
  const service = serviceFacts(ctx);
  const affected = estimateIncident(ctx.service.beneficiaries_per_day, incident, ctx.now);
  return {
    type: kind.type,
    cause: 'incident',
    entity: entityOf(ctx),
    ...(kind.type === 'consumed_service_outage' ? { provider: kind.provider } : {}),
    service: serviceOf(ctx),
    impact: incident.impact,
    beneficiaries_affected: affected,
    started_at: toIso(incident.startedAt, tz),
    detected_at: toIso(incident.detectedAt, tz),
    ...(incident.endedAt !== undefined ? { ended_at: toIso(incident.endedAt, tz) } : {}),
    title: outageTitle(service, incident.impact, incident.flapping !== undefined),
    description: outageDescription({
      service,
      impact: incident.impact,
      startedAt: formatWhen(incident.startedAt, tz),
      detectedAt: formatWhen(incident.detectedAt, tz),
      failing: failingChecks(incident),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
      agents: reportingAgents(ctx, incident.evidence),
      dependents: dependentNames(incident),
      intermittent: incident.flapping !== undefined,
    }),
    evidence: toEvidenceItems(incident.evidence, incident.serviceId, tz),
    submitted_by: submittedByOf(ctx),
  };
}

/** The impact before the latest timeline entry, for "changed from … to …". */
function previousImpact(incident: Incident): Incident['impact'] | undefined {
  const entries = [...incident.timeline].sort((a, b) => a.at - b.at);
  const before = entries.at(-2);
  return before ? entryImpact(before) : undefined;
}

/**
 * An update while the outage lasts: every update_interval (`periodic`) or when the impact
 * changed (`impact_changed`), with the current impact, beneficiaries so far and fresh evidence.
 */
export function buildOngoingUpdate(incident: Incident, ctx: ReportContext, reason: OngoingReason): UpdateBody {
  assertSameService(incident.serviceId, ctx);
  const tz = ctx.timeZone;
  const affected = estimateIncident(ctx.service.beneficiaries_per_day, incident, ctx.now);
  const prev = reason === 'impact_changed' ? previousImpact(incident) : undefined;
  return {
    status: 'ongoing',
    at: toIso(ctx.now, tz),
    impact: incident.impact,
    beneficiaries_affected: affected,
    note: ongoingNote({
      service: serviceFacts(ctx),
      reason,
      impact: incident.impact,
      ...(prev ? { previousImpact: prev } : {}),
      since: formatWhen(incident.startedAt, tz),
      duration: formatDuration(ctx.now - incident.startedAt),
      failing: failingChecks(incident),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
      dependents: dependentNames(incident),
      ...(incident.flapping ? { changes: incident.flapping.changes } : {}),
    }),
    evidence: toEvidenceItems(incident.evidence, incident.serviceId, tz),
  };
}

/** Names of the dependent services rolled into the incident. */
function dependentNames(incident: Incident): Bilingual[] | undefined {
  return incident.affected?.map((a) => a.name);
}

function endOf(incident: Incident): number {
  if (incident.endedAt === undefined) throw new Error(`incident ${incident.id} has not ended; no restoration or final report yet`);
  return incident.endedAt;
}

/**
 * The update that tells the authority the service is back (status restored, ended_at), with the
 * duration and the total estimate. An incident closed because its service left the config says
 * so instead of claiming a recovery raqib did not see. Throws for an open incident.
 */
export function buildRestoredUpdate(incident: Incident, ctx: ReportContext): UpdateBody {
  assertSameService(incident.serviceId, ctx);
  const tz = ctx.timeZone;
  const endedAt = endOf(incident);
  const affected = estimateIncident(ctx.service.beneficiaries_per_day, incident, endedAt);
  return {
    status: 'restored',
    at: toIso(ctx.now, tz),
    ended_at: toIso(endedAt, tz),
    beneficiaries_affected: affected,
    note: restoredNote({
      service: serviceFacts(ctx),
      endedAt: formatWhen(endedAt, tz),
      duration: formatDuration(endedAt - incident.startedAt),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
      unmonitored: incident.resolution === 'unmonitored',
    }),
    evidence: toEvidenceItems(incident.evidence, incident.serviceId, tz),
  };
}

/** Moments the reporting pipeline knows that the incident does not: when it filed, when the authority acknowledged. */
export interface FiledMoments {
  filedAt?: number;
  acknowledgedAt?: number;
}

function timelineOf(incident: Incident, endedAt: number, moments: FiledMoments, tz: string): FinalReportBody['timeline'] {
  const events: Array<{ at: number; event: TimelineEvent }> = [];
  const entries = [...incident.timeline].sort((a, b) => a.at - b.at);
  let lastImpact: Incident['impact'] | undefined;
  entries.forEach((entry, i) => {
    const impact = entryImpact(entry);
    if (i === 0) events.push({ at: entry.at, event: { kind: 'began', impact: impact ?? incident.impact, checks: entry.checks } });
    else if (entry.state === 'UP') events.push({ at: entry.at, event: { kind: 'restored' } });
    else if (entry.state === 'UNKNOWN') events.push({ at: entry.at, event: { kind: 'unmonitored' } });
    else if (impact) events.push({ at: entry.at, event: { kind: impact === lastImpact ? 'checks' : 'changed', impact, checks: entry.checks } });
    lastImpact = impact ?? lastImpact;
  });
  if (entries.length === 0) {
    events.push({ at: incident.startedAt, event: { kind: 'began', impact: incident.impact, checks: incident.checks } });
    events.push({ at: endedAt, event: { kind: incident.resolution === 'unmonitored' ? 'unmonitored' : 'restored' } });
  }
  events.push({ at: incident.detectedAt, event: { kind: 'detected' } });
  if (moments.filedAt !== undefined) events.push({ at: moments.filedAt, event: { kind: 'filed' } });
  if (moments.acknowledgedAt !== undefined) events.push({ at: moments.acknowledgedAt, event: { kind: 'acknowledged' } });
  // Stable sort: at equal times the incident's own order (began before detected) is kept.
  events.sort((a, b) => a.at - b.at);
  let kept = events;
  if (events.length > MAX_TIMELINE) {
    const head = events.slice(0, MAX_TIMELINE / 2);
    const tail = events.slice(events.length - (MAX_TIMELINE / 2 - 1));
    const omitted = events.length - head.length - tail.length;
    kept = [...head, { at: events[head.length]!.at, event: { kind: 'omitted', count: omitted } }, ...tail];
  }
  return kept.map((e) => ({ at: toIso(e.at, tz), event: timelineEventText(e.event) }));
}

/**
 * The final report once the outage ended: the timeline (the incident's changes plus detection,
 * filing and acknowledgement when known), duration, total beneficiaries, and the team's actions.
 * Without actions (the final_report_deadline passed), it says they will follow and sets
 * `actions_pending`. The team's words go in as {@link teamText} reads them: both languages as
 * given, one language marked as given in that language only (never passed off as a translation).
 * Throws for an open incident.
 */
export function buildFinalReport(
  incident: Incident,
  ctx: ReportContext,
  actions?: { taken: TeamTextInput; rootCause?: TeamTextInput },
  moments: FiledMoments = {},
): FinalReportBody {
  assertSameService(incident.serviceId, ctx);
  const endedAt = endOf(incident);
  const taken = teamText(actions?.taken);
  const rootCause = teamText(actions?.rootCause);
  return {
    ended_at: toIso(endedAt, ctx.timeZone),
    duration_seconds: Math.max(0, Math.round((endedAt - incident.startedAt) / 1000)),
    beneficiaries_affected: estimateIncident(ctx.service.beneficiaries_per_day, incident, endedAt),
    timeline: timelineOf(incident, endedAt, moments, ctx.timeZone),
    ...(rootCause ? { root_cause: rootCause } : {}),
    actions_taken: taken ?? ACTIONS_PENDING,
    actions_pending: !taken,
  };
}
