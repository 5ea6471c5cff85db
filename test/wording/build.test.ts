import { describe, expect, it } from 'vitest';
import { finalReportBody, reportBody, updateBody } from '../../agent/authority/contract.js';
import type { Evidence } from '../../agent/incidents/types.js';
import { MAX_TIMELINE, buildFinalReport, buildOngoingUpdate, buildOutageReport, buildRestoredUpdate, reportTypeFor } from '../../agent/wording/build.js';
import { MAX_EVIDENCE } from '../../agent/wording/evidence.js';
import { HOUR, MIN, T0, closedIncident, context, openIncident, serviceConfig, status503, timeoutHome } from './fixtures.js';

/** A left-to-right isolate (LRI … PDI), as Latin ids and codes appear inside Arabic text. */
const ltr = (s: string): string => `\u2066${s}\u2069`;

const WHEN_START = {
  ar: 'السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣٠ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
  en: 'Sat 28 Nov 2026, 12:30 (Riyadh time) — 18 Jumada II 1448 AH',
};
const WHEN_DETECT = {
  ar: 'السبت ٢٨ نوفمبر ٢٠٢٦، ١٢:٣١ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
  en: 'Sat 28 Nov 2026, 12:31 (Riyadh time) — 18 Jumada II 1448 AH',
};
const WHEN_END = {
  ar: 'السبت ٢٨ نوفمبر ٢٠٢٦، ١٤:٤٥ (بتوقيت الرياض) — ١٨ جمادى الآخرة ١٤٤٨ هـ',
  en: 'Sat 28 Nov 2026, 14:45 (Riyadh time) — 18 Jumada II 1448 AH',
};

describe('reportTypeFor', () => {
  it.each([
    ['self', { type: 'own_service_outage' }],
    ['NIC', { type: 'consumed_service_outage', provider: { code: 'NIC' } }],
    ['MOI-ABSHER', { type: 'consumed_service_outage', provider: { code: 'MOI-ABSHER' } }],
  ])('provider %s', (provider, kind) => {
    expect(reportTypeFor({ provider })).toEqual(kind);
    expect(reportTypeFor(serviceConfig({ provider }))).toEqual(kind);
  });
});

