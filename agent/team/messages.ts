/**
 * What the crisis team is told, in both languages, from the facts of each event: the same facts in
 * Arabic as in English. Latin ids, references, codes and numbers inside an Arabic line are
 * isolated (wording/arabic.ts) so they keep their place when the line is shown right to left.
 */
import type { Bilingual } from '../authority/contract.js';
import type { Impact } from '../detect/service-state.js';
import { bidiIsolate as isolate } from '../wording/arabic.js';
import { formatDuration, formatWhen } from '../wording/dates.js';
import { IMPACT_TEXT } from '../wording/templates-common.js';

/** The facts of each event the team hears of. */
export type TeamFacts =
  | { event: 'incident_opened'; facts: { impact: Impact } }
  | { event: 'incident_closed'; facts: { resolution: 'recovered' | 'unmonitored' } }
  | { event: 'report_filed'; facts: { drafts: boolean } }
  | { event: 'report_failed'; facts: { why: 'refused'; what: string; reason: string } }
  | { event: 'report_failed'; facts: { why: 'unfiled'; minutes: number; lastError?: string } }
  | { event: 'report_failed'; facts: { why: 'unmonitored' } }
  | { event: 'report_failed'; facts: { why: 'withdrawn' } }
  | { event: 'report_failed'; facts: { why: 'reopened' } }
  | { event: 'report_failed'; facts: { why: 'no_final'; reason: string } }
  | { event: 'final_report_due'; facts: { due: number; timeZone: string } }
  | { event: 'report_acknowledged'; facts: { minutes: number } }
  | { event: 'returned_for_info'; facts: Record<string, never> }
  | { event: 'guidance_received'; facts: { text: Bilingual; closed: boolean } }
  | { event: 'not_acknowledged'; facts: { minutes: number } }
  | { event: 'authorization_lost'; facts: { reason: string } };

/** What the message names: the service and the report, as people know them. */
export interface Named {
  serviceId?: string;
  report?: { key: string; reference?: string };
}

export function teamMessage(ev: TeamFacts & Named): Bilingual {
  const svc = ev.serviceId ?? '';
  const minutes = (n: number) => formatDuration(n * 60_000);
  const ref = ev.report ? (ev.report.reference ?? ev.report.key) : '';
  const a = { svc: isolate(svc), ref: isolate(ref), en: ref };
  switch (ev.event) {
    case 'incident_opened':
      return {
        en: `Outage of ${svc} confirmed (${IMPACT_TEXT[ev.facts.impact].en}).`,
        ar: `تأكّد انقطاع الخدمة ${a.svc} (${IMPACT_TEXT[ev.facts.impact].ar}).`,
      };
    case 'incident_closed':
      return ev.facts.resolution === 'recovered'
        ? { en: `The outage of ${svc} is over: the service is back.`, ar: `انتهى انقطاع الخدمة ${a.svc}: عادت الخدمة إلى العمل.` }
        : {
            en: `raqib stopped monitoring the outage of ${svc} before it ended (its failing checks left the config); it did not see the service come back.`,
            ar: `توقّف رقيب عن مراقبة انقطاع الخدمة ${a.svc} قبل انتهائه (أُزيلت فحوصها المتعثرة من الإعدادات)؛ ولم يرَ عودة الخدمة.`,
          };
    case 'report_filed':
      return ev.facts.drafts
        ? {
            en: `Nothing was sent: the report on ${svc} is drafted as data_dir/drafts/${ref}-report.md. Paste it into the authority's portal now.`,
            ar: `لم يُرسَل شيء: البلاغ عن الخدمة ${a.svc} جاهز في ${isolate(`data_dir/drafts/${ref}-report.md`)}. يرجى إدخاله في بوابة الهيئة الآن.`,
          }
        : { en: `Report ${ref} filed for ${svc}.`, ar: `قُدّم البلاغ ${a.ref} عن الخدمة ${a.svc}.` };
    case 'report_failed':
      return failed(ev.facts, svc, a, minutes);
    case 'final_report_due': {
      const due = formatWhen(ev.facts.due, ev.facts.timeZone);
      const cmd = `raqib reports finalize ${ref} --actions-ar "…" --actions-en "…"`;
      return {
        en: `${svc} is back. Add the actions taken before ${due.en} with: ${cmd}`,
        ar: `عادت الخدمة ${a.svc} إلى العمل. يرجى إضافة الإجراءات المتخذة قبل ${due.ar} بالأمر: ${isolate(cmd)}`,
      };
    }
    case 'report_acknowledged':
      return {
        en: `The authority acknowledged report ${ref}, ${minutes(ev.facts.minutes).en} after it was filed.`,
        ar: `أقرّت الهيئة باستلام البلاغ ${a.ref} بعد ${minutes(ev.facts.minutes).ar} من تقديمه.`,
      };
    case 'returned_for_info':
      return { en: `The authority returned report ${ref} asking for more information.`, ar: `أعادت الهيئة البلاغ ${a.ref} طالبةً معلومات إضافية.` };
    case 'guidance_received': {
      const closed = ev.facts.closed ? { en: ' (the report is closed)', ar: ' (البلاغ مغلق)' } : { en: '', ar: '' };
      return { en: `Guidance on ${ref}${closed.en}: ${ev.facts.text.en}`, ar: `إرشادات بشأن البلاغ ${a.ref}${closed.ar}: ${ev.facts.text.ar}` };
    }
    case 'not_acknowledged':
      return {
        en: `Report ${ref} is not acknowledged by the authority after ${minutes(ev.facts.minutes).en}; call the authority.`,
        ar: `لم تُقرّ الهيئة باستلام البلاغ ${a.ref} بعد مرور ${minutes(ev.facts.minutes).ar}؛ يرجى التواصل معها.`,
      };
    case 'authorization_lost':
      return {
        en: `raqib cannot file reports: ${ev.facts.reason}. Reports are queued until a crisis team manager or alternate signs in (raqib login).`,
        ar: `لا يستطيع رقيب تقديم البلاغات: ${isolate(ev.facts.reason)}. البلاغات محفوظة في قائمة الانتظار حتى يسجّل مدير فريق الأزمات أو البديل الدخول (${isolate('raqib login')}).`,
      };
  }
}

