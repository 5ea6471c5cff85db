/**
 * Latin ids, codes, references and probe text inside Arabic lines are Unicode directional isolates,
 * so a right-to-left reader (the authority's portal, a mail client) keeps them in place; English
 * text carries none. Checked over every Arabic text the builders and drafts write.
 */
import { describe, expect, it } from 'vitest';
import type { Bilingual } from '../../agent/authority/contract.js';
import type { Incident } from '../../agent/incidents/types.js';
import { CODES } from '../../agent/probes/codes.js';
import { FSI, LRI, PDI, bidiIsolate, fsiIsolate, ltrIsolate } from '../../agent/wording/arabic.js';
import {
  buildFinalReport,
  buildMaintenanceFinal,
  buildMaintenanceReport,
  buildMaintenanceUpdate,
  buildOngoingUpdate,
  buildOutageReport,
  buildRestoredUpdate,
  type MaintenanceWindow,
} from '../../agent/wording/build.js';
import { formatWhen } from '../../agent/wording/dates.js';
import { renderDraft } from '../../agent/wording/draft.js';
import { HTTP_STATUS_NAMES, codeReason } from '../../agent/wording/templates-codes.js';
import { CHANNEL_TEXT, timelineEventText } from '../../agent/wording/templates.js';
import { HOUR, T0, closedIncident, context, openIncident, status503, timeoutHome } from './fixtures.js';

