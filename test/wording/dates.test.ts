import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AR_HIJRI_MONTHS, AR_MONTHS, DEFAULT_TIME_ZONE, formatDuration, formatWhen, toIso, wallTime, zoneOffsetMinutes } from '../../agent/wording/dates.js';

const DAY = 86_400_000;
const riyadhHijri = new Intl.DateTimeFormat('ar-SA-u-ca-islamic-umalqura', { timeZone: 'Asia/Riyadh', day: 'numeric', month: 'long', year: 'numeric' });
const riyadhGregorianAr = new Intl.DateTimeFormat('ar-SA', { timeZone: 'Asia/Riyadh', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const hijriNumeric = (tz: string) =>
  new Intl.DateTimeFormat('en-u-ca-islamic-umalqura-nu-latn', { timeZone: tz, day: 'numeric', month: 'numeric', year: 'numeric' });

describe('formatWhen', () => {
  it('writes the example moment in both languages and calendars', () => {
    expect(formatWhen(Date.parse('2026-11-28T09:30:00Z'))).toEqual({
      en: 'Sat 28 Nov 2026, 12:30 (Riyadh time) — 18 Jumada II 1448 AH',
      ar: 'السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
    });
  });

  // Umm al-Qura pairs, each confirmed by Intl below; midnight boundaries are Riyadh's.
  it.each([
    ['2026-02-17T20:59:59Z', "29 Sha'ban 1447 AH", 'Tue 17 Feb 2026, 23:59'],
    ['2026-02-17T21:00:00Z', '1 Ramadan 1447 AH', 'Wed 18 Feb 2026, 00:00'],
    ['2026-02-18T12:00:00Z', '1 Ramadan 1447 AH', 'Wed 18 Feb 2026, 15:00'],
    ['2026-03-20T09:00:00Z', '1 Shawwal 1447 AH', 'Fri 20 Mar 2026, 12:00'],
    ['2026-06-15T09:00:00Z', '29 Dhu al-Hijjah 1447 AH', 'Mon 15 Jun 2026, 12:00'],
    ['2026-06-16T09:00:00Z', '1 Muharram 1448 AH', 'Tue 16 Jun 2026, 12:00'],
    ['2026-11-11T09:00:00Z', '1 Jumada II 1448 AH', 'Wed 11 Nov 2026, 12:00'],
  ])('%s is %s', (iso, hijri, gregorian) => {
    const when = formatWhen(Date.parse(iso));
    expect(when.en).toBe(`${gregorian} (Riyadh time) — ${hijri}`);
    const [m, d, y] = hijriNumeric('Asia/Riyadh').format(new Date(iso)).replace(' AH', '').split('/').map(Number);
    expect(hijri).toBe(
      `${d} ${['Muharram', 'Safar', "Rabi' I", "Rabi' II", 'Jumada I', 'Jumada II', 'Rajab', "Sha'ban", 'Ramadan', 'Shawwal', "Dhu al-Qi'dah", 'Dhu al-Hijjah'][m! - 1]} ${y} AH`,
    );
  });

  it('agrees with Intl (ar-SA, Umm al-Qura) on every day of two years', () => {
    const from = Date.parse('2025-06-01T06:00:00Z');
    for (let t = from; t < from + 730 * DAY; t += DAY + 3_600_000) {
      const when = formatWhen(t).ar;
      expect(when.endsWith(` — ${riyadhHijri.format(t)}`), `${new Date(t).toISOString()}: ${when}`).toBe(true);
      expect(when.startsWith(riyadhGregorianAr.format(t).replace('،', '')), when).toBe(true);
    }
  });

  it('reads the date in the zone given: the same instant is another Hijri day in UTC', () => {
    const t = Date.parse('2026-02-17T21:30:00Z');
    expect(formatWhen(t, 'Asia/Riyadh').en).toContain('1 Ramadan 1447 AH');
    expect(formatWhen(t, 'UTC').en).toBe("Tue 17 Feb 2026, 21:30 (UTC+00:00) — 29 Sha'ban 1447 AH");
    expect(formatWhen(t, 'Asia/Dubai').ar).toContain('(بتوقيت \u2066UTC+04:00\u2069)');
  });

  it('names months and weekdays as ICU ar-SA does', () => {
    const seenHijri = new Set<string>();
    for (let t = Date.parse('2026-01-01T09:00:00Z'); t < Date.parse('2027-01-15T09:00:00Z'); t += DAY) {
      const month = new Intl.DateTimeFormat('ar-SA-u-ca-islamic-umalqura', { timeZone: DEFAULT_TIME_ZONE, month: 'long' }).format(t);
      const { month: n } = wallTime(t, DEFAULT_TIME_ZONE, 'islamic-umalqura');
      expect(AR_HIJRI_MONTHS[n - 1]).toBe(month);
      seenHijri.add(month);
    }
    expect(seenHijri.size).toBe(12);
    for (let m = 0; m < 12; m++) {
      expect(AR_MONTHS[m]).toBe(new Intl.DateTimeFormat('ar-SA', { timeZone: 'UTC', month: 'long' }).format(Date.UTC(2026, m, 10)));
    }
  });
});

describe('toIso', () => {
  const iso = z.iso.datetime({ offset: true });
  it.each([
    ['2026-11-28T09:30:00Z', 'Asia/Riyadh', '2026-11-28T12:30:00+03:00'],
    ['2026-11-28T21:30:00Z', 'Asia/Riyadh', '2026-11-29T00:30:00+03:00'],
    ['2026-11-28T09:30:00.045Z', 'Asia/Riyadh', '2026-11-28T12:30:00.045+03:00'],
    ['2026-11-28T09:30:00Z', 'UTC', '2026-11-28T09:30:00+00:00'],
    ['2026-11-28T09:30:00Z', 'Asia/Kolkata', '2026-11-28T15:00:00+05:30'],
    ['2026-07-01T12:00:00Z', 'America/New_York', '2026-07-01T08:00:00-04:00'],
    ['2026-01-01T12:00:00Z', 'America/New_York', '2026-01-01T07:00:00-05:00'],
  ])('%s in %s is %s', (utc, tz, expected) => {
    const ms = Date.parse(utc);
    const out = toIso(ms, tz);
    expect(out).toBe(expected);
    expect(iso.safeParse(out).success).toBe(true);
    expect(Date.parse(out)).toBe(ms);
  });

  it('defaults to Riyadh, UTC+3 all year', () => {
    expect(zoneOffsetMinutes(Date.parse('2026-01-01T00:00:00Z'))).toBe(180);
    expect(zoneOffsetMinutes(Date.parse('2026-07-01T00:00:00Z'))).toBe(180);
    expect(toIso(Date.parse('2026-07-01T00:00:00Z'))).toBe('2026-07-01T03:00:00+03:00');
  });

  it('refuses what is not a time', () => {
    expect(() => toIso(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s', '٠ ثانية'],
    [1_000, '1 s', 'ثانية واحدة'],
    [2_000, '2 s', 'ثانيتان'],
    [45_000, '45 s', '٤٥ ثانية'],
    [59_400, '59 s', '٥٩ ثانية'],
    [60_000, '1 min', 'دقيقة واحدة'],
    [90_000, '2 min', 'دقيقتان'],
    [5 * 60_000, '5 min', '٥ دقائق'],
    [60 * 60_000, '1 h', 'ساعة واحدة'],
    [135 * 60_000, '2 h 15 min', 'ساعتان و١٥ دقيقة'],
    [(3 * 60 + 1) * 60_000, '3 h 1 min', '٣ ساعات ودقيقة واحدة'],
    [(11 * 60 + 10) * 60_000, '11 h 10 min', '١١ ساعة و١٠ دقائق'],
    [(2 * 1440 + 3 * 60 + 2) * 60_000, '2 d 3 h 2 min', 'يومان و٣ ساعات ودقيقتان'],
    [15 * 1440 * 60_000, '15 d', '١٥ يوماً'],
    [-5_000, '0 s', '٠ ثانية'],
  ])('%i ms is "%s" / "%s"', (ms, en, ar) => {
    expect(formatDuration(ms)).toEqual({ en, ar });
  });
});
