/**
 * Every sentence raqib writes to the authority about an outage, in Arabic and English, in one
 * place so a translator can review the wording without reading the builders (maintenance texts:
 * templates-maintenance.ts; result codes: templates-codes.ts; draft labels: templates-draft.ts).
 * The Arabic is the formal Modern Standard Arabic of a ministry's letter; impacts and durations
 * are labelled values («نطاق الأثر: انقطاع كلي») so their grammatical case never depends on the
 * sentence. Functions take facts already formatted (dates, durations) and only arrange words.
 */
import type { Bilingual } from '../authority/contract.js';
import type { OngoingReason } from '../outbox/types.js';
import type { Impact } from '../detect/service-state.js';
import { arabicCounted, bidiIsolate, ltrIsolate, formatNumber } from './arabic.js';
import {
  CHANNEL_TEXT,
  IMPACT_TEXT,
  L,
  affectedLine,
  cap,
  failingLines,
  impactLine,
  join,
  label,
  reportedBy,
  serviceNaming,
  type FailingCheck,
  type ServiceFacts,
} from './templates-common.js';

export { CHANNEL_TEXT, IMPACT_TEXT, serviceNaming, serviceRef } from './templates-common.js';
export type { Channel, FailingCheck, ServiceFacts, ServiceNaming } from './templates-common.js';

/** «انقطاع الخدمة: المواعيد» / "Outage of the Appointments service", by impact; intermittent when flapping. */
export function outageTitle(s: ServiceFacts, impact: Impact, intermittent = false): Bilingual {
  const n = serviceNaming(s, 'title');
  if (intermittent) return { ar: `انقطاع متقطع في الخدمة${n.arTail}`, en: `Intermittent outage of ${n.en}` };
  if (impact === 'partial') return { ar: `انقطاع جزئي في الخدمة${n.arTail}`, en: `Partial outage of ${n.en}` };
  if (impact === 'degraded') return { ar: `تدهور أداء الخدمة${n.arTail}`, en: `Degraded performance of ${n.en}` };
  return { ar: `انقطاع الخدمة${n.arTail}`, en: `Outage of ${n.en}` };
}

/** What the opening report says, already formatted. */
export interface OutageFacts {
  service: ServiceFacts;
  impact: Impact;
  startedAt: Bilingual;
  detectedAt: Bilingual;
  failing: readonly FailingCheck[];
  affected: number;
  perDay: number;
  agents: readonly string[];
  /** Services that depend on this one and fail with it (names). */
  dependents?: readonly Bilingual[];
  /** The service goes down and up repeatedly. */
  intermittent?: boolean;
}

/** «الخدمات المتأثرة لاعتمادها عليها: …» — services rolled into this incident. */
function dependentsLine(dependents: readonly Bilingual[] | undefined): Bilingual | undefined {
  if (!dependents || dependents.length === 0) return undefined;
  return {
    ar: `الخدمات المتأثرة لاعتمادها على هذه الخدمة: ${dependents.map((d) => bidiIsolate(d.ar.trim())).join('، ')}`,
    en: `Services affected because they depend on it: ${dependents.map((d) => d.en).join(', ')}`,
  };
}

const INTERMITTENT: Bilingual = {
  ar: 'الخدمة تتعطل وتعود بشكل متكرر؛ يبقى البلاغ مفتوحاً حتى تستقر.',
  en: 'The service keeps failing and recovering; the report stays open until it is stable.',
};

/** The opening report's description: what, since when, why, how many, and who reports. */
export function outageDescription(f: OutageFacts): Bilingual {
  const n = serviceNaming(f.service, 'sentence');
  const what: Record<Impact, Bilingual> = {
    total: { ar: `رُصد انقطاع كلي في الخدمة${n.arTail}`, en: `A total outage of ${n.en} was detected` },
    partial: { ar: `رُصد انقطاع جزئي في الخدمة${n.arTail}`, en: `A partial outage of ${n.en} was detected` },
    degraded: { ar: `رُصد تدهور في أداء الخدمة${n.arTail}`, en: `Degraded performance of ${n.en} was detected` },
  };
  const consumed = f.service.provider ? { ar: '، وهي خدمة تعتمد عليها الجهة.', en: '; the entity depends on this service.' } : { ar: '.', en: '.' };
  return join([
    { ar: what[f.impact].ar + consumed.ar, en: what[f.impact].en + consumed.en },
    label(L.channel, CHANNEL_TEXT[f.service.channel]),
    impactLine(f.impact),
    label(L.started, f.startedAt),
    label(L.detected, f.detectedAt),
    ...failingLines(f.failing),
    affectedLine(L.affectedSoFar, f.affected, f.perDay),
    dependentsLine(f.dependents),
    f.intermittent ? INTERMITTENT : undefined,
    reportedBy(f.agents, 'عنه'),
  ]);
}

