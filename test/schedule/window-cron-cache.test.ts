/**
 * cronStarts keeps parsed window expressions: it runs for every window of every service at each
 * /metrics scrape and reporter tick. Parsing is observed by counting croner's constructions (a
 * subclass put in place of `Cron` for this file), not by timing.
 */
import type { CronOptions } from 'croner';
import { describe, expect, it, vi } from 'vitest';
import { cronStarts, MAX_PARSED } from '../../agent/schedule/window-cron.js';

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('croner', async (importOriginal) => {
  const croner = await importOriginal<typeof import('croner')>();
  class CountedCron extends croner.Cron {
    constructor(pattern: string | Date, options?: CronOptions) {
      super(pattern, options);
      parses.count++;
    }
  }
  return { ...croner, Cron: CountedCron };
});

const DAY = 86_400_000;
const FROM = Date.parse('2026-03-27T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Parses counted while `fn` runs. */
function parsesDuring(fn: () => void): number {
  const before = parses.count;
  fn();
  return parses.count - before;
}

describe('cronStarts with parsed expressions kept', () => {
  it('gives the same starts on every call, parsing an expression and time zone once', () => {
    const first = cronStarts('0 30 1 * * *', 'Europe/London', FROM, FROM + 4 * DAY);
    // London springs forward on 2026-03-29: 01:30 is skipped and that day's start moves to 02:00 BST.
    expect(first.map(iso)).toEqual(['2026-03-27T01:30:00.000Z', '2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(
      parsesDuring(() => {
        for (let i = 0; i < 5; i++) expect(cronStarts('0 30 1 * * *', 'Europe/London', FROM, FROM + 4 * DAY)).toEqual(first);
      }),
    ).toBe(0);
  });

  it('keeps the same expression in two time zones apart, each parsed once', () => {
    const london = cronStarts('0 0 9 * * MON', 'Europe/London', FROM, FROM + 7 * DAY);
    const riyadh = cronStarts('0 0 9 * * MON', 'Asia/Riyadh', FROM, FROM + 7 * DAY);
    expect(london.map(iso)).toEqual(['2026-03-30T08:00:00.000Z']);
    expect(riyadh.map(iso)).toEqual(['2026-03-30T06:00:00.000Z']);
    expect(
      parsesDuring(() => {
        expect(cronStarts('0 0 9 * * MON', 'Europe/London', FROM, FROM + 7 * DAY)).toEqual(london);
        expect(cronStarts('0 0 9 * * MON', 'Asia/Riyadh', FROM, FROM + 7 * DAY)).toEqual(riyadh);
      }),
    ).toBe(0);
  });

  it('lets an expression go once MAX_PARSED others were used after it, as after a reload, and still gives its starts', () => {
    const old = cronStarts('0 15 4 * * *', 'Asia/Riyadh', FROM, FROM + DAY);
    expect(old.map(iso)).toEqual(['2026-03-27T01:15:00.000Z']);
    const recent = (i: number) => `0 ${i % 60} ${Math.floor(i / 60) + 10} * * *`;
    for (let i = 0; i < MAX_PARSED; i++) cronStarts(recent(i), 'Asia/Riyadh', FROM, FROM + DAY);
    expect(parsesDuring(() => cronStarts(recent(MAX_PARSED - 1), 'Asia/Riyadh', FROM, FROM + DAY))).toBe(0);
    expect(parsesDuring(() => expect(cronStarts('0 15 4 * * *', 'Asia/Riyadh', FROM, FROM + DAY)).toEqual(old))).toBe(1);
    expect(parsesDuring(() => cronStarts('0 15 4 * * *', 'Asia/Riyadh', FROM, FROM + DAY))).toBe(0);
  });
});