function failed(
  f: Extract<TeamFacts, { event: 'report_failed' }>['facts'],
  svc: string,
  a: { svc: string; ref: string; en: string },
  minutes: (n: number) => Bilingual,
): Bilingual {
  const ref = a.en;
  switch (f.why) {
    case 'refused':
      return {
        en: `The authority refused the ${f.what} for ${svc}: ${f.reason}. It will not be retried; file it by hand.`,
        ar: `رفضت الهيئة (${isolate(f.what)}) للخدمة ${a.svc}: ${isolate(f.reason)}. لن تُعاد المحاولة؛ يرجى تقديمه يدوياً.`,
      };
    case 'unfiled': {
      const why = f.lastError ? { en: ` (${f.lastError})`, ar: ` (${isolate(f.lastError)})` } : { en: '', ar: '' };
      return {
        en: `The report on ${svc} is still not filed after ${minutes(f.minutes).en}${why.en}. raqib keeps trying; if it cannot be fixed now, report by phone or the portal.`,
        ar: `لم يُقدَّم البلاغ عن الخدمة ${a.svc} بعد مرور ${minutes(f.minutes).ar}${why.ar}. يواصل رقيب المحاولة؛ وإن تعذّر ذلك فيرجى الإبلاغ هاتفياً أو عبر البوابة.`,
      };
    }
    case 'unmonitored':
      return {
        en: `raqib stopped monitoring ${svc} while its report ${ref} is open and told the authority so; file the restoration and final report by hand.`,
        ar: `توقّف رقيب عن مراقبة الخدمة ${a.svc} وبلاغها ${a.ref} مفتوح، وأبلغ الهيئة بذلك؛ يرجى تقديم تحديث العودة والتقرير النهائي يدوياً.`,
      };
    case 'reopened':
      return {
        en: `The outage of ${svc} came back after the final report of ${ref} was filed. raqib files nothing more under that report; report the new outage by phone or the portal.`,
        ar: `عاد انقطاع الخدمة ${a.svc} بعد تقديم التقرير النهائي للبلاغ ${a.ref}. لن يقدّم رقيب شيئاً آخر ضمن ذلك البلاغ؛ يرجى الإبلاغ عن الانقطاع الجديد هاتفياً أو عبر البوابة.`,
      };
    case 'withdrawn':
      return {
        en: `The maintenance window announced as ${ref} was removed or moved in the config. Ask the authority to cancel that report; a moved window is announced again.`,
        ar: `أُزيلت نافذة الصيانة المعلنة في البلاغ ${a.ref} أو نُقلت في الإعدادات. يرجى طلب إلغاء ذلك البلاغ من الهيئة؛ وتُعلن النافذة المنقولة من جديد.`,
      };
    case 'no_final':
      return {
        en: `raqib cannot file the final report of ${ref} for ${svc}: ${f.reason}. File it by hand.`,
        ar: `لا يستطيع رقيب تقديم التقرير النهائي للبلاغ ${a.ref} عن الخدمة ${a.svc}: ${isolate(f.reason)}. يرجى تقديمه يدوياً.`,
      };
  }
}
