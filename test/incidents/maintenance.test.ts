/**
 * Planned maintenance windows as pure functions of the config and a time: cron starts in the
 * agent's time zone (Asia/Riyadh, UTC+3, and Europe/London across its clock changes), fixed
 * windows, overlap with a range, and the window a moment falls in. What each cron expression
 * means is test/schedule/window-cron.test.ts's concern.
 */
import { describe, expect, it } from 'vitest';
import type { MaintenanceConfig, ServiceConfig } from '../../agent/config/schema.js';
import { activeWindow, occurrenceKey, occurrencesOf, windowsBetween } from '../../agent/incidents/maintenance.js';
import { loadedConfig } from '../helpers/config.js';

const TZ = 'Asia/Riyadh';
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Weekday and local time of an instant in Riyadh, e.g. "Fri 01:00". */
function riyadh(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    new Date(ms),
  );
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('weekday')} ${get('hour')}:${get('minute')}`;
}

function service(maintenance: Record<string, unknown>[]): ServiceConfig {
  const loaded = loadedConfig([{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/' }], maintenance }]);
  return loaded.config.services[0]!;
}

/** A repeating window from the config, through the real schema. */
function window(schedule: string, duration = '1h'): MaintenanceConfig {
  return service([{ id: 'w', schedule, duration }]).maintenance[0]!;
}

/** Starts (ISO, UTC) of the window's occurrences that overlap [from, to). */
function startsOf(w: MaintenanceConfig, timeZone: string, from: string, to: string): string[] {
  return occurrencesOf('appointments', w, timeZone, at(from), at(to)).map((o) => iso(o.start));
}

const WEEKLY = { id: 'weekly', schedule: '0 0 1 * * 5', duration: '2h' };
const UPGRADE = { id: 'upgrade', start: '2026-12-05T22:00:00+03:00', end: '2026-12-06T04:00:00+03:00' };

describe('repeating windows', () => {
  it('starts every Friday at 01:00 Riyadh time (Thursday 22:00 UTC) for "0 0 1 * * 5"', () => {
    const weekly = service([WEEKLY]).maintenance[0]!;
    const starts = startsOf(weekly, TZ, '2026-12-01T00:00:00+03:00', '2027-01-01T00:00:00+03:00');
    expect(starts).toEqual(['2026-12-03T22:00:00.000Z', '2026-12-10T22:00:00.000Z', '2026-12-17T22:00:00.000Z', '2026-12-24T22:00:00.000Z']);
    expect(new Set(starts.map((s) => riyadh(at(s))))).toEqual(new Set(['Fri 01:00']));
  });

  it('needs both the day of month and the day of week when both are restricted, as node-cron does (Friday the 13th)', () => {
    const friday13 = window('0 0 1 13 * 5');
    expect(startsOf(friday13, TZ, '2026-01-01T00:00:00+03:00', '2027-01-01T00:00:00+03:00')).toEqual([
      '2026-02-12T22:00:00.000Z',
      '2026-03-12T22:00:00.000Z',
      '2026-11-12T22:00:00.000Z',
    ]);
    // The 1st of a month that is a Monday: June 2026 only (not every Monday and every 1st).
    expect(startsOf(window('0 0 1 1 * MON'), TZ, '2026-01-01T00:00:00+03:00', '2027-01-01T00:00:00+03:00')).toEqual(['2026-05-31T22:00:00.000Z']);
  });

  it('keeps 03:30 in Riyadh (no daylight saving) at 00:30 UTC on the days London changes its clocks', () => {
    const w = window('0 30 3 * * *');
    expect(startsOf(w, TZ, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z')).toEqual(['2026-03-29T00:30:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(startsOf(w, TZ, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z')).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T00:30:00.000Z']);
  });
});

describe('repeating windows across daylight saving (Europe/London)', () => {
  const LONDON = 'Europe/London';

  it('starts 03:30 on the day clocks spring forward at 03:30 BST, 02:30 UTC', () => {
    const w = window('0 30 3 * * *', '1h');
    expect(startsOf(w, LONDON, '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      '2026-03-28T03:30:00.000Z',
      '2026-03-29T02:30:00.000Z',
      '2026-03-30T02:30:00.000Z',
    ]);
    expect(activeWindow(service([{ id: 'nightly', schedule: '0 30 3 * * *', duration: '1h' }]), LONDON, at('2026-03-29T03:15:00Z'))?.start).toBe(
      at('2026-03-29T02:30:00Z'),
    );
  });

  it('starts 03:30 on the day clocks fall back at 03:30 GMT, 03:30 UTC', () => {
    expect(startsOf(window('0 30 3 * * *'), LONDON, '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      '2026-10-24T02:30:00.000Z',
      '2026-10-25T03:30:00.000Z',
      '2026-10-26T03:30:00.000Z',
    ]);
  });

  it('starts a fixed time that occurs twice (01:30 when clocks fall back) once, at the first 01:30 (BST)', () => {
    expect(startsOf(window('0 30 1 * * *'), LONDON, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    // A list of fixed times is fixed too: one planned job, one window, one announcement.
    expect(startsOf(window('0 30 1,13 * * *'), LONDON, '2026-10-24T12:00:00Z', '2026-10-25T23:00:00Z')).toEqual([
      '2026-10-24T12:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T13:30:00.000Z',
    ]);
  });

  it('starts a window with a wildcard hour at each real 01:30, both the BST and the GMT one', () => {
    expect(startsOf(window('0 30 * * * *', '20m'), LONDON, '2026-10-25T00:00:00Z', '2026-10-25T03:00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('moves a fixed time inside the skipped hour (01:30 when clocks spring forward) to the end of the gap, 02:00 BST', () => {
    expect(startsOf(window('0 30 1 * * *'), LONDON, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z')).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });
});

describe('occurrencesOf', () => {
  const weekly = service([WEEKLY]).maintenance[0]!;
  const upgrade = service([UPGRADE]).maintenance[0]!;

  it('gives each cron occurrence its start and start + duration', () => {
    const occ = occurrencesOf('appointments', weekly, TZ, at('2026-12-01T00:00:00+03:00'), at('2026-12-15T00:00:00+03:00'));
    expect(occ.map((o) => [iso(o.start), iso(o.end)])).toEqual([
      ['2026-12-03T22:00:00.000Z', '2026-12-04T00:00:00.000Z'],
      ['2026-12-10T22:00:00.000Z', '2026-12-11T00:00:00.000Z'],
    ]);
    expect(occ[0]).toMatchObject({ serviceId: 'appointments', windowId: 'weekly', notifyAuthority: false });
  });

  it('includes a cron occurrence that began before the range but overlaps it', () => {
    const inside = at('2026-12-04T02:30:00+03:00'); // Friday, 90 minutes into the 01:00–03:00 window
    const occ = occurrencesOf('appointments', weekly, TZ, inside, inside + HOUR);
    expect(occ.map((o) => iso(o.start))).toEqual(['2026-12-03T22:00:00.000Z']);
    // … but not one that ended exactly when the range starts
    expect(occurrencesOf('appointments', weekly, TZ, at('2026-12-04T03:00:00+03:00'), at('2026-12-04T04:00:00+03:00'))).toEqual([]);
  });

  it('gives a fixed window when it overlaps the range, and nothing when it only touches it', () => {
    const start = at(UPGRADE.start);
    const end = at(UPGRADE.end);
    expect(occurrencesOf('appointments', upgrade, TZ, start - HOUR, start + HOUR).map((o) => [o.start, o.end])).toEqual([[start, end]]);
    expect(occurrencesOf('appointments', upgrade, TZ, end - 1, end + HOUR)).toHaveLength(1);
    expect(occurrencesOf('appointments', upgrade, TZ, start - HOUR, start)).toEqual([]);
    expect(occurrencesOf('appointments', upgrade, TZ, end, end + HOUR)).toEqual([]);
  });

  it('carries notify_authority and the description', () => {
    const window = { ...upgrade, notify_authority: true, description: { ar: 'ترقية', en: 'Upgrade' } };
    expect(occurrencesOf('appointments', window, TZ, at(UPGRADE.start), at(UPGRADE.end))[0]).toMatchObject({
      notifyAuthority: true,
      description: { en: 'Upgrade' },
    });
  });

  it('gives nothing for a window with neither a schedule nor fixed times', () => {
    expect(occurrencesOf('appointments', { id: 'none', notify_authority: false }, TZ, 0, Date.now())).toEqual([]);
  });
});

describe('windowsBetween and activeWindow', () => {
  const svc = service([WEEKLY, UPGRADE]);

  it('lists the occurrences of every window of the service, earliest first', () => {
    const list = windowsBetween(svc, TZ, at('2026-12-03T00:00:00+03:00'), at('2026-12-12T00:00:00+03:00'));
    expect(list.map((o) => `${o.windowId}@${iso(o.start)}`)).toEqual([
      'weekly@2026-12-03T22:00:00.000Z',
      'upgrade@2026-12-05T19:00:00.000Z',
      'weekly@2026-12-10T22:00:00.000Z',
    ]);
  });

  it('finds the window a moment falls in: start inclusive, end exclusive', () => {
    const fri = at('2026-12-04T01:00:00+03:00');
    expect(activeWindow(svc, TZ, fri)).toMatchObject({ windowId: 'weekly', start: fri, end: fri + 2 * HOUR });
    expect(activeWindow(svc, TZ, fri + 90 * 60_000)?.windowId).toBe('weekly');
    expect(activeWindow(svc, TZ, fri - 1)).toBeUndefined();
    expect(activeWindow(svc, TZ, fri + 2 * HOUR)).toBeUndefined();
    expect(activeWindow(svc, TZ, at('2026-12-06T01:00:00+03:00'))?.windowId).toBe('upgrade');
    expect(activeWindow(svc, TZ, at('2026-12-03T01:00:00+03:00'))).toBeUndefined(); // a Thursday
  });

  it('is undefined for a service without windows', () => {
    expect(activeWindow(service([]), TZ, at('2026-12-04T01:30:00+03:00'))).toBeUndefined();
  });

  it('names each occurrence stably by service, window and start', () => {
    const o = activeWindow(svc, TZ, at('2026-12-04T01:30:00+03:00'))!;
    expect(occurrenceKey(o)).toBe('maintenance:appointments:weekly:2026-12-03T22:00:00.000Z');
  });
});
