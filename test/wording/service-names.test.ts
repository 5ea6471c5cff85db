/**
 * A service's Arabic name is used exactly as configured, whatever its gender or number («موقع»,
 * «تطبيق», «المنصة», «المواعيد»): the sentences agree with «الخدمة», which they name first, and
 * give the configured name beside it; nothing is prefixed to the name.
 */
import { describe, expect, it } from 'vitest';
import type { Bilingual } from '../../agent/authority/contract.js';
import { buildMaintenanceReport, buildMaintenanceUpdate, buildOngoingUpdate, buildOutageReport, buildRestoredUpdate } from '../../agent/wording/build.js';
import { HOUR, T0, closedIncident, context, openIncident } from './fixtures.js';

const NAMES = [
  { ar: 'موقع وزارة الصحة', en: 'Ministry of Health website' },
  { ar: 'تطبيق صحتي', en: 'Sehhaty app' },
  { ar: 'المنصة الوطنية الموحدة', en: 'Unified National Platform' },
  { ar: 'خدمة المواعيد', en: 'Appointments service' },
];

function textsFor(name: Bilingual, provider: boolean): Array<[string, Bilingual]> {
  const ctx = context(provider ? { providerName: { ar: 'هيئة الحكومة الرقمية', en: 'Digital Government Authority' } } : {}, {
    name,
    ...(provider ? { provider: 'DGA' } : {}),
  });
  const open = openIncident({ flapping: { since: T0, changes: 5 } });
  const window = { serviceId: 'appointments', windowId: 'w', start: T0 + 24 * HOUR, end: T0 + 30 * HOUR };
  const report = buildOutageReport(open, ctx);
  return [
    ['title', report.title],
    ['partial title', buildOutageReport(openIncident({ impact: 'partial' }), ctx).title],
    ['degraded title', buildOutageReport(openIncident({ impact: 'degraded' }), ctx).title],
    ['description', report.description],
    ...(['periodic', 'impact_changed', 'intermittent', 'affected_services'] as const).map((r): [string, Bilingual] => [
      r,
      buildOngoingUpdate(open, ctx, r).note,
    ]),
    ['restored', buildRestoredUpdate(closedIncident(), ctx).note],
    ['unmonitored', buildRestoredUpdate(closedIncident({ resolution: 'unmonitored' }), ctx).note],
    ['maintenance title', buildMaintenanceReport(window, ctx).title],
    ['maintenance description', buildMaintenanceReport(window, ctx).description],
    ...(['in_progress', 'completed', 'extended'] as const).map((st): [string, Bilingual] => [st, buildMaintenanceUpdate(window, ctx, st, window.start).note]),
  ];
}

describe('service names in Arabic', () => {
  it.each(
    NAMES.flatMap(
      (name) =>
        [
          [name.ar, name, false],
          [`${name.ar} (consumed)`, name, true],
        ] as const,
    ),
  )('uses «%s» as written, beside «الخدمة» which the sentence agrees with', (_label, name, provider) => {
    for (const [where, text] of textsFor(name, provider)) {
      const first = text.ar.split('\n')[0]!;
      expect(first, where).toContain(name.ar);
      expect(first, `${where}: nothing is prefixed to the name`).not.toContain(`خدمة ${name.ar}`);
      expect(first, `${where}: the name stands beside «الخدمة»`).toMatch(
        new RegExp(`(الخدمة|للخدمة)( المقدمة من جهة .+?)?(: ${name.ar}$| \\(${name.ar}\\))`, 'm'),
      );
    }
  });

  it('words the restoration and the maintenance with the name in apposition', () => {
    const ctx = context({}, { name: { ar: 'تطبيق صحتي', en: 'Sehhaty app' } });
    expect(buildRestoredUpdate(closedIncident(), ctx).note.ar.split('\n')[0]).toBe('عادت الخدمة (تطبيق صحتي) إلى العمل.');
    expect(buildOutageReport(openIncident(), ctx).title).toEqual({ ar: 'انقطاع الخدمة: تطبيق صحتي', en: 'Outage of the Sehhaty app service' });
    const consumed = context(
      { providerName: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
      { name: { ar: 'موقع وزارة الصحة', en: 'Ministry of Health website' }, provider: 'MOH' },
    );
    expect(buildOutageReport(openIncident(), consumed).description.ar.split('\n')[0]).toBe(
      'رُصد انقطاع كلي في الخدمة (موقع وزارة الصحة) المقدمة من جهة وزارة الصحة (\u2066MOH\u2069)، وهي خدمة تعتمد عليها الجهة.',
    );
  });

  it('counts the changes of an intermittent service in Arabic words and digits', () => {
    const note = (changes: number) => buildOngoingUpdate(openIncident({ flapping: { since: T0, changes } }), context(), 'intermittent').note;
    expect(note(12).ar.split('\n')[0]).toBe('الخدمة (المواعيد) تتعطل وتعود بشكل متقطع (١٢ تغييراً في الحالة)؛ يبقى البلاغ مفتوحاً حتى تستقر.');
    expect(note(5).ar).toContain('(٥ تغييرات في الحالة)');
    expect(note(12).en.split('\n')[0]).toBe(
      'The Appointments service is failing intermittently (12 changes of state); the report stays open until it is stable.',
    );
  });
});
