/**
 * Planned maintenance windows: when they occur, and whether a moment falls inside one. Pure
 * functions of the config and a time, so reporting can ask "is this outage planned?" and "which
 * windows must be announced now?" without timers of its own.
 *
 * A repeating window's starts come from its cron expression in the agent's time zone, computed by
 * croner with node-cron's reading of the expression's fields, and croner's (Vixie cron's) rule
 * when clocks change (schedule/window-cron.ts says which, and what that rule does).
 */
import type { MaintenanceConfig, ServiceConfig } from '../config/schema.js';
import { cronStarts } from '../schedule/window-cron.js';

export interface WindowOccurrence {
  serviceId: string;
  windowId: string;
  start: number;
  end: number;
  notifyAuthority: boolean;
  description?: { ar: string; en: string };
}

/** Occurrences of one window that overlap [from, to). */
export function occurrencesOf(serviceId: string, w: MaintenanceConfig, timeZone: string, from: number, to: number): WindowOccurrence[] {
  const make = (start: number, end: number): WindowOccurrence => ({
    serviceId,
    windowId: w.id,
    start,
    end,
    notifyAuthority: w.notify_authority,
    ...(w.description ? { description: w.description } : {}),
  });
  if (w.start !== undefined && w.end !== undefined) {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    return start < to && end > from ? [make(start, end)] : [];
  }
  if (w.schedule === undefined || w.duration === undefined) return [];
  return cronStarts(w.schedule, timeZone, from - w.duration, to)
    .map((s) => make(s, s + w.duration!))
    .filter((o) => o.end > from);
}

/** Every window occurrence of the service overlapping [from, to), earliest first. */
export function windowsBetween(service: ServiceConfig, timeZone: string, from: number, to: number): WindowOccurrence[] {
  return service.maintenance.flatMap((w) => occurrencesOf(service.id, w, timeZone, from, to)).sort((a, b) => a.start - b.start);
}

/** The window the service is in at `at`, if any. */
export function activeWindow(service: ServiceConfig, timeZone: string, at: number): WindowOccurrence | undefined {
  return windowsBetween(service, timeZone, at, at + 1).find((o) => o.start <= at && at < o.end);
}

/** A stable id for one occurrence: the report key of its scheduled_maintenance report. */
export function occurrenceKey(o: Pick<WindowOccurrence, 'serviceId' | 'windowId' | 'start'>): string {
  return `maintenance:${o.serviceId}:${o.windowId}:${new Date(o.start).toISOString()}`;
}
