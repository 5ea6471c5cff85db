import { describe, expect, it } from 'vitest';
import { finalReportBody, reportBody, updateBody } from '../../agent/authority/contract.js';
import { buildMaintenanceFinal, buildMaintenanceReport, buildMaintenanceUpdate, type MaintenanceWindow } from '../../agent/wording/build.js';
import { HOUR, T0, context } from './fixtures.js';

/** Sun 29 Nov 2026 22:00 → Mon 30 Nov 04:00 Riyadh, filed a day before. */
const START = Date.parse('2026-11-29T19:00:00Z');
const window: MaintenanceWindow = {
  serviceId: 'appointments',
  windowId: 'db-upgrade',
  start: START,
  end: START + 6 * HOUR,
  description: { ar: 'ترقية قاعدة البيانات', en: 'Database upgrade' },
};

describe('buildMaintenanceReport', () => {
  it('words the notice exactly', () => {
    const body = reportBody.parse(buildMaintenanceReport(window, context({ now: T0 })));
    expect(body).toMatchObject({
      type: 'scheduled_maintenance',
      cause: 'planned',
      impact: 'total',
      beneficiaries_affected: 12_000,
      started_at: '2026-11-29T22:00:00+03:00',
      detected_at: '2026-11-28T12:30:00+03:00',
      expected_end_at: '2026-11-30T04:00:00+03:00',
      evidence: [],
      title: { ar: 'صيانة مجدولة للخدمة: المواعيد', en: 'Scheduled maintenance of the Appointments service' },
    });
    expect(body.description).toEqual({
      ar: [
        'صيانة مجدولة للخدمة (المواعيد)، تكون الخدمة خلالها غير متاحة.',
        'الوصف: ترقية قاعدة البيانات',
        'القناة: البوابة الإلكترونية',
        'نطاق الأثر: انقطاع كلي (الخدمة غير متاحة)',
        'موعد البدء: الأحد ٢٩ نوفمبر ٢٠٢٦، ٢٢:٠٠ (بتوقيت الرياض) — ١٩ جمادى الآخرة ١٤٤٨ هـ',
        'موعد الانتهاء المتوقع: الاثنين ٣٠ نوفمبر ٢٠٢٦، ٠٤:٠٠ (بتوقيت الرياض) — ٢٠ جمادى الآخرة ١٤٤٨ هـ',
        'المدة المتوقعة: ٦ ساعات',
        'العدد التقديري للمستفيدين المتأثرين: ١٢٬٠٠٠ (متوسط عدد المستفيدين يومياً: ٤٨٬٠٠٠)',
        'أُبلغ عنها آلياً بواسطة رقيب من الوكيل \u2066riyadh-dc1\u2069 نيابةً عن فريق إدارة الأزمات.',
      ].join('\n'),
      en: [
        'Scheduled maintenance of the Appointments service, during which the service will be unavailable.',
        'Description: Database upgrade',
        'Channel: web portal',
        'Impact: total outage (the service is unavailable)',
        'Starts: Sun 29 Nov 2026, 22:00 (Riyadh time) — 19 Jumada II 1448 AH',
        'Expected end: Mon 30 Nov 2026, 04:00 (Riyadh time) — 20 Jumada II 1448 AH',
        'Expected duration: 6 h',
        'Estimated beneficiaries affected: 12,000 (typical beneficiaries a day: 48,000)',
        'Reported automatically by raqib from agent riyadh-dc1 on behalf of the crisis management team.',
      ].join('\n'),
    });
  });

  it('takes a lesser impact when told, and has no description line without one', () => {
    const { description: _d, ...plain } = window;
    const body = reportBody.parse(buildMaintenanceReport({ ...plain, impact: 'degraded' }, context({ agentId: undefined })));
    expect(body.impact).toBe('degraded');
    expect(body.beneficiaries_affected).toBe(3_000);
    expect(body.description.ar.split('\n')[0]).toBe('صيانة مجدولة للخدمة (المواعيد)، يتأثر خلالها أداء الخدمة.');
    expect(body.description.en).not.toContain('Description:');
    expect(body.description.en).toContain('Reported automatically by raqib on behalf of the crisis management team.');
  });

  it('refuses a window that ends before it starts, or of another service', () => {
    expect(() => buildMaintenanceReport({ ...window, end: START - 1 }, context())).toThrow(RangeError);
    expect(() => buildMaintenanceReport({ ...window, serviceId: 'payments' }, context())).toThrow(/not payments/);
  });
});

describe('buildMaintenanceUpdate', () => {
  it.each([
    [
      'in_progress',
      START,
      { expected_end_at: '2026-11-30T04:00:00+03:00', beneficiaries_affected: 12_000 },
      'The scheduled maintenance of the Appointments service has started.',
      'بدأت الصيانة المجدولة للخدمة (المواعيد).',
    ],
    [
      'completed',
      START + 3 * HOUR,
      { ended_at: '2026-11-30T01:00:00+03:00', beneficiaries_affected: 6_000 },
      'The scheduled maintenance of the Appointments service is complete and the service is available again.',
      'اكتملت الصيانة المجدولة للخدمة (المواعيد) وعادت الخدمة متاحة.',
    ],
    [
      'extended',
      START + 5 * HOUR,
      { expected_end_at: '2026-11-30T04:00:00+03:00', beneficiaries_affected: 12_000 },
      'The scheduled maintenance of the Appointments service has been extended.',
      'مُدِّدت الصيانة المجدولة للخدمة (المواعيد).',
    ],
  ] as const)('%s', (status, at, fields, en, ar) => {
    const u = updateBody.parse(buildMaintenanceUpdate(window, context(), status, at));
    expect(u).toMatchObject({ status, impact: 'total', ...fields });
    expect(u.note.en.split('\n')[0]).toBe(en);
    expect(u.note.ar.split('\n')[0]).toBe(ar);
  });

  it('gives the duration of a completed window', () => {
    const u = buildMaintenanceUpdate(window, context(), 'completed', START + 3 * HOUR);
    expect(u.note.ar).toContain('مدة الصيانة: ٣ ساعات');
    expect(u.note.en).toContain('Duration of the maintenance: 3 h');
  });
});

describe('buildMaintenanceFinal', () => {
  it('makes the window the timeline and the maintenance the action', () => {
    const f = finalReportBody.parse(buildMaintenanceFinal(window, context()));
    expect(f).toMatchObject({ ended_at: '2026-11-30T04:00:00+03:00', duration_seconds: 6 * 3_600, beneficiaries_affected: 12_000, actions_pending: false });
    expect(f.timeline.map((t) => t.at)).toEqual(['2026-11-29T22:00:00+03:00', '2026-11-30T04:00:00+03:00']);
    expect(f.actions_taken).toEqual(window.description);
  });
});
