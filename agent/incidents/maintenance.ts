/**
 * Planned maintenance windows: when they occur, and whether a moment falls inside one. Pure
 * functions of the config and a time, so reporting can ask "is this outage planned?" and "which
 * windows must be announced now?" without timers of its own.
 *
 * A repeating window's starts come from its cron expression, evaluated in the agent's time zone
 * with node-cron's parser (day of month AND day of week, as node-cron matches them).
 */
import { parse } from 'node-cron';
import type { MaintenanceConfig, ServiceConfig } from '../config/schema.js';

export interface WindowOccurrence {
  serviceId: string;
  windowId: string;
  start: number;
  end: number;
  notifyAuthority: boolean;
  description?: { ar: string; en: string };
}

const DAY_MS = 86_400_000;

/** Offset of `timeZone` from UTC at `at`, in ms (Asia/Riyadh: +3 h all year). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** Last day (28–31) of a month; `d` is a local day written as a UTC date. */
function lastDayOf(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

/** The weekday nearest to day `target` of d's month, within it (node-cron's `nW`); -1 if none. */
function nearestWeekday(d: Date, target: number): number {
  if (target < 1 || target > lastDayOf(d)) return -1;
  const weekday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), target)).getUTCDay();
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === lastDayOf(d) ? target - 2 : target + 1;
  return target;
}

/** Day of month as node-cron matches it: numbers, `L`, `L-n`, `nW`, `LW`. */
function dayOfMonthMatches(field: (number | string)[], d: Date): boolean {
  const day = d.getUTCDate();
  const last = lastDayOf(d);
  return field.some((v) => {
    if (typeof v === 'number') return v === day;
    if (v === 'L') return day === last;
    const weekday = /^(\d{1,2}|L)W$/.exec(v);
    if (weekday) return nearestWeekday(d, weekday[1] === 'L' ? last : Number(weekday[1])) === day;
    const offset = /^L-(\d{1,2})$/.exec(v);
    return offset !== null && last - Number(offset[1]) === day;
  });
}

/** Day of week as node-cron matches it: numbers (0 = Sunday), `nL` (last of the month), `n#k` (k-th). */
function dayOfWeekMatches(field: (number | string)[], d: Date): boolean {
  const weekday = d.getUTCDay();
  const day = d.getUTCDate();
  return field.some((v) => {
    if (typeof v === 'number') return v === weekday;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) return Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(v);
    return lastOf !== null && Number(lastOf[1]) % 7 === weekday && day + 7 > lastDayOf(d);
  });
}

/** Starts of a cron window in [from, to), in the zone's local time. */
export function cronStarts(expression: string, timeZone: string, from: number, to: number): number[] {
  const f = parse(expression);
  const [secs, mins, hours, months] = [f.second, f.minute, f.hour, f.month];
  const out: number[] = [];
  const firstDay = Math.floor((from + zoneOffsetMs(timeZone, from)) / DAY_MS) * DAY_MS - DAY_MS;
  for (let localDay = firstDay; localDay < to + 2 * DAY_MS; localDay += DAY_MS) {
    const d = new Date(localDay);
    if (!months.includes(d.getUTCMonth() + 1) || !dayOfMonthMatches(f.dayOfMonth, d) || !dayOfWeekMatches(f.dayOfWeek, d)) continue;
    const offset = zoneOffsetMs(timeZone, localDay);
    for (const h of hours) for (const m of mins) for (const s of secs) {
      const at = localDay - offset + ((h * 60 + m) * 60 + s) * 1000;
      if (at >= from && at < to) out.push(at);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Occurrences of one window that overlap [from, to). */
export function occurrencesOf(serviceId: string, w: MaintenanceConfig, timeZone: string, from: number, to: number): WindowOccurrence[] {
  const make = (start: number, end: number): WindowOccurrence => ({
    serviceId, windowId: w.id, start, end, notifyAuthority: w.notify_authority, ...(w.description ? { description: w.description } : {}),
  });
  if (w.start !== undefined && w.end !== undefined) {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    return start < to && end > from ? [make(start, end)] : [];
  }
  if (w.schedule === undefined || w.duration === undefined) return [];
  return cronStarts(w.schedule, timeZone, from - w.duration, to).map((s) => make(s, s + w.duration!)).filter((o) => o.end > from);
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
