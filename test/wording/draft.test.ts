import { describe, expect, it } from 'vitest';
import { buildFinalReport, buildOutageReport, buildRestoredUpdate, buildMaintenanceReport } from '../../agent/wording/build.js';
import { renderDraft } from '../../agent/wording/draft.js';
import { HOUR, T0, closedIncident, context, openIncident, timeoutHome } from './fixtures.js';

/** A left-to-right isolate (LRI … PDI), as Latin ids and codes appear inside Arabic text. */
const ltr = (s: string): string => `\u2066${s}\u2069`;

describe('renderDraft', () => {
  const report = buildOutageReport(openIncident(), context());
  const draft = renderDraft('report', report, { incidentId: 'appointments-20261128T093000Z' });

  it('lays out the report field by field, Arabic first, then English, each with its evidence', () => {
    const ar = draft.indexOf('## العربية');
    const arEvidence = draft.indexOf('### الأدلة');
    const en = draft.indexOf('## English');
    const enEvidence = draft.indexOf('### Evidence');
    expect(ar).toBeGreaterThan(0);
    expect(arEvidence).toBeGreaterThan(ar);
    expect(en).toBeGreaterThan(arEvidence);
    expect(enEvidence).toBeGreaterThan(en);
    expect(
      draft.startsWith(
        `# مسودة بلاغ إلى هيئة الحكومة الرقمية / Draft report to the Digital Government Authority\n\n- رقم الحادثة / Incident: ${ltr('appointments-20261128T093000Z')}\n`,
      ),
    ).toBe(true);
    const arabic = draft.slice(ar, en);
    expect(arabic).toContain(
      [
        '- نوع البلاغ: الإبلاغ عن انقطاع خدمة رقمية',
        '- سبب البلاغ: عطل طارئ',
        `- الجهة: وزارة الصحة (${ltr('MOH')})`,
        `- الخدمة: المواعيد (${ltr('appointments')})`,
        '- القناة: البوابة الإلكترونية',
        '- نطاق الأثر: انقطاع كلي',
        '- العدد التقديري للمستفيدين المتأثرين: ٤٬٥٠٠',
        '- وقت البدء: السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
        '- وقت الرصد: السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣١ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
        '- مقدّم البلاغ: سارة العتيبي — مدير فريق إدارة الأزمات',
        '- العنوان: انقطاع الخدمة: المواعيد',
      ].join('\n'),
    );
    expect(arabic).toContain(`الوصف:\n\n\`\`\`text\n${report.description.ar}\n\`\`\``);
    const english = draft.slice(en);
    expect(english).toContain('- Report type: Report the outage of a digital service\n- Cause: Unplanned incident\n');
    expect(english).toContain(`Description:\n\n\`\`\`text\n${report.description.en}\n\`\`\``);
    expect(english).not.toMatch(/[\u0600-\u06FF\u2066-\u2069]/);
  });

  it('tabulates the evidence compactly in the English part', () => {
    expect(draft).toContain(
      [
        '| Check | Status | Code | HTTP | Phases (ms) | Observed | Agent | Detail |',
        '|---|---|---|---|---|---|---|---|',
        '| api | down | HTTP_STATUS | 503 | dns 2 · connect 10 · tls 25 · ttfb 40 · transfer 1 · total 78 | 2026-11-28T12:31:00.500+03:00 | riyadh-dc1 | expected 2xx, got 503 |',
        '| home | down | TIMEOUT | – | dns 2 · connect 11 · tls 25 · total 10000 | 2026-11-28T12:31:00+03:00 | riyadh-dc1 | no response within 10s |',
      ].join('\n'),
    );
    const odd = buildOutageReport(openIncident({ evidence: [{ ...timeoutHome, detail: 'a | b\nc' }] }), context());
    expect(renderDraft('report', odd, { incidentId: 'i' })).toContain('| a \\| b c |');
  });

  it('omits contact details: the person filing is signed in', () => {
    expect(draft).not.toContain('sara@moh.example.sa');
  });

  it('renders an update with the authority reference', () => {
    const u = renderDraft('update', buildRestoredUpdate(closedIncident(), context()), { incidentId: 'i-1', reference: 'DGA-2026-000123' });
    expect(u).toContain(`- المرجع لدى الهيئة / Authority reference: ${ltr('DGA-2026-000123')}`);
    expect(u).toContain('- الحالة: عادت الخدمة');
    expect(u).toContain('- Status: Restored');
    expect(u).toContain('- Ended: Sat 28 Nov 2026, 14:45 (Riyadh time) — 18 Jumada II 1448 AH');
    expect(u).toContain('Note:\n\n```text\nThe Appointments service has been restored.');
  });

  it('renders a final report with its timeline and no evidence section', () => {
    const f = renderDraft('final', buildFinalReport(closedIncident(), context(), { taken: 'Restarted the cluster', rootCause: 'Disk full' }), {
      incidentId: 'i-1',
    });
    expect(f.startsWith('# مسودة التقرير النهائي إلى هيئة الحكومة الرقمية / Draft final report to the Digital Government Authority')).toBe(true);
    expect(f).toContain('- المدة: ساعتان و١٥ دقيقة');
    expect(f).toContain('- الإجراءات ستُقدَّم لاحقاً: لا');
    expect(f).toContain(
      `التسلسل الزمني:\n\n\`\`\`text\n[السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ] بدأ العطل: انقطاع كلي؛ الفحوص التي أخفقت: ${ltr('home')}، ${ltr('api')}\n`,
    );
    expect(f).toContain('Root cause:\n\n```text\nDisk full\n```');
    expect(f).toContain('Actions taken:\n\n```text\nRestarted the cluster\n```');
    expect(f).not.toContain('Evidence');
  });

  it('shows a maintenance notice with its expected end and no evidence', () => {
    const w = { serviceId: 'appointments', windowId: 'w', start: T0 + 24 * HOUR, end: T0 + 30 * HOUR };
    const m = renderDraft('report', buildMaintenanceReport(w, context()), { incidentId: 'w', timeZone: 'Asia/Riyadh' });
    expect(m).toContain('- نوع البلاغ: الإبلاغ عن تحديث أو صيانة مجدولة ينتج عنها انقطاع خدمة');
    expect(m).toContain('- Expected end: Sun 29 Nov 2026, 18:30 (Riyadh time) — 19 Jumada II 1448 AH');
    expect(m).toContain('### الأدلة\n\nلا توجد أدلة مرفقة\n');
    expect(m.trimEnd().endsWith('### Evidence\n\nNo evidence attached')).toBe(true);
  });
});
