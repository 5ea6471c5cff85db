/**
 * What a person reads in a draft: the incident and references (never an internal idempotency
 * key), the filer's own title, and the evidence with headers in the language of each part.
 */
import { describe, expect, it } from 'vitest';
import { buildOutageReport, buildRestoredUpdate } from '../../agent/wording/build.js';
import { recordKeyOf, renderDraft } from '../../agent/wording/draft.js';
import { memberTitle } from '../../agent/wording/templates-draft.js';
import { closedIncident, context, openIncident } from './fixtures.js';

const ltr = (s: string): string => `\u2066${s}\u2069`;
const INCIDENT = 'appointments-20261128T093000Z';

describe('a draft names the incident, never the idempotency key', () => {
  it.each([
    [`raqib:MOH:${INCIDENT}:report`, INCIDENT],
    [`raqib:MOH:${INCIDENT}:update:3`, INCIDENT],
    [`raqib:MOH:${INCIDENT}:restored`, INCIDENT],
    [`raqib:MOH:${INCIDENT}:restored:2`, INCIDENT],
    [`raqib:MOH:${INCIDENT}:final:1`, INCIDENT],
    ['raqib:MOH:maintenance:appointments:db:2026-11-29T19:00:00.000Z:in_progress', 'maintenance:appointments:db:2026-11-29T19:00:00.000Z'],
    [INCIDENT, INCIDENT],
    ['raqib:MOH:something-else', undefined],
  ])('%s → %s', (key, record) => expect(recordKeyOf(key)).toBe(record));

  it('shows the incident id and the references, not the key it was given', () => {
    const u = renderDraft('update', buildRestoredUpdate(closedIncident(), context()), {
      incidentId: `raqib:MOH:${INCIDENT}:restored`,
      reference: 'DGA-2026-000123',
      draftReference: 'DRAFT-0A1B2C3D4E',
    });
    expect(u).not.toContain('raqib:');
    expect(u).toContain(`- رقم الحادثة / Incident: ${ltr(INCIDENT)}\n`);
    expect(u).toContain(`- المرجع لدى الهيئة / Authority reference: ${ltr('DGA-2026-000123')}\n`);
    expect(u).toContain(`- مرجع المسودة / Draft reference: ${ltr('DRAFT-0A1B2C3D4E')}\n`);
  });

  it('names a maintenance window as such, and leaves out a key it cannot read', () => {
    const key = 'raqib:MOH:maintenance:appointments:db:2026-11-29T19:00:00.000Z:completed';
    const m = renderDraft('update', buildRestoredUpdate(closedIncident(), context()), { incidentId: key });
    expect(m).toContain(`- نافذة الصيانة / Maintenance window: ${ltr('maintenance:appointments:db:2026-11-29T19:00:00.000Z')}\n`);
    expect(renderDraft('update', buildRestoredUpdate(closedIncident(), context()), { incidentId: 'raqib:MOH:odd' })).not.toContain('raqib:');
  });
});

describe('the filer in a draft', () => {
  const report = buildOutageReport(openIncident(), context());

  it('goes by the title configured for them, in each language', () => {
    const title = { ar: 'مديرة فريق إدارة الأزمات', en: 'Crisis Management Team Lead' };
    const d = renderDraft('report', report, { incidentId: INCIDENT, submitterTitle: title });
    expect(d).toContain('- مقدّم البلاغ: سارة العتيبي — مديرة فريق إدارة الأزمات\n');
    expect(d).toContain('- Submitted by: Sara Alotaibi — Crisis Management Team Lead\n');
    expect(d).not.toContain('مدير فريق إدارة الأزمات\n');
  });

  it('goes by the title of their role when none is configured', () => {
    expect(memberTitle({ role: 'manager' })).toEqual({ ar: 'مدير فريق إدارة الأزمات', en: 'Crisis management team manager' });
    expect(memberTitle({ role: 'alternate', title: { ar: 'نائبة المديرة', en: 'Deputy' } })).toEqual({ ar: 'نائبة المديرة', en: 'Deputy' });
    expect(memberTitle({ role: 'member' }).ar).toBe('عضو فريق إدارة الأزمات');
  });
});

describe('the evidence in a draft', () => {
  it('is tabulated in the Arabic part with Arabic headers and isolated Latin cells', () => {
    const d = renderDraft('report', buildOutageReport(openIncident(), context()), { incidentId: INCIDENT });
    const arabic = d.slice(d.indexOf('## العربية'), d.indexOf('## English'));
    expect(arabic).toContain(
      [
        '### الأدلة',
        '',
        `| الفحص | الحالة | الرمز | رمز حالة ${ltr('HTTP')} | المراحل (ملّي ثانية) | وقت الرصد | الوكيل | التفاصيل |`,
        '|---|---|---|---|---|---|---|---|',
        `| ${ltr('api')} | متعطل | ${ltr('HTTP_STATUS')} | ${ltr('503')} | ${ltr('dns 2 · connect 10 · tls 25 · ttfb 40 · transfer 1 · total 78')} | ${ltr('2026-11-28T12:31:00.500+03:00')} | ${ltr('riyadh-dc1')} | \u2068expected 2xx, got 503\u2069 |`,
        `| ${ltr('home')} | متعطل | ${ltr('TIMEOUT')} | – | ${ltr('dns 2 · connect 11 · tls 25 · total 10000')} | ${ltr('2026-11-28T12:31:00+03:00')} | ${ltr('riyadh-dc1')} | \u2068no response within 10s\u2069 |`,
      ].join('\n'),
    );
  });
});
