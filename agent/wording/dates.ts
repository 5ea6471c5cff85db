/**
 * Dates and durations as a Saudi reader and the authority expect them: Gregorian and Umm al-Qura
 * Hijri side by side, in the agent's time zone, Arabic with Arabic-Indic digits. The calendar
 * arithmetic is ICU's (Node's full-ICU Intl); only the wording is ours, from fixed tables that the
 * tests check against Intl, so an ICU upgrade cannot silently change a filed report's text.
 */
import type { Bilingual } from '../authority/contract.js';
import { arabicCounted, ltrIsolate, toArabicDigits } from './arabic.js';

/** The default zone of the agent and of the authority: UTC+3, no daylight saving. */
export const DEFAULT_TIME_ZONE = 'Asia/Riyadh';

const EN_WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const AR_WEEKDAYS = ['الأحد', 'الاثنين', 'الثلاثاء', 'الأربعاء', 'الخميس', 'الجمعة', 'السبت'] as const;
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
/** The month names ar-SA uses (and Saudi ministries print) for the Gregorian calendar. */
export const AR_MONTHS = ['يناير', 'فبراير', 'مارس', 'أبريل', 'مايو', 'يونيو', 'يوليو', 'أغسطس', 'سبتمبر', 'أكتوبر', 'نوفمبر', 'ديسمبر'] as const;
/** Plain-ASCII transliterations; Intl's own use ʻ (U+02BB), which some portals mangle. */
export const EN_HIJRI_MONTHS = [
  'Muharram',
  'Safar',
  "Rabi' I",
  "Rabi' II",
  'Jumada I',
  'Jumada II',
  'Rajab',
  "Sha'ban",
  'Ramadan',
  'Shawwal',
  "Dhu al-Qi'dah",
  'Dhu al-Hijjah',
] as const;
/** The Umm al-Qura month names as ar-SA writes them (checked against Intl in the tests). */
export const AR_HIJRI_MONTHS = [
  'محرم',
  'صفر',
  'ربيع الأول',
  'ربيع الآخر',
  'جمادى الأولى',
  'جمادى الآخرة',
  'رجب',
  'شعبان',
  'رمضان',
  'شوال',
  'ذو القعدة',
  'ذو الحجة',
] as const;

/** A moment as read on a wall clock in some zone and calendar; month 1–12, weekday 0 = Sunday. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** The two calendars every date is shown in. */
export type Calendar = 'gregory' | 'islamic-umalqura';

// Formatters are costly to build; this memo changes no result, so the functions stay pure.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(calendar: Calendar, timeZone: string): Intl.DateTimeFormat {
  const key = `${calendar}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(`en-US-u-ca-${calendar}-nu-latn`, {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** The wall-clock reading of `epochMs` in `timeZone` and `calendar`, from Intl. */
export function wallTime(epochMs: number, timeZone: string = DEFAULT_TIME_ZONE, calendar: Calendar = 'gregory'): WallTime {
  if (!Number.isFinite(epochMs)) throw new RangeError(`not a time: ${epochMs}`);
  const parts = formatter(calendar, timeZone).formatToParts(new Date(epochMs));
  const num = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const weekdayName = parts.find((p) => p.type === 'weekday')?.value ?? '';
  return {
    year: num('year'),
    month: num('month'),
    day: num('day'),
    hour: num('hour') % 24,
    minute: num('minute'),
    second: num('second'),
    weekday: EN_WEEKDAYS.indexOf(weekdayName as (typeof EN_WEEKDAYS)[number]),
  };
}

/** Offset of `timeZone` from UTC at `epochMs`, in minutes (180 for Riyadh). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string = DEFAULT_TIME_ZONE): number {
  const w = wallTime(epochMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes: number): string {
  return `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * ISO 8601 with the zone's offset, e.g. 2026-11-28T12:30:00+03:00: the contract requires an
 * offset, and local time with offset reads right to a person while staying exact for a machine.
 * Milliseconds appear only when not zero, so nothing is lost.
 */
