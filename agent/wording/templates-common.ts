/**
 * Words and line helpers shared by the report texts (templates.ts, templates-maintenance.ts):
 * impacts, channels, how a service is named, and the labelled "field: value" lines every text is
 * made of. Part of the wording a translator reviews.
 */
import type { Bilingual, CHANNELS } from '../authority/contract.js';
import type { Impact } from '../detect/service-state.js';
import { bidiIsolate, formatNumber, ltrIsolate } from './arabic.js';

/** A service channel as the contract lists them. */
export type Channel = (typeof CHANNELS)[number];

/** The impact as the authority's form names it: total كلي, partial جزئي, degraded تدهور في الأداء. */
export const IMPACT_TEXT: Readonly<Record<Impact, Bilingual>> = {
  total: { en: 'total outage', ar: 'انقطاع كلي' },
  partial: { en: 'partial outage', ar: 'انقطاع جزئي' },
  degraded: { en: 'degraded performance', ar: 'تدهور في الأداء' },
};

/** What each impact means for users, said after the impact in the texts. */
export const IMPACT_MEANING: Readonly<Record<Impact, Bilingual>> = {
  total: { en: 'the service is unavailable', ar: 'الخدمة غير متاحة' },
  partial: { en: 'part of the service is unavailable', ar: 'جزء من الخدمة غير متاح' },
  degraded: { en: 'the service works, but slowly or with errors', ar: 'الخدمة تعمل ولكن ببطء أو مع أخطاء' },
};

/** The channel through which users reach the service. */
export const CHANNEL_TEXT: Readonly<Record<Channel, Bilingual>> = {
  web: { en: 'web portal', ar: 'البوابة الإلكترونية' },
  mobile: { en: 'mobile app', ar: 'تطبيق الجوال' },
  api: { en: 'API', ar: 'واجهة برمجة التطبيقات' },
  gsb: { en: 'Government Service Bus (GSB)', ar: `قناة التكامل الحكومية (${ltrIsolate('GSB')})` },
};

/** A service as the texts name it; `provider` only for a service another entity provides. */
export interface ServiceFacts {
  name: Bilingual;
  channel: Channel;
  provider?: Bilingual;
}

/** One failing check and why, for the "failing checks" lines. */
export interface FailingCheck {
  check: string;
  reason: Bilingual;
}

/** A line of a text; false or undefined lines are left out. */
export type Line = Bilingual | undefined | false;

/** Lines to one Bilingual text, one line per field. */
export function join(lines: readonly Line[]): Bilingual {
  const kept = lines.filter((l): l is Bilingual => !!l);
  return { ar: kept.map((l) => l.ar).join('\n'), en: kept.map((l) => l.en).join('\n') };
}

/** "label: value" in each language. */
export const label = (l: Bilingual, v: Bilingual): Bilingual => ({ ar: `${l.ar}: ${v.ar}`, en: `${l.en}: ${v.en}` });
/** Capitalised first letter, for an English sentence that starts with a service name. */
export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The configured name in each language: Arabic exactly as written (isolated when it holds Latin
 * letters or digits, so it keeps its place right to left); English as "the Appointments service"
 * unless the name already says service.
 */
export function serviceRef(name: Bilingual): Bilingual {
  const ar = bidiIsolate(name.ar.trim());
  const en = name.en.trim();
  if (!/\bservice\b/i.test(en)) return { ar, en: `the ${en} service` };
  return { ar, en: /^(the|service)\b/i.test(en) ? en : `the ${en}` };
}

/**
 * How a sentence names the service. Arabic makes «الخدمة» the noun the sentence agrees with and
 * gives the configured name beside it, so no verb or adjective depends on the name («موقع» is
 * masculine, «المنصة» feminine, «المواعيد» plural): `arTail` is what follows «الخدمة» — the name in
 * apposition in a sentence («الخدمة (تطبيق صحتي) المقدمة من جهة …»), after a colon in a title
 * («انقطاع الخدمة المقدمة من جهة …: تطبيق صحتي»). English names it as {@link serviceRef} does.
 */
export interface ServiceNaming {
  /** Arabic words that follow «الخدمة»: « (الاسم)» or «: الاسم», with the provider. */
  arTail: string;
  en: string;
}

export function serviceNaming(s: ServiceFacts, form: 'sentence' | 'title', withProvider = true): ServiceNaming {
  const ref = serviceRef(s.name);
  const provider = withProvider && s.provider ? s.provider : undefined;
  const by = provider ? ` المقدمة من جهة ${provider.ar}` : '';
  return {
    arTail: form === 'title' ? `${by}: ${ref.ar}` : ` (${ref.ar})${by}`,
    en: provider ? `${ref.en} provided by ${provider.en}` : ref.en,
  };
}

