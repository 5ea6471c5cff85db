/**
 * Planned maintenance windows as pure functions of the config and a time: cron starts in the
 * agent's time zone (Asia/Riyadh, UTC+3), fixed windows, overlap with a range, and the window a
 * moment falls in. node-cron itself is the oracle for what a cron expression means.
 */
import { createTask } from 'node-cron';
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../agent/config/schema.js';
import { activeWindow, cronStarts, occurrenceKey, occurrencesOf, windowsBetween, zoneOffsetMs } from '../../agent/incidents/maintenance.js';
import { loadedConfig } from '../helpers/config.js';

const TZ = 'Asia/Riyadh';
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Weekday and local time of an instant in Riyadh, e.g. "Fri 01:00". */
function riyadh(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('weekday')} ${get('hour')}:${get('minute')}`;
}

function service(maintenance: Record<string, unknown>[]): ServiceConfig {
  const loaded = loadedConfig([{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/' }], maintenance }]);
  return loaded.config.services[0]!;
}

const WEEKLY = { id: 'weekly', schedule: '0 0 1 * * 5', duration: '2h' };
const UPGRADE = { id: 'upgrade', start: '2026-12-05T22:00:00+03:00', end: '2026-12-06T04:00:00+03:00' };

describe('cronStarts', () => {
  it('gives every Friday at 01:00 Riyadh time (Thursday 22:00 UTC) for "0 0 1 * * 5"', () => {
    const starts = cronStarts('0 0 1 * * 5', TZ, at('2026-12-01T00:00:00+03:00'), at('2027-01-01T00:00:00+03:00'));
    expect(starts.map(iso)).toEqual(['2026-12-03T22:00:00.000Z', '2026-12-10T22:00:00.000Z', '2026-12-17T22:00:00.000Z', '2026-12-24T22:00:00.000Z']);
    expect(new Set(starts.map(riyadh))).toEqual(new Set(['Fri 01:00']));
  });

  it('treats the range as [from, to): a start at `from` is in, a start at `to` is out', () => {
    const friday = at('2026-12-04T01:00:00+03:00');
    expect(cronStarts('0 0 1 * * 5', TZ, friday, friday + 7 * 24 * HOUR).map(iso)).toEqual([iso(friday)]);
    expect(cronStarts('0 0 1 * * 5', TZ, friday + 1, friday + 7 * 24 * HOUR)).toEqual([]);
    expect(cronStarts('0 0 1 * * 5', TZ, friday - HOUR, friday)).toEqual([]);
  });

  it('accepts 5-field expressions (no seconds) and weekday names', () => {
    const from = at('2026-12-01T00:00:00+03:00');
    const to = at('2026-12-15T00:00:00+03:00');
    const expected = cronStarts('0 0 1 * * 5', TZ, from, to);
    expect(cronStarts('0 1 * * 5', TZ, from, to)).toEqual(expected);
    expect(cronStarts('0 0 1 * * fri', TZ, from, to)).toEqual(expected);
  });

  it('needs both the day of month and the day of week when both are restricted, as node-cron does (Friday the 13th)', () => {
    const starts = cronStarts('0 0 1 13 * 5', TZ, at('2026-01-01T00:00:00+03:00'), at('2027-01-01T00:00:00+03:00'));
    expect(starts.map(iso)).toEqual(['2026-02-12T22:00:00.000Z', '2026-03-12T22:00:00.000Z', '2026-11-12T22:00:00.000Z']);
  });

  it.each([
    ['0 0 1 * * 5'],
    ['0 30 2 * * 0,3'],
    ['0 0 */6 * * *'],
    ['0 0 1 13 * 5'],
    ['0 0 23 L * *'],
    ['0 0 23 L-2 * *'],
    ['0 0 3 LW * *'],
    ['0 0 3 15W * *'],
    ['0 0 1 * * 5L'],
    ['0 0 1 * * 1#2'],
    ['0 15 4 1 1,7 *'],
  ])('agrees with node-cron on the next runs of "%s"', (expression) => {
    const task = createTask(expression, () => undefined, { timezone: TZ });
    try {
      const runs = task.getNextRuns(6).map((d) => d.getTime());
      expect(runs).toHaveLength(6);
      const ours = cronStarts(expression, TZ, runs[0]!, runs[5]! + 1);
      expect(ours.map(iso)).toEqual(runs.map(iso));
    } finally {
      task.destroy();
    }
  });
});

describe('zoneOffsetMs', () => {
  it('is +3 h in Riyadh all year (no daylight saving)', () => {
    expect(zoneOffsetMs(TZ, at('2026-01-15T12:00:00Z'))).toBe(3 * HOUR);
    expect(zoneOffsetMs(TZ, at('2026-07-15T12:00:00Z'))).toBe(3 * HOUR);
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
    expect(occurrencesOf('appointments', window, TZ, at(UPGRADE.start), at(UPGRADE.end))[0]).toMatchObject({ notifyAuthority: true, description: { en: 'Upgrade' } });
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
