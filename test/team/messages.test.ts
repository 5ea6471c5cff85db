/**
 * What the crisis team is told says the same in Arabic as in English: every fact of the English
 * (a reason, the resolution, a reference, a count of minutes) is in the Arabic too, and Latin ids,
 * references and codes in Arabic lines are isolated so they keep their place right to left.
 */
import { describe, expect, it } from 'vitest';
import { teamMessage, type Named, type TeamFacts } from '../../agent/team/messages.js';

const named: Named = { serviceId: 'appointments', report: { key: 'appointments-20261128T090000Z', reference: 'DGA-2026-000042' } };
const AT = Date.parse('2026-11-29T09:00:00Z');

const EVENTS: TeamFacts[] = [
  { event: 'incident_opened', facts: { impact: 'partial' } },
  { event: 'incident_closed', facts: { resolution: 'recovered' } },
  { event: 'incident_closed', facts: { resolution: 'unmonitored' } },
  { event: 'report_filed', facts: { drafts: false } },
  { event: 'report_filed', facts: { drafts: true } },
  { event: 'report_failed', facts: { why: 'refused', what: 'update 2 (periodic)', reason: 'HTTP 422: impact is required' } },
  { event: 'report_failed', facts: { why: 'unfiled', minutes: 20, lastError: 'ECONNREFUSED 10.0.0.5:443' } },
  { event: 'report_failed', facts: { why: 'unmonitored' } },
  { event: 'report_failed', facts: { why: 'withdrawn' } },
  { event: 'report_failed', facts: { why: 'no_final', reason: 'the incident is gone' } },
  { event: 'final_report_due', facts: { due: AT, timeZone: 'Asia/Riyadh' } },
  { event: 'report_acknowledged', facts: { minutes: 7 } },
  { event: 'returned_for_info', facts: {} },
  { event: 'guidance_received', facts: { text: { ar: 'فعّلوا خطة التعافي', en: 'Activate the recovery plan' }, closed: true } },
  { event: 'not_acknowledged', facts: { minutes: 31 } },
  { event: 'authorization_lost', facts: { reason: 'refresh token revoked (invalid_grant)' } },
];

/** Arabic with every isolate taken out: what a right-to-left reader lays out as Arabic. */
const outsideIsolates = (ar: string) => ar.replace(/[\u2066\u2067\u2068][^\u2066-\u2069]*\u2069/g, '');
/** The Latin runs an English message holds that name facts (ids, references, reasons, codes). */
const isolated = (ar: string) => [...ar.matchAll(/[\u2066\u2067\u2068]([^\u2066-\u2069]*)\u2069/g)].map((m) => m[1]!);

describe('team messages', () => {
  it.each(EVENTS.map((e) => [`${e.event} ${JSON.stringify(e.facts)}`, e] as const))(
    '%s: Latin only inside isolates in Arabic, none in English',
    (_name, ev) => {
      const m = teamMessage({ ...ev, ...named });
      expect(outsideIsolates(m.ar)).not.toMatch(/[A-Za-z0-9]/);
      expect(m.en).not.toMatch(/[\u2066-\u2069]/);
    },
  );

  it.each([
    ['the reason the sign-in was lost', EVENTS.at(-1)!, 'refresh token revoked (invalid_grant)'],
    ['why the authority refused', EVENTS[5]!, 'HTTP 422: impact is required'],
    ['what still stops the filing', EVENTS[6]!, 'ECONNREFUSED 10.0.0.5:443'],
    ['the reference', EVENTS[3]!, 'DGA-2026-000042'],
    ['the service', EVENTS[0]!, 'appointments'],
  ] as const)('keeps %s in both languages', (_what, ev, fact) => {
    const m = teamMessage({ ...ev, ...named });
    expect(m.en).toContain(fact);
    expect(isolated(m.ar).join(' ')).toContain(fact);
  });

  it('says in Arabic whether the service came back or raqib stopped watching it, as the English does', () => {
    const back = teamMessage({ ...EVENTS[1]!, ...named });
    const stopped = teamMessage({ ...EVENTS[2]!, ...named });
    expect(back.en).toMatch(/back/);
    expect(stopped.en).toMatch(/stopped monitoring/);
    expect(back.ar).toContain('عادت الخدمة');
    expect(stopped.ar).toContain('توقّف رقيب عن مراقبة');
    expect(stopped.ar).not.toContain('عادت الخدمة');
  });

  it('gives the minutes in Arabic digits and words in Arabic, as many as in English', () => {
    const m = teamMessage({ ...EVENTS.at(-2)!, ...named });
    expect(m.en).toContain('31 min');
    expect(m.ar).toContain('٣١ دقيقة');
  });
});