describe('buildOutageReport', () => {
  it('words the fixed incident exactly', () => {
    const body = reportBody.parse(buildOutageReport(openIncident(), context()));
    expect(body).toMatchObject({
      type: 'own_service_outage',
      cause: 'incident',
      entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
      service: { id: 'appointments', name: { ar: 'المواعيد', en: 'Appointments' }, channel: 'web' },
      impact: 'total',
      beneficiaries_affected: 4_500, // 48,000/day × 2.25 h / 24
      started_at: '2026-11-28T12:30:00+03:00',
      detected_at: '2026-11-28T12:31:30+03:00',
      title: { ar: 'انقطاع الخدمة: المواعيد', en: 'Outage of the Appointments service' },
      submitted_by: { name: { ar: 'سارة العتيبي', en: 'Sara Alotaibi' }, role: 'manager', email: 'sara@moh.example.sa', crisis_team_id: 'team-1' },
    });
    expect(body.provider).toBeUndefined();
    expect(body.ended_at).toBeUndefined();
    expect(body.description.ar).toBe(
      [
        'رُصد انقطاع كلي في الخدمة (المواعيد).',
        'القناة: البوابة الإلكترونية',
        'نطاق الأثر: انقطاع كلي (الخدمة غير متاحة)',
        `وقت بدء العطل: ${WHEN_START.ar}`,
        `وقت الرصد: ${WHEN_DETECT.ar}`,
        'الفحوص التي أخفقت:',
        `- ${ltr('home')}: لم تستجب الخدمة خلال المهلة المحددة`,
        `- ${ltr('api')}: أجابت الخدمة برمز الحالة ${ltr('HTTP 503')} (الخدمة غير متاحة)`,
        'العدد التقديري للمستفيدين المتأثرين حتى الآن: ٤٬٥٠٠ (متوسط عدد المستفيدين يومياً: ٤٨٬٠٠٠)',
        `أُبلغ عنه آلياً بواسطة رقيب من الوكيل ${ltr('riyadh-dc1')} نيابةً عن فريق إدارة الأزمات.`,
      ].join('\n'),
    );
    expect(body.description.en).toBe(
      [
        'A total outage of the Appointments service was detected.',
        'Channel: web portal',
        'Impact: total outage (the service is unavailable)',
        `Started: ${WHEN_START.en}`,
        `Detected: ${WHEN_DETECT.en}`,
        'Failing checks:',
        '- home: no answer within the time limit',
        '- api: answered with HTTP status 503 (Service Unavailable)',
        'Estimated beneficiaries affected so far: 4,500 (typical beneficiaries a day: 48,000)',
        'Reported automatically by raqib from agent riyadh-dc1 on behalf of the crisis management team.',
      ].join('\n'),
    );
  });

  it('maps evidence to the contract: ISO with offset, service id, HTTP status, phases as measured', () => {
    const body = buildOutageReport(openIncident(), context());
    expect(body.evidence).toEqual([
      {
        service_id: 'appointments',
        check: 'api',
        type: 'http',
        status: 'down',
        code: 'HTTP_STATUS',
        detail: 'expected 2xx, got 503',
        phases: { dns: 2, connect: 10, tls: 25, ttfb: 40, transfer: 1, total: 78 },
        observed_at: '2026-11-28T12:31:00.500+03:00',
        http_status: 503,
        agent_id: 'riyadh-dc1',
      },
      {
        service_id: 'appointments',
        check: 'home',
        type: 'http',
        status: 'down',
        code: 'TIMEOUT',
        detail: 'no response within 10s',
        phases: { dns: 2.4, connect: 11, tls: 24.6, total: 10_000 },
        observed_at: '2026-11-28T12:31:00+03:00',
        agent_id: 'riyadh-dc1',
      },
    ]);
  });

  it('words a consumed service with its provider, and a degraded one', () => {
    const ctx = context({ providerName: { ar: 'مركز المعلومات الوطني', en: 'National Information Center' } }, { provider: 'NIC', channel: 'gsb' });
    const body = reportBody.parse(buildOutageReport(openIncident({ impact: 'degraded' }), ctx));
    expect(body.type).toBe('consumed_service_outage');
    expect(body.provider).toEqual({ code: 'NIC' });
    expect(body.title).toEqual({
      ar: `تدهور أداء الخدمة المقدمة من جهة مركز المعلومات الوطني (${ltr('NIC')}): المواعيد`,
      en: 'Degraded performance of the Appointments service provided by National Information Center (NIC)',
    });
    expect(body.description.ar.split('\n').slice(0, 2)).toEqual([
      `رُصد تدهور في أداء الخدمة (المواعيد) المقدمة من جهة مركز المعلومات الوطني (${ltr('NIC')})، وهي خدمة تعتمد عليها الجهة.`,
      `القناة: قناة التكامل الحكومية (${ltr('GSB')})`,
    ]);
    const bare = buildOutageReport(openIncident(), context({}, { provider: 'NIC' }));
    expect(bare.title.en).toBe('Outage of the Appointments service provided by NIC');
  });

  it('says so when no daily figure is configured, and names the evidence agents without an agent id', () => {
    const remote: Evidence = { ...timeoutHome, agentId: 'jeddah-dc2' };
    const body = reportBody.parse(
      buildOutageReport(openIncident({ evidence: [timeoutHome, remote] }), context({ agentId: undefined }, { beneficiaries_per_day: 0 })),
    );
    expect(body.beneficiaries_affected).toBe(0);
    expect(body.description.en).toContain("Estimated beneficiaries affected so far: not available (the service's daily beneficiaries are not configured)");
    expect(body.description.en).toContain('from agents jeddah-dc2, riyadh-dc1 on behalf');
    expect(body.description.ar).toContain(`من الوكلاء ${ltr('jeddah-dc2')}، ${ltr('riyadh-dc1')} نيابةً`);
  });

  it('keeps 50 evidence items, failures first, and trims what the contract would refuse', () => {
    const ups: Evidence[] = Array.from({ length: 40 }, (_, i) => ({ ...status503, check: `up-${i}`, status: 'up', code: 'OK', observedAt: T0 + i }));
    const downs: Evidence[] = Array.from({ length: 20 }, (_, i) => ({
      ...timeoutHome,
      check: `down-${i}`,
      observedAt: T0 + i,
      detail: 'x'.repeat(5_000),
      phases: { total: 10, dns: -3, tls: undefined, connect: Number.NaN },
    }));
    const body = reportBody.parse(buildOutageReport(openIncident({ evidence: [...ups, ...downs] }), context()));
    expect(body.evidence).toHaveLength(MAX_EVIDENCE);
    expect(body.evidence.slice(0, 20).every((e) => e.status === 'down')).toBe(true);
    expect(body.evidence[0]!.check).toBe('down-19');
    expect(body.evidence[0]!.detail).toHaveLength(2_000);
    expect(body.evidence[0]!.phases).toEqual({ total: 10, dns: 0 });
    expect(body.description.en.match(/^- /gm)).toHaveLength(20);
  });

  it('lists the failing checks without reasons when the evidence has no failure', () => {
    const body = buildOutageReport(openIncident({ evidence: [] }), context());
    expect(body.description.en).toContain('- home: failing (no details recorded)\n- api: failing (no details recorded)');
    expect(body.evidence).toEqual([]);
  });

  it('refuses an incident of another service', () => {
    expect(() => buildOutageReport(openIncident({ serviceId: 'payments' }), context())).toThrow(/not payments/);
  });
});