/** What an ongoing update says, already formatted. */
export interface OngoingFacts {
  service: ServiceFacts;
  reason: OngoingReason;
  impact: Impact;
  /** The impact before the change, when the timeline tells it. */
  previousImpact?: Impact;
  since: Bilingual;
  duration: Bilingual;
  failing: readonly FailingCheck[];
  affected: number;
  perDay: number;
  dependents?: readonly Bilingual[];
  /** How often it changed state within the flapping window, when intermittent. */
  changes?: number;
}

const AR_CHANGES = { one: 'تغيير واحد', two: 'تغييران', few: 'تغييرات', many: 'تغييراً', hundred: 'تغيير' } as const;

/** « (٥ تغييرات في الحالة)» / " (5 changes of state)"; nothing when the count is unknown. */
function changesText(changes: number | undefined): Bilingual {
  if (changes === undefined) return { ar: '', en: '' };
  return { ar: ` (${arabicCounted(changes, AR_CHANGES)} في الحالة)`, en: ` (${changes} ${changes === 1 ? 'change' : 'changes'} of state)` };
}

/** An update while the outage lasts: still ongoing, the impact changed, intermittent, or dependents affected. */
export function ongoingNote(f: OngoingFacts): Bilingual {
  const n = serviceNaming(f.service, 'sentence', false);
  const prev = f.previousImpact && f.previousImpact !== f.impact ? f.previousImpact : undefined;
  const changes = changesText(f.changes);
  const head: Bilingual =
    f.reason === 'periodic'
      ? { ar: `لا يزال العطل في الخدمة${n.arTail} قائماً.`, en: `The incident affecting ${n.en} is still ongoing.` }
      : f.reason === 'intermittent'
        ? {
            ar: `الخدمة${n.arTail} تتعطل وتعود بشكل متقطع${changes.ar}؛ يبقى البلاغ مفتوحاً حتى تستقر.`,
            en: `${cap(n.en)} is failing intermittently${changes.en}; the report stays open until it is stable.`,
          }
        : f.reason === 'affected_services'
          ? { ar: `امتد أثر العطل في الخدمة${n.arTail} إلى خدمات تعتمد عليها.`, en: `The incident affecting ${n.en} also affects services that depend on it.` }
          : prev
            ? {
                ar: `تغيّر نطاق الأثر على الخدمة${n.arTail} من ${IMPACT_TEXT[prev].ar} إلى ${IMPACT_TEXT[f.impact].ar}، ولا يزال العطل قائماً.`,
                en: `The impact on ${n.en} changed from ${IMPACT_TEXT[prev].en} to ${IMPACT_TEXT[f.impact].en}; the incident is still ongoing.`,
              }
            : { ar: `تغيّر نطاق الأثر على الخدمة${n.arTail}، ولا يزال العطل قائماً.`, en: `The impact on ${n.en} changed; the incident is still ongoing.` };
  return join([
    head,
    impactLine(f.impact),
    label(L.started, f.since),
    label(L.durationSoFar, f.duration),
    ...failingLines(f.failing),
    affectedLine(L.affectedSoFar, f.affected, f.perDay),
    dependentsLine(f.dependents),
  ]);
}

/** What the restoration update says, already formatted. */
export interface RestoredFacts {
  service: ServiceFacts;
  endedAt: Bilingual;
  duration: Bilingual;
  affected: number;
  perDay: number;
  /** Closed because the service was removed from the config, not because it recovered. */
  unmonitored: boolean;
}