/** What is left of Arabic text once every isolate (and a Markdown fence line) is taken out. */
function outsideIsolates(ar: string): string {
  return ar.replace(/[\u2066\u2067\u2068][^\u2066-\u2069]*\u2069/g, '').replace(/^(```|~~~~)text$/gm, '');
}

function expectArabicIsolated(ar: string, where: string): void {
  expect(outsideIsolates(ar), `${where}: Latin letters or Western digits outside an isolate`).not.toMatch(/[A-Za-z0-9]/);
}

function expectEnglishPlain(en: string, where: string): void {
  expect(en, `${where}: isolates in English`).not.toMatch(/[\u2066-\u2069]/);
}

/** A consumed service over the bus, seen by two agents, with a Latin-named dependent, away from Riyadh. */
function richContext() {
  return context(
    { providerName: { ar: 'مركز المعلومات الوطني', en: 'National Information Center' }, agentId: undefined, timeZone: 'Asia/Dubai' },
    { provider: 'NIC', channel: 'gsb' },
  );
}

const remote = { ...status503, agentId: 'jeddah-dc2' };
const dependents: Incident['affected'] = [{ serviceId: 'tawakkalna', name: { ar: 'تطبيق Tawakkalna', en: 'Tawakkalna app' } }] as Incident['affected'];

function texts(): Array<[string, Bilingual]> {
  const ctx = richContext();
  const open = openIncident({ evidence: [timeoutHome, status503, remote], affected: dependents, flapping: { since: T0, changes: 12 } });
  const closed = closedIncident({ affected: dependents });
  const window: MaintenanceWindow = {
    serviceId: 'appointments',
    windowId: 'db',
    start: T0 + 24 * HOUR,
    end: T0 + 30 * HOUR,
    description: { ar: 'ترقية PostgreSQL إلى الإصدار 17', en: 'PostgreSQL upgrade to version 17' },
  };
  const report = buildOutageReport(open, ctx);
  const out: Array<[string, Bilingual]> = [
    ['report title', report.title],
    ['report description', report.description],
    ...(['periodic', 'impact_changed', 'intermittent', 'affected_services'] as const).map((r): [string, Bilingual] => [
      `ongoing ${r}`,
      buildOngoingUpdate(open, ctx, r).note,
    ]),
    ['restored', buildRestoredUpdate(closed, ctx).note],
    ['unmonitored', buildRestoredUpdate(closedIncident({ resolution: 'unmonitored' }), ctx).note],
    ['maintenance title', buildMaintenanceReport(window, ctx).title],
    ['maintenance description', buildMaintenanceReport(window, ctx).description],
    ...(['in_progress', 'completed', 'extended'] as const).map((st): [string, Bilingual] => [
      `maintenance ${st}`,
      buildMaintenanceUpdate(window, ctx, st, window.start + HOUR).note,
    ]),
    ['when, outside Riyadh', formatWhen(T0, 'Asia/Dubai')],
    ...Object.entries(CHANNEL_TEXT).map(([k, v]): [string, Bilingual] => [`channel ${k}`, v]),
    ...Object.values(CODES).map((c): [string, Bilingual] => [`code ${c}`, codeReason(c)]),
    ['unknown code', codeReason('QUANTUM_FLUX')],
    ...Object.keys(HTTP_STATUS_NAMES).map((s): [string, Bilingual] => [`HTTP ${s}`, codeReason('HTTP_STATUS', Number(s))]),
    ['timeline checks', timelineEventText({ kind: 'checks', impact: 'partial', checks: ['api', 'home'] })],
  ];
  const final = buildFinalReport(closed, ctx, { taken: 'Restarted nginx on web-01.\nMoved traffic to DR site.', rootCause: 'Disk /var full on db-2' });
  final.timeline.forEach((t, i) => out.push([`final timeline ${i}`, t.event]));
  out.push(['final actions', final.actions_taken], ['final root cause', final.root_cause!]);
  // Without a description: the entity's own words (the description) are theirs, not raqib's to isolate.
  const { description: _own, ...bare } = window;
  const mfinal = buildMaintenanceFinal(bare, ctx);
  mfinal.timeline.forEach((t, i) => out.push([`maintenance final timeline ${i}`, t.event]));
  out.push(['maintenance final actions', mfinal.actions_taken]);
  return out;
}

describe('Latin text inside Arabic', () => {
  it('is isolated in every Arabic text the report bodies carry, and English carries no isolate', () => {
    for (const [where, text] of texts()) {
      expectArabicIsolated(text.ar, where);
      expectEnglishPlain(text.en, where);
    }
  });

  it('is isolated in the Arabic part of every draft, evidence table included', () => {
    const ctx = richContext();
    const open = openIncident({ evidence: [timeoutHome, status503, remote] });
    const drafts = [
      renderDraft('report', buildOutageReport(open, ctx), { incidentId: open.id, reference: 'DGA-2026-000001', timeZone: 'Asia/Dubai' }),
      renderDraft('update', buildOngoingUpdate(open, ctx, 'periodic'), { incidentId: open.id, draftReference: 'DRAFT-0A1B2C3D4E' }),
      renderDraft('final', buildFinalReport(closedIncident(), ctx, { taken: 'Restarted the cluster' }), { incidentId: open.id, reference: 'DGA-2026-000001' }),
    ];
    for (const draft of drafts) {
      const en = draft.indexOf('## English');
      const arabic = draft.slice(draft.indexOf('## العربية'), en);
      expectArabicIsolated(arabic, arabic.slice(0, 40));
      expectEnglishPlain(draft.slice(en), 'English part');
    }
  });

  it('wraps ids and codes left to right, mixed names by their first strong letter, and leaves plain Arabic alone', () => {
    expect(ltrIsolate('DGA-2026-000001')).toBe(`${LRI}DGA-2026-000001${PDI}`);
    expect(fsiIsolate('expected 2xx')).toBe(`${FSI}expected 2xx${PDI}`);
    expect(bidiIsolate('HTTP_STATUS')).toBe(`${LRI}HTTP_STATUS${PDI}`);
    expect(bidiIsolate('https://www.moh.gov.sa/')).toBe(`${LRI}https://www.moh.gov.sa/${PDI}`);
    expect(bidiIsolate('تطبيق Tawakkalna')).toBe(`${FSI}تطبيق Tawakkalna${PDI}`);
    expect(bidiIsolate('موقع وزارة الصحة')).toBe('موقع وزارة الصحة');
    expect(bidiIsolate('٤٬٥٠٠')).toBe('٤٬٥٠٠');
    expect(bidiIsolate(ltrIsolate('MOH')), 'not wrapped twice').toBe(`${LRI}MOH${PDI}`);
  });
});