describe('buildOngoingUpdate', () => {
  it('says the outage is still ongoing, with the time so far', () => {
    const u = updateBody.parse(buildOngoingUpdate(openIncident(), context(), 'periodic'));
    expect(u).toMatchObject({ status: 'ongoing', at: '2026-11-28T14:45:00+03:00', impact: 'total', beneficiaries_affected: 4_500 });
    expect(u.evidence).toHaveLength(2);
    expect(u.note.ar.split('\n').slice(0, 4)).toEqual([
      'لا يزال العطل في الخدمة (المواعيد) قائماً.',
      'نطاق الأثر: انقطاع كلي (الخدمة غير متاحة)',
      `وقت بدء العطل: ${WHEN_START.ar}`,
      'المدة حتى الآن: ساعتان و١٥ دقيقة',
    ]);
    expect(u.note.en.split('\n').slice(0, 4)).toEqual([
      'The incident affecting the Appointments service is still ongoing.',
      'Impact: total outage (the service is unavailable)',
      `Started: ${WHEN_START.en}`,
      'Duration so far: 2 h 15 min',
    ]);
  });

  it('says what the impact changed from and to', () => {
    const changed = openIncident({
      impact: 'partial',
      timeline: closedIncident().timeline.slice(0, 2),
      evidence: [{ ...timeoutHome, status: 'up', code: 'OK' }, status503],
    });
    const u = updateBody.parse(buildOngoingUpdate(changed, context(), 'impact_changed'));
    expect(u.impact).toBe('partial');
    expect(u.beneficiaries_affected).toBe(2_000 + 1_250); // 1 h total, then 1 h 15 min partial
    expect(u.note.ar.split('\n')[0]).toBe('تغيّر نطاق الأثر على الخدمة (المواعيد) من انقطاع كلي إلى انقطاع جزئي، ولا يزال العطل قائماً.');
    expect(u.note.en.split('\n')[0]).toBe('The impact on the Appointments service changed from total outage to partial outage; the incident is still ongoing.');
    expect(u.note.en).toContain('Failing checks:\n- api: answered with HTTP status 503 (Service Unavailable)\nEstimated');
    const unknownBefore = buildOngoingUpdate(openIncident({ impact: 'partial' }), context(), 'impact_changed');
    expect(unknownBefore.note.en.split('\n')[0]).toBe('The impact on the Appointments service changed; the incident is still ongoing.');
  });
});

