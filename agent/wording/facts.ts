/**
 * What one report call says, frozen when raqib decided to make it: the incident (or window) as it
 * was then, the service, entity and time zone as configured then, and the moment itself. An
 * outbox entry carries its facts, so a body built at the first attempt (once the filer is known),
 * or rebuilt for another signer, says what was true when it was decided, however long the
 * authority was away.
 */
import type { Bilingual, FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import type { Incident } from '../incidents/types.js';
import type { OngoingReason } from '../outbox/types.js';
import {
  buildFinalReport,
  buildMaintenanceFinal,
  buildMaintenanceReport,
  buildMaintenanceUpdate,
  buildOngoingUpdate,
  buildOutageReport,
  buildRestoredUpdate,
  type FiledMoments,
  type MaintenanceWindow,
  type ReportContext,
} from './build.js';
import { serviceFacts, type ReportedService } from './context.js';
import { formatDuration, formatWhen, toIso } from './dates.js';
import { estimateIncident } from './estimate.js';
import { toEvidenceItems } from './evidence.js';
import { restoredNote } from './templates.js';

/** The team's own words for a final report; a plain string is theirs in one language. */
export interface TeamActions {
  taken: string | Bilingual;
  rootCause?: string | Bilingual;
}

export type ReportFacts =
  | { kind: 'report'; incident: Incident }
  | { kind: 'ongoing'; incident: Incident; reason: OngoingReason }
  | { kind: 'restored'; incident: Incident }
  /** raqib stopped watching the failing checks while the outage was open: said, not a restoration. */
  | { kind: 'unmonitored'; incident: Incident }
  | { kind: 'final'; incident: Incident; actions?: TeamActions; moments: FiledMoments }
  | { kind: 'maintenance'; window: MaintenanceWindow }
  | { kind: 'maintenance_update'; window: MaintenanceWindow; status: 'in_progress' | 'completed' | 'extended'; at: number }
  | { kind: 'maintenance_final'; window: MaintenanceWindow; endedAt: number };

export interface Facts {
  /** When the call was decided: the "now" of its body. */
  at: number;
  entity: ReportContext['entity'];
  service: ReportedService;
  timeZone: string;
  what: ReportFacts;
}

/** The body of a call from its frozen facts, filed as `submitter`. Pure. */
export function bodyFor(facts: Facts, submitter: ReportContext['submitter']): ReportBody | UpdateBody | FinalReportBody {
  const ctx: ReportContext = { entity: facts.entity, service: facts.service, timeZone: facts.timeZone, submitter, now: facts.at };
  const w = facts.what;
  switch (w.kind) {
    case 'report':
      return buildOutageReport(w.incident, ctx);
    case 'ongoing':
      return buildOngoingUpdate(w.incident, ctx, w.reason);
    case 'restored':
      return buildRestoredUpdate(w.incident, ctx);
    case 'unmonitored':
      return buildUnmonitoredUpdate(w.incident, ctx);
    case 'final':
      return buildFinalReport(w.incident, ctx, w.actions, w.moments);
    case 'maintenance':
      return buildMaintenanceReport(w.window, ctx);
    case 'maintenance_update':
      return buildMaintenanceUpdate(w.window, ctx, w.status, w.at);
    case 'maintenance_final':
      return buildMaintenanceFinal(w.window, ctx, w.endedAt);
  }
}

/**
 * The update that says raqib stopped watching the outage before it ended: still `ongoing` at the
 * authority (raqib did not see it end), with when monitoring stopped and the estimate up to then.
 */
export function buildUnmonitoredUpdate(incident: Incident, ctx: ReportContext): UpdateBody {
  const tz = ctx.timeZone;
  const stoppedAt = incident.endedAt ?? ctx.now;
  const affected = estimateIncident(ctx.service.beneficiaries_per_day, incident, stoppedAt);
  return {
    status: 'ongoing',
    at: toIso(ctx.now, tz),
    impact: incident.impact,
    beneficiaries_affected: affected,
    note: restoredNote({
      service: serviceFacts(ctx),
      endedAt: formatWhen(stoppedAt, tz),
      duration: formatDuration(stoppedAt - incident.startedAt),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
      unmonitored: true,
    }),
    evidence: toEvidenceItems(incident.evidence, incident.serviceId, tz),
  };
}
