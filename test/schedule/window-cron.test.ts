/**
 * What a maintenance window's cron expression means: croner computes the starts, node-cron (which
 * runs check schedules and validates every cron field of the config) is the oracle for what the
 * expression says, and whatever croner would read differently is refused by the config.
 */
import fc from 'fast-check';
import { createTask, validate } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../agent/errors.js';
import { cronStarts, windowCronProblem } from '../../agent/schedule/window-cron.js';
import { loadedConfig } from '../helpers/config.js';

const TZ = 'Asia/Riyadh';
const NOW = Date.parse('2026-05-17T09:41:07.250Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** node-cron's next `count` runs of `expression` after NOW, or undefined if it finds none. */
function nodeCronRuns(expression: string, timeZone: string, count: number): number[] | undefined {
  const task = createTask(expression, () => undefined, { timezone: timeZone });
  try {
    return task.getNextRuns(count).map((d) => d.getTime());
  } catch {
    return undefined; // "Could not find next matching date": an expression that never occurs
  } finally {
    task.destroy();
  }
}

/** Asserts croner's starts from NOW are node-cron's next runs (or that neither finds any). */
function expectAgreement(expression: string, timeZone: string, count = 6): void {
  const runs = nodeCronRuns(expression, timeZone, count);
  if (runs === undefined) {
    expect(cronStarts(expression, timeZone, NOW, NOW + 5 * 366 * 86_400_000)).toEqual([]);
    return;
  }
  expect(cronStarts(expression, timeZone, NOW, runs.at(-1)! + 1).map(iso)).toEqual(runs.map(iso));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('cronStarts', () => {
  it('treats the range as [from, to): a start at `from` is in, a start at `to` is out', () => {
    const friday = Date.parse('2026-12-04T01:00:00+03:00');
    const week = 7 * 86_400_000;
    expect(cronStarts('0 0 1 * * 5', TZ, friday, friday + week).map(iso)).toEqual([iso(friday)]);
    expect(cronStarts('0 0 1 * * 5', TZ, friday + 1, friday + week)).toEqual([]);
    expect(cronStarts('0 0 1 * * 5', TZ, friday - 3_600_000, friday)).toEqual([]);
  });

  it.each([
    ['0 0 1 * * 5', 'Fridays 01:00'],
    ['0 1 * * 5', '5 fields: seconds are 0'],
    ['0 0 1 * * fri', 'a day name'],
    ['0 0 8 * * MON-FRI', 'a range of day names'],
    ['0 0 3 1 JAN-MAR ?', 'month names and ?'],
    ['0 0 1 * * 7', '7 is Sunday'],
    ['0 0 1 * * 0-7', '0-7 is every day'],
    ['0 0 1 * * */2', 'a step on the day of week'],
    ['0 0 1 * * 1-5/2', 'a step on a range'],
    ['0 0 */6 * * *', 'every 6 hours'],
    ['0 */15 2-4 * * *', 'every 15 minutes within hours'],
    ['0 0 1 13 * 5', 'day of month AND day of week: Friday the 13th'],
    ['0 0 1 1 * MON', 'the 1st when it is a Monday'],
    ['0 0 23 L * *', 'the last day of the month'],
    ['0 0 3 LW * *', 'the last weekday of the month'],
    ['0 0 3 15W * *', 'the weekday nearest the 15th'],
    ['0 0 3 1W * *', 'the weekday nearest the 1st, within the month'],
    ['0 0 1 1,L * *', 'the first and the last day'],
    ['0 0 1 * * 5L', 'the last Friday'],
    ['0 0 1 * * 7L', 'the last Sunday, written 7'],
    ['0 0 1 * * 1#2', 'the second Monday'],
    ['0 0 1 * * 7#1', 'the first Sunday, written 7'],
    ['0 15 4 1 1,7 *', 'twice a year'],
    ['0 0 0 29 2 *', 'leap days only'],
    ['@weekly', 'a nickname'],
    ['@monthly', 'a nickname'],
  ])('agrees with node-cron on the next runs of "%s" (%s)', (expression) => {
    expect(windowCronProblem(expression)).toBeUndefined();
    expectAgreement(expression, TZ);
  });

  it('agrees with node-cron on any expression both accept, in zones without daylight saving', () => {
    const n = (min: number, max: number) => fc.integer({ min, max }).map(String);
    const part = (min: number, max: number, extra: string[] = []) =>
      fc.oneof(
        fc.constant('*'),
        n(min, max),
        fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.integer({ min: 1, max: 12 }).map((s) => `*/${s}`),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: 5 }))
          .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
        ...(extra.length ? [fc.constantFrom(...extra)] : []),
      );
    const field = (min: number, max: number, extra: string[] = []) =>
      fc.array(part(min, max, extra), { minLength: 1, maxLength: 3 }).map((ps) => (ps.includes('*') ? '*' : ps.join(',')));
    const expression = fc
      .tuple(
        fc.oneof(fc.constant('0'), field(0, 59)),
        field(0, 59),
        field(0, 23),
        field(1, 31, ['L', 'LW', '15W', '1W', '?']),
        field(1, 12, ['JAN', 'feb', 'MAR-MAY', 'dec']),
        field(0, 7, ['MON', 'fri', 'SUN-WED', '5L', '0L', '1#2', '7#1', '?']),
      )
      .map((fields) => fields.join(' '))
      .filter((e) => validate(e) && windowCronProblem(e) === undefined);
    fc.assert(
      fc.property(expression, fc.constantFrom('Asia/Riyadh', 'UTC'), (e, tz) => expectAgreement(e, tz, 5)),
      { numRuns: 150 },
    );
  });
});

describe('windowCronProblem and the config', () => {
  it.each([
    ['0 0 22-2 * * *', 'a range that wraps past midnight'],
    ['0 0 1 * * FRI-MON', 'a range of days that wraps past Saturday'],
    ['0 0 23 L-2 * *', 'L-n'],
    ['0 0 1 * * sunday', 'a full day name'],
    ['0 0 0 1W * 7#1', 'a day that never comes (the weekday nearest the 1st AND the first Sunday)'],
  ])('refuses "%s" (%s), which node-cron accepts, as a window schedule', (expression) => {
    expect(validate(expression)).toBe(true);
    expect(windowCronProblem(expression)).toMatch(/maintenance windows/);
    let thrown: unknown;
    try {
      loadedConfig([
        {
          id: 'appointments',
          checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/' }],
          maintenance: [{ id: 'w', schedule: expression, duration: '1h' }],
        },
      ]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      expect.objectContaining({
        path: 'services[0].maintenance[0].schedule',
        message: expect.stringContaining(`invalid cron expression "${expression}": maintenance windows`),
      }),
    ]);
  });

  it('still takes those expressions for a check, which node-cron runs', () => {
    const loaded = loadedConfig([{ id: 'appointments', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/', schedule: '0 0 22-2 * * *' }] }]);
    expect(loaded.config.services[0]!.checks[0]!.schedule).toBe('0 0 22-2 * * *');
  });

  it("reports an expression node-cron refuses once, in node-cron's words", () => {
    expect(() =>
      loadedConfig([
        { id: 'a', checks: [{ id: 'p', type: 'http', url: 'http://127.0.0.1:1/' }], maintenance: [{ id: 'w', schedule: '0 61 * * * *', duration: '1h' }] },
      ]),
    ).toThrow(/^[^\n]*"61" is not valid for the minute field[^\n]*$/);
  });
});