describe('buildRestoredUpdate', () => {
  it('words the restoration exactly', () => {
    const u = updateBody.parse(buildRestoredUpdate(closedIncident(), context({ now: T0 + 3 * HOUR })));
    expect(u).toMatchObject({ status: 'restored', at: '2026-11-28T15:30:00+03:00', ended_at: '2026-11-28T14:45:00+03:00', beneficiaries_affected: 3_250 });
    expect(u.note).toEqual({
      ar: [
        'عادت الخدمة (المواعيد) إلى العمل.',
        `وقت عودة الخدمة: ${WHEN_END.ar}`,
        'مدة العطل: ساعتان و١٥ دقيقة',
        'العدد التقديري الإجمالي للمستفيدين المتأثرين: ٣٬٢٥٠ (متوسط عدد المستفيدين يومياً: ٤٨٬٠٠٠)',
        'سيُرفع تقرير نهائي عن العطل والإجراءات المتخذة لاحقاً.',
      ].join('\n'),
      en: [
        'The Appointments service has been restored.',
        `Restored at: ${WHEN_END.en}`,
        'Duration of the incident: 2 h 15 min',
        'Estimated beneficiaries affected in total: 3,250 (typical beneficiaries a day: 48,000)',
        'A final report on the incident and the actions taken will follow.',
      ].join('\n'),
    });
  });

  it('does not claim a recovery for a service that left the config', () => {
    const gone = closedIncident({ resolution: 'unmonitored' });
    const u = updateBody.parse(buildRestoredUpdate(gone, context()));
    expect(u.note.en).toMatch(/^raqib stopped monitoring the Appointments service/);
    expect(u.note.ar).toMatch(/^توقّف رقيب عن مراقبة الخدمة \(المواعيد\)/);
    expect(u.note.en).toContain('Monitoring stopped at: ');
  });

  it('refuses an incident that has not ended', () => {
    expect(() => buildRestoredUpdate(openIncident(), context())).toThrow(/has not ended/);
  });
});

