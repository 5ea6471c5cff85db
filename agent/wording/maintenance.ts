/**
 * Scheduled maintenance to the authority's bodies: the notice filed before the window
 * (scheduled_maintenance, cause planned), updates as it starts, completes or runs over, and the
 * final report of a completed window. Pure, like build.ts.
 */
import type { Bilingual, FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import type { Impact } from '../detect/service-state.js';
import { assertSameService, entityOf, reportTypeFor, serviceFacts, serviceOf, submittedByOf, type ReportContext } from './context.js';
import { formatDuration, formatWhen, toIso } from './dates.js';
import { estimateAffected } from './estimate.js';
import { maintenanceDescription, maintenanceNote, maintenanceTitle } from './templates.js';
import { MAINTENANCE_FINAL } from './templates-maintenance.js';

/** One occurrence of a service's maintenance window, with fixed start and end (epoch ms). */
export interface MaintenanceWindow {
  serviceId: string;
  windowId: string;
  start: number;
  /** Expected end; for an `extended` update, the new expected end. */
  end: number;
  description?: Bilingual;
  /** What the window takes away; total (the service is down throughout) unless told otherwise. */
  impact?: Impact;
}

function checkWindow(window: MaintenanceWindow, ctx: ReportContext): Impact {
  assertSameService(window.serviceId, ctx);
  if (!(window.end >= window.start)) throw new RangeError(`maintenance window ${window.windowId} ends before it starts`);
  return window.impact ?? 'total';
}

/**
 * The notice of a window (filed notice_before it starts): started_at is the window's start,
 * expected_end_at its end, detected_at the moment of filing (`now`), and beneficiaries are
 * estimated over the whole window at its impact. A consumed service's provider is named, though
 * an entity normally announces only its own maintenance.
 */
export function buildMaintenanceReport(window: MaintenanceWindow, ctx: ReportContext): ReportBody {
  const impact = checkWindow(window, ctx);
  const tz = ctx.timeZone;
  const kind = reportTypeFor(ctx.service);
  const service = serviceFacts(ctx);
  const affected = estimateAffected(ctx.service.beneficiaries_per_day, window.start, window.end, impact);
  return {
    type: 'scheduled_maintenance',
    cause: 'planned',
    entity: entityOf(ctx),
    ...(kind.type === 'consumed_service_outage' ? { provider: kind.provider } : {}),
    service: serviceOf(ctx),
    impact,
    beneficiaries_affected: affected,
    started_at: toIso(window.start, tz),
    detected_at: toIso(ctx.now, tz),
    expected_end_at: toIso(window.end, tz),
    title: maintenanceTitle(service),
    description: maintenanceDescription({
      service,
      impact,
      start: formatWhen(window.start, tz),
      end: formatWhen(window.end, tz),
      duration: formatDuration(window.end - window.start),
      ...(window.description ? { description: window.description } : {}),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
      agents: ctx.agentId ? [ctx.agentId] : [],
    }),
    evidence: [],
    submitted_by: submittedByOf(ctx),
  };
}

/**
 * A maintenance update at `at`: in_progress (started; expected end), completed (ended_at = at;
 * beneficiaries from start to at), or extended (the window's `end` is the new expected end).
 */
export function buildMaintenanceUpdate(
  window: MaintenanceWindow,
  ctx: ReportContext,
  status: 'in_progress' | 'completed' | 'extended',
  at: number,
): UpdateBody {
  const impact = checkWindow(window, ctx);
  const tz = ctx.timeZone;
  const until = status === 'completed' ? Math.max(at, window.start) : window.end;
  const affected = estimateAffected(ctx.service.beneficiaries_per_day, window.start, until, impact);
  return {
    status,
    at: toIso(at, tz),
    impact,
    beneficiaries_affected: affected,
    ...(status === 'completed' ? { ended_at: toIso(at, tz) } : { expected_end_at: toIso(window.end, tz) }),
    note: maintenanceNote({
      service: serviceFacts(ctx),
      status,
      at: formatWhen(at, tz),
      end: formatWhen(window.end, tz),
      duration: formatDuration(until - window.start),
      affected,
      perDay: ctx.service.beneficiaries_per_day,
    }),
  };
}

/**
 * The final report of a window that completed at `endedAt` (its planned end by default): the
 * window is the timeline, the maintenance itself (its description when given) the action taken.
 */
export function buildMaintenanceFinal(window: MaintenanceWindow, ctx: ReportContext, endedAt: number = window.end): FinalReportBody {
  const impact = checkWindow(window, ctx);
  const tz = ctx.timeZone;
  const end = Math.max(endedAt, window.start);
  return {
    ended_at: toIso(end, tz),
    duration_seconds: Math.round((end - window.start) / 1000),
    beneficiaries_affected: estimateAffected(ctx.service.beneficiaries_per_day, window.start, end, impact),
    timeline: [
      { at: toIso(window.start, tz), event: MAINTENANCE_FINAL.started },
      { at: toIso(end, tz), event: MAINTENANCE_FINAL.completed },
    ],
    actions_taken: window.description ?? MAINTENANCE_FINAL.actions,
    actions_pending: false,
  };
}