/** The update that closes the outage at the authority, before the final report. */
export function restoredNote(f: RestoredFacts): Bilingual {
  const n = serviceNaming(f.service, 'sentence', false);
  const head: Bilingual = f.unmonitored
    ? {
        ar: `توقّف رقيب عن مراقبة الخدمة${n.arTail} والعطل قائم، إذ أُزيلت الخدمة أو فحوصها المتعثرة من إعداداته؛ ولم يرصد عودتها، وسيؤكدها فريق إدارة الأزمات.`,
        en: `raqib stopped monitoring ${n.en} while the incident was open (the service or its failing checks were removed from its configuration); it did not see the service come back, and the crisis management team will confirm the restoration.`,
      }
    : { ar: `عادت الخدمة${n.arTail} إلى العمل.`, en: `${cap(n.en)} has been restored.` };
  return join([
    head,
    label(f.unmonitored ? L.stoppedAt : L.restoredAt, f.endedAt),
    label(L.duration, f.duration),
    affectedLine(L.affectedTotal, f.affected, f.perDay),
    f.unmonitored
      ? { ar: 'سيُقدّم فريق إدارة الأزمات تحديث العودة والتقرير النهائي.', en: 'The crisis management team will file the restoration and the final report.' }
      : { ar: 'سيُرفع تقرير نهائي عن العطل والإجراءات المتخذة لاحقاً.', en: 'A final report on the incident and the actions taken will follow.' },
  ]);
}

/** One moment of the final report's timeline. */
export type TimelineEvent =
  | { kind: 'began' | 'changed' | 'checks'; impact: Impact; checks: readonly string[] }
  | { kind: 'restored' | 'unmonitored' | 'detected' | 'filed' | 'acknowledged' }
  | { kind: 'omitted'; count: number };

/** One timeline event in words. */
export function timelineEventText(e: TimelineEvent): Bilingual {
  switch (e.kind) {
    case 'began':
    case 'changed': {
      const head = e.kind === 'began' ? { ar: 'بدأ العطل', en: 'The incident began' } : { ar: 'تغيّر نطاق الأثر', en: 'The impact changed' };
      const checks = e.checks.length
        ? { ar: `؛ الفحوص التي أخفقت: ${e.checks.map(ltrIsolate).join('، ')}`, en: `; failing checks: ${e.checks.join(', ')}` }
        : { ar: '', en: '' };
      return { ar: `${head.ar}: ${IMPACT_TEXT[e.impact].ar}${checks.ar}`, en: `${head.en}: ${IMPACT_TEXT[e.impact].en}${checks.en}` };
    }
    case 'checks':
      return {
        ar: `تغيّرت الفحوص التي أخفقت (${IMPACT_TEXT[e.impact].ar}): ${e.checks.map(ltrIsolate).join('، ') || '—'}`,
        en: `The failing checks changed (${IMPACT_TEXT[e.impact].en}): ${e.checks.join(', ') || '—'}`,
      };
    case 'detected':
      return { ar: 'رصد رقيب العطل وتأكّد منه', en: 'raqib detected and confirmed the incident' };
    case 'filed':
      return { ar: 'رُفع البلاغ إلى هيئة الحكومة الرقمية', en: 'Report filed with the Digital Government Authority' };
    case 'acknowledged':
      return { ar: 'أكّدت هيئة الحكومة الرقمية استلام البلاغ', en: 'The Digital Government Authority acknowledged the report' };
    case 'restored':
      return { ar: 'عادت الخدمة إلى العمل', en: 'The service was restored' };
    case 'unmonitored':
      return {
        ar: 'توقّف رقيب عن مراقبة الخدمة (أُزيلت الخدمة أو فحوصها المتعثرة من إعداداته)',
        en: 'raqib stopped monitoring the service (the service or its failing checks were removed from its configuration)',
      };
    case 'omitted':
      return { ar: `… أُسقطت من التسلسل تغييرات أخرى عددها ${formatNumber(e.count).ar} للاختصار`, en: `… ${e.count} further changes omitted for brevity` };
  }
}

/** Final report text when the team has not yet written its actions (deadline reached). */
export const ACTIONS_PENDING: Bilingual = {
  ar: 'سيقدّم فريق إدارة الأزمات الإجراءات المتخذة لاحقاً.',
  en: 'The crisis management team will submit the actions taken.',
};

export { maintenanceDescription, maintenanceNote, maintenanceTitle } from './templates-maintenance.js';
export type { MaintenanceFacts, MaintenanceNoteFacts } from './templates-maintenance.js';