describe('buildFinalReport', () => {
  const moments = { filedAt: T0 + 2 * MIN, acknowledgedAt: T0 + 7 * MIN };

  it('files the timeline with "actions to follow" when the team has not written them', () => {
    const f = finalReportBody.parse(buildFinalReport(closedIncident(), context(), undefined, moments));
    expect(f).toMatchObject({ ended_at: '2026-11-28T14:45:00+03:00', duration_seconds: 8_100, beneficiaries_affected: 3_250, actions_pending: true });
    expect(f.actions_taken).toEqual({
      ar: 'سيقدّم فريق إدارة الأزمات الإجراءات المتخذة لاحقاً.',
      en: 'The crisis management team will submit the actions taken.',
    });
    expect(f.root_cause).toBeUndefined();
    expect(f.timeline.map((t) => [t.at, t.event.en])).toEqual([
      ['2026-11-28T12:30:00+03:00', 'The incident began: total outage; failing checks: home, api'],
      ['2026-11-28T12:31:30+03:00', 'raqib detected and confirmed the incident'],
      ['2026-11-28T12:32:00+03:00', 'Report filed with the Digital Government Authority'],
      ['2026-11-28T12:37:00+03:00', 'The Digital Government Authority acknowledged the report'],
      ['2026-11-28T13:30:00+03:00', 'The impact changed: partial outage; failing checks: api'],
      ['2026-11-28T14:45:00+03:00', 'The service was restored'],
    ]);
    expect(f.timeline.map((t) => t.event.ar)).toEqual([
      `بدأ العطل: انقطاع كلي؛ الفحوص التي أخفقت: ${ltr('home')}، ${ltr('api')}`,
      'رصد رقيب العطل وتأكّد منه',
      'رُفع البلاغ إلى هيئة الحكومة الرقمية',
      'أكّدت هيئة الحكومة الرقمية استلام البلاغ',
      `تغيّر نطاق الأثر: انقطاع جزئي؛ الفحوص التي أخفقت: ${ltr('api')}`,
      'عادت الخدمة إلى العمل',
    ]);
  });

  it.each([
    [
      'a plain English string, marked in Arabic as given in English only',
      { taken: ' Restarted the booking cluster. ', rootCause: 'Disk full' },
      { ar: '(قُدّم باللغة الإنجليزية فقط) \u2068Restarted the booking cluster.\u2069', en: 'Restarted the booking cluster.' },
      { ar: '(قُدّم باللغة الإنجليزية فقط) \u2068Disk full\u2069', en: 'Disk full' },
    ],
    [
      'bilingual text as given',
      { taken: { ar: 'أُعيد تشغيل الخوادم.', en: 'Servers restarted.' }, rootCause: { ar: 'امتلاء القرص', en: 'Disk full' } },
      { ar: 'أُعيد تشغيل الخوادم.', en: 'Servers restarted.' },
      { ar: 'امتلاء القرص', en: 'Disk full' },
    ],
    [
      'one language marked as such in the other',
      { taken: { ar: '', en: 'Servers restarted.' } },
      { ar: '(قُدّم باللغة الإنجليزية فقط) \u2068Servers restarted.\u2069', en: 'Servers restarted.' },
      undefined,
    ],
  ] as const)('takes actions: %s', (_name, actions, taken, rootCause) => {
    const f = finalReportBody.parse(buildFinalReport(closedIncident(), context(), actions));
    expect(f.actions_taken).toEqual(taken);
    expect(f.root_cause).toEqual(rootCause);
    expect(f.actions_pending).toBe(false);
    expect(f.timeline).toHaveLength(4); // began, detected, changed, restored: filing moments not given
  });

  it('treats blank actions as none', () => {
    expect(buildFinalReport(closedIncident(), context(), { taken: '   ' }).actions_pending).toBe(true);
  });

  it('tells "failing checks changed" from an impact change, and a monitoring stop from a recovery', () => {
    const incident = closedIncident({
      resolution: 'unmonitored',
      timeline: [
        { at: T0, state: 'DOWN', impact: 'total', checks: ['home'] },
        { at: T0 + HOUR, state: 'DOWN', impact: 'total', checks: ['home', 'api'] },
        { at: T0 + 2 * HOUR, state: 'DEGRADED', checks: ['api'] },
        { at: T0 + 2 * HOUR + 15 * MIN, state: 'UNKNOWN', checks: [] },
      ],
    });
    const f = finalReportBody.parse(buildFinalReport(incident, context()));
    expect(f.timeline.map((t) => t.event.en)).toEqual([
      'The incident began: total outage; failing checks: home',
      'raqib detected and confirmed the incident',
      'The failing checks changed (total outage): home, api',
      'The impact changed: degraded performance; failing checks: api',
      'raqib stopped monitoring the service (the service or its failing checks were removed from its configuration)',
    ]);
  });

  it('keeps a flapping timeline within the contract, saying what it left out', () => {
    const timeline = Array.from({ length: 1_200 }, (_, i) => ({
      at: T0 + i * MIN,
      state: i % 2 ? ('DEGRADED' as const) : ('DOWN' as const),
      impact: i % 2 ? ('degraded' as const) : ('total' as const),
      checks: ['home'],
    }));
    const f = finalReportBody.parse(buildFinalReport(closedIncident({ timeline, endedAt: T0 + 1_200 * MIN }), context()));
    expect(f.timeline).toHaveLength(MAX_TIMELINE);
    expect(f.timeline[MAX_TIMELINE / 2]!.event.en).toBe('… 702 further changes omitted for brevity'); // 1,200 changes + detection − 499 kept
    expect(f.timeline.at(-1)!.at).toBe('2026-11-29T08:29:00+03:00');
  });

  it('refuses an incident that has not ended', () => {
    expect(() => buildFinalReport(openIncident(), context())).toThrow(/has not ended/);
  });
});
