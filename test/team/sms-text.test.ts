/**
 * SMS segments are counted as networks count them (GSM-7 septets with the extension table; UCS-2
 * code units as soon as one character is outside GSM-7, which any Arabic is), and the team's SMS is
 * cut to the channel's segments without splitting a surrogate pair or the report reference.
 */
import { describe, expect, it } from 'vitest';
import type { TeamEvent } from '../../agent/team/notify.js';
import { countSms, fitSms } from '../../agent/team/sms-text.js';
import { smsText } from '../../agent/team/sms-wording.js';

const ar = (n: number) => 'ب'.repeat(n);
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('counting segments', () => {
  it.each([
    ['empty', '', 'gsm7', 0, 0],
    ['160 GSM characters: one SMS', 'a'.repeat(160), 'gsm7', 160, 1],
    ['161 GSM characters: two parts of at most 153', 'a'.repeat(161), 'gsm7', 161, 2],
    ['306 GSM characters: two parts', 'a'.repeat(306), 'gsm7', 306, 2],
    ['307 GSM characters: three parts', 'a'.repeat(307), 'gsm7', 307, 3],
    ['80 euro signs: 160 septets, one SMS', '€'.repeat(80), 'gsm7', 160, 1],
    ['81 euro signs: 162 septets; a part holds 76 (an escape pair is never split)', '€'.repeat(81), 'gsm7', 162, 2],
    ['GSM accents and symbols stay GSM-7 (€ [ ] take two septets)', 'Ça fait 5€ à Zürich, [ok]', 'gsm7', 28, 1],
    ['û is not GSM-7: the text is UCS-2', 'Ça coûte 5€', 'ucs2', 11, 1],
    ['70 Arabic letters: one SMS', ar(70), 'ucs2', 70, 1],
    ['71 Arabic letters: two parts of at most 67', ar(71), 'ucs2', 71, 2],
    ['134 Arabic letters: two parts', ar(134), 'ucs2', 134, 2],
    ['135 Arabic letters: three parts', ar(135), 'ucs2', 135, 3],
    ['one Arabic letter makes a Latin text UCS-2', `${'a'.repeat(69)}ب`, 'ucs2', 70, 1],
    ['…and 71 code units then take two parts', `${'a'.repeat(70)}ب`, 'ucs2', 71, 2],
    ['35 emoji: 70 code units, one SMS', '😀'.repeat(35), 'ucs2', 70, 1],
    ['36 emoji: 72 code units; a part holds 33 (a pair is never split)', '😀'.repeat(36), 'ucs2', 72, 2],
    ['Arabic-Indic digits and isolates are UCS-2 code units', '\u2066DGA-2026-000042\u2069 ٢٠٢٦', 'ucs2', 22, 1],
  ])('%s', (_name, text, encoding, units, segments) => {
    expect(countSms(text)).toEqual({ encoding, units, segments });
  });
});

describe('cutting to fit', () => {
  const tail = ' البلاغ \u2066DGA-2026-000042\u2069';

  it('leaves a text that fits as it is', () => {
    expect(fitSms({ head: 'رقيب: ', detail: ar(20), tail }, 1)).toBe(`رقيب: ${ar(20)}${tail}`);
  });

  it.each([1, 2])('cuts the detail to fit %i segment(s), keeping the reference whole at the end', (max) => {
    const text = fitSms({ head: 'رقيب: إرشادات من الهيئة:', detail: ` ${ar(300)}`, tail }, max);
    expect(countSms(text).segments).toBe(max);
    expect(text.endsWith(`…${tail}`)).toBe(true);
    // As long as it can be: one more letter would not fit.
    expect(countSms(text.replace(`…${tail}`, `ب…${tail}`)).segments).toBeGreaterThan(max);
  });

  it('cuts the head when the head alone is too long, and still keeps the reference', () => {
    const text = fitSms({ head: ar(200), tail }, 1);
    expect(countSms(text)).toMatchObject({ segments: 1 });
    expect(text.endsWith(`…${tail}`)).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    for (let n = 60; n < 80; n++) {
      const text = fitSms({ head: 'a'.repeat(n % 7), detail: '😀'.repeat(n) }, 1);
      expect(countSms(text).segments).toBe(1);
      expect(text).not.toMatch(loneSurrogate);
    }
  });

  it('closes an isolate the cut leaves open, so the reference stays outside it', () => {
    const text = fitSms({ head: `رقيب: عادت \u2068${'خدمة '.repeat(30)}appointments\u2069 إلى العمل.`, tail }, 1);
    expect(countSms(text).segments).toBe(1);
    expect(text).toMatch(/^رقيب: عادت \u2068[^\u2069]*\u2069… البلاغ \u2066DGA-2026-000042\u2069$/);
  });

  it('marks a cut GSM-7 text with "...", which keeps it GSM-7', () => {
    const text = fitSms({ head: 'raqib: ', detail: 'x'.repeat(400), tail: ' DGA-2026-000042' }, 1);
    expect(text).toMatch(/x\.\.\. DGA-2026-000042$/);
    expect(countSms(text)).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
  });
});

describe("the team's SMS", () => {
  const base = {
    at: Date.parse('2026-11-28T12:30:00+03:00'),
    subject: 'appointments-20261128T090000Z',
    serviceId: 'appointments',
    report: { key: 'appointments-20261128T090000Z', reference: 'DGA-2026-000042' },
  };
  const events: TeamEvent[] = [
    { ...base, event: 'incident_opened', facts: { impact: 'total' } },
    { ...base, event: 'report_filed', facts: { drafts: false } },
    { ...base, event: 'report_failed', facts: { why: 'refused', what: 'report', reason: 'HTTP 422: impact is required '.repeat(5) } },
    { ...base, event: 'guidance_received', facts: { text: { ar: `فعّلوا خطة التعافي ${ar(300)}`, en: 'Activate the recovery plan' }, closed: false } },
    { ...base, event: 'final_report_due', facts: { due: base.at + 86_400_000, timeZone: 'Asia/Riyadh' } },
    { ...base, event: 'not_acknowledged', facts: { minutes: 31 } },
    { ...base, event: 'authorization_lost', facts: { reason: 'refresh token revoked' } },
  ];

  it.each(events.map((e) => [e.event, e] as const))('%s: Arabic, the service by name, the reference whole, within 1 or 2 segments', (_name, ev) => {
    for (const max of [1, 2]) {
      const text = smsText(ev, 'خدمة المواعيد', max);
      expect(countSms(text)).toMatchObject({ encoding: 'ucs2' });
      expect(countSms(text).segments).toBeLessThanOrEqual(max);
      expect(text.startsWith('رقيب: ')).toBe(true);
      expect(text.endsWith(' البلاغ \u2066DGA-2026-000042\u2069')).toBe(true);
    }
  });

  it('names the service and says what happened', () => {
    expect(smsText(events[0]!, 'خدمة المواعيد', 2)).toBe('رقيب: تأكّد انقطاع خدمة المواعيد (انقطاع كلي). البلاغ \u2066DGA-2026-000042\u2069');
    expect(smsText({ ...events[1]!, report: { key: 'k' } }, undefined, 2)).toBe('رقيب: قُدّم البلاغ عن انقطاع \u2066appointments\u2069 إلى الهيئة.');
  });

  it('cuts long guidance to fit and keeps its start', () => {
    const text = smsText(events[3]!, 'خدمة المواعيد', 2);
    expect(text).toContain('إرشادات من الهيئة بشأن خدمة المواعيد: فعّلوا خطة التعافي');
    expect(text).toContain('…');
    expect(countSms(text).segments).toBe(2);
  });
});