export function toIso(epochMs: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  const w = wallTime(epochMs, timeZone);
  const ms = ((epochMs % 1000) + 1000) % 1000;
  const frac = ms === 0 ? '' : `.${pad(ms, 3)}`;
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${frac}${offsetText(zoneOffsetMinutes(epochMs, timeZone))}`;
}

function zoneLabel(epochMs: number, timeZone: string): Bilingual {
  if (timeZone === 'Asia/Riyadh') return { en: 'Riyadh time', ar: 'بتوقيت الرياض' };
  const offset = `UTC${offsetText(zoneOffsetMinutes(epochMs, timeZone))}`;
  return { en: offset, ar: `بتوقيت ${ltrIsolate(offset)}` };
}

/**
 * A moment for people: weekday, Gregorian date, time and zone, then the Umm al-Qura Hijri date,
 * e.g. "Sat 28 Nov 2026, 12:30 (Riyadh time) — 18 Jumada II 1448 AH" and
 * "السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ".
 */
export function formatWhen(epochMs: number, timeZone: string = DEFAULT_TIME_ZONE): Bilingual {
  const g = wallTime(epochMs, timeZone, 'gregory');
  const h = wallTime(epochMs, timeZone, 'islamic-umalqura');
  const zone = zoneLabel(epochMs, timeZone);
  const time = `${pad(g.hour)}:${pad(g.minute)}`;
  const en = `${EN_WEEKDAYS[g.weekday]} ${g.day} ${EN_MONTHS[g.month - 1]} ${g.year}, ${time} (${zone.en}) — ${h.day} ${EN_HIJRI_MONTHS[h.month - 1]} ${h.year} AH`;
  const ar =
    `${AR_WEEKDAYS[g.weekday]} ${toArabicDigits(g.day)} ${AR_MONTHS[g.month - 1]} ${toArabicDigits(g.year)}، ${toArabicDigits(time)} (${zone.ar})` +
    ` — ${toArabicDigits(h.day)} ${AR_HIJRI_MONTHS[h.month - 1]} ${toArabicDigits(h.year)} هـ`;
  return { en, ar };
}

const AR_UNITS = {
  day: { one: 'يوم واحد', two: 'يومان', few: 'أيام', many: 'يوماً', hundred: 'يوم' },
  hour: { one: 'ساعة واحدة', two: 'ساعتان', few: 'ساعات', many: 'ساعة', hundred: 'ساعة' },
  minute: { one: 'دقيقة واحدة', two: 'دقيقتان', few: 'دقائق', many: 'دقيقة', hundred: 'دقيقة' },
  second: { one: 'ثانية واحدة', two: 'ثانيتان', few: 'ثوانٍ', many: 'ثانية', hundred: 'ثانية' },
} as const;

/**
 * A span for people, to the minute (to the second under a minute): "2 h 15 min" and
 * "ساعتان و١٥ دقيقة". Arabic follows the number–noun agreement rules (dual, 3–10 plural, 11–99
 * accusative singular), in the nominative, as the value of a labelled field.
 */
export function formatDuration(ms: number): Bilingual {
  const seconds = Math.max(0, Math.round(Number.isFinite(ms) ? ms / 1000 : 0));
  if (seconds < 60) return { en: `${seconds} s`, ar: arabicCounted(seconds, AR_UNITS.second) };
  const minutes = Math.round(seconds / 60);
  const parts: Array<[number, string, keyof typeof AR_UNITS]> = [
    [Math.floor(minutes / 1440), 'd', 'day'],
    [Math.floor((minutes % 1440) / 60), 'h', 'hour'],
    [minutes % 60, 'min', 'minute'],
  ];
  const used = parts.filter(([n]) => n > 0);
  return {
    en: used.map(([n, unit]) => `${n} ${unit}`).join(' '),
    ar: used.map(([n, , unit]) => arabicCounted(n, AR_UNITS[unit])).join(' و'),
  };
}