/** Field labels used inside the texts. */
export const L = {
  channel: { en: 'Channel', ar: 'القناة' },
  impact: { en: 'Impact', ar: 'نطاق الأثر' },
  started: { en: 'Started', ar: 'وقت بدء العطل' },
  detected: { en: 'Detected', ar: 'وقت الرصد' },
  failing: { en: 'Failing checks:', ar: 'الفحوص التي أخفقت:' },
  affectedSoFar: { en: 'Estimated beneficiaries affected so far', ar: 'العدد التقديري للمستفيدين المتأثرين حتى الآن' },
  affectedTotal: { en: 'Estimated beneficiaries affected in total', ar: 'العدد التقديري الإجمالي للمستفيدين المتأثرين' },
  affected: { en: 'Estimated beneficiaries affected', ar: 'العدد التقديري للمستفيدين المتأثرين' },
  durationSoFar: { en: 'Duration so far', ar: 'المدة حتى الآن' },
  duration: { en: 'Duration of the incident', ar: 'مدة العطل' },
  restoredAt: { en: 'Restored at', ar: 'وقت عودة الخدمة' },
  stoppedAt: { en: 'Monitoring stopped at', ar: 'وقت توقف المراقبة' },
  mStart: { en: 'Starts', ar: 'موعد البدء' },
  mStarted: { en: 'Started at', ar: 'وقت البدء' },
  mEnd: { en: 'Expected end', ar: 'موعد الانتهاء المتوقع' },
  mNewEnd: { en: 'New expected end', ar: 'موعد الانتهاء المتوقع الجديد' },
  mDone: { en: 'Completed at', ar: 'وقت الاكتمال' },
  mExpectedDuration: { en: 'Expected duration', ar: 'المدة المتوقعة' },
  mDuration: { en: 'Duration of the maintenance', ar: 'مدة الصيانة' },
  mDescription: { en: 'Description', ar: 'الوصف' },
} as const satisfies Record<string, Bilingual>;

/** "Impact: total outage (the service is unavailable)". */
export function impactLine(impact: Impact): Bilingual {
  return label(L.impact, { ar: `${IMPACT_TEXT[impact].ar} (${IMPACT_MEANING[impact].ar})`, en: `${IMPACT_TEXT[impact].en} (${IMPACT_MEANING[impact].en})` });
}

/** "1,234 (typical beneficiaries a day: 50,000)", or why there is no estimate. */
export function affectedLine(which: Bilingual, affected: number, perDay: number): Bilingual {
  if (perDay <= 0) {
    return label(which, {
      en: "not available (the service's daily beneficiaries are not configured)",
      ar: 'غير متاح (لم يُحدَّد متوسط عدد المستفيدين اليومي للخدمة)',
    });
  }
  const n = formatNumber(affected);
  const d = formatNumber(perDay);
  return label(which, { en: `${n.en} (typical beneficiaries a day: ${d.en})`, ar: `${n.ar} (متوسط عدد المستفيدين يومياً: ${d.ar})` });
}

const MAX_LISTED = 20;

/** "Failing checks:" and one line per check (at most 20, then how many more). */
export function failingLines(failing: readonly FailingCheck[]): Line[] {
  if (failing.length === 0) return [];
  const shown = failing.slice(0, MAX_LISTED).map((f) => ({ ar: `- ${ltrIsolate(f.check)}: ${f.reason.ar}`, en: `- ${f.check}: ${f.reason.en}` }));
  const more = failing.length - shown.length;
  const rest = more > 0 ? { ar: `- وفحوص أخرى عددها ${formatNumber(more).ar}`, en: `- and ${more} more` } : undefined;
  return [L.failing, ...shown, rest];
}

/** "Reported automatically by raqib from agent X …"; `subject` is عنه (an outage) or عنها (maintenance). */
export function reportedBy(agents: readonly string[], subject: 'عنه' | 'عنها'): Bilingual {
  const from =
    agents.length === 0
      ? { ar: '', en: '' }
      : agents.length === 1
        ? { ar: ` من الوكيل ${ltrIsolate(agents[0]!)}`, en: ` from agent ${agents[0]}` }
        : { ar: ` من الوكلاء ${agents.map(ltrIsolate).join('، ')}`, en: ` from agents ${agents.join(', ')}` };
  return {
    ar: `أُبلغ ${subject} آلياً بواسطة رقيب${from.ar} نيابةً عن فريق إدارة الأزمات.`,
    en: `Reported automatically by raqib${from.en} on behalf of the crisis management team.`,
  };
}
