/**
 * The SMS a crisis team member reads at 3 a.m.: short Arabic, the event, the service by its Arabic
 * name, and the report's reference, whole, at the end. Longer words (guidance, a reason, a due time)
 * are the part cut to fit the channel's segments (sms-text.ts). Latin ids and references are
 * isolated, as in every Arabic line raqib writes, and counted with their isolates.
 */
import { bidiIsolate as isolate } from '../wording/arabic.js';
import { formatDuration, formatWhen } from '../wording/dates.js';
import { IMPACT_TEXT } from '../wording/templates-common.js';
import type { TeamEvent } from './notify.js';
import { fitSms } from './sms-text.js';

export function smsText(ev: TeamEvent, serviceName: string | undefined, maxSegments: number): string {
  const svc = isolate(serviceName ?? ev.serviceId ?? '');
  const ref = ev.report?.reference;
  const tail = ref !== undefined ? ` البلاغ ${isolate(ref)}` : '';
  const { head, detail } = words(ev, svc);
  return fitSms({ head: `رقيب: ${head}`, ...(detail !== undefined ? { detail } : {}), tail }, maxSegments);
}

function words(ev: TeamEvent, svc: string): { head: string; detail?: string } {
  switch (ev.event) {
    case 'incident_opened':
      return { head: `تأكّد انقطاع ${svc} (${IMPACT_TEXT[ev.facts.impact].ar}).` };
    case 'incident_closed':
      return ev.facts.resolution === 'recovered'
        ? { head: `انتهى انقطاع ${svc}، وعادت إلى العمل.` }
        : { head: `توقّفت مراقبة انقطاع ${svc} قبل انتهائه (أُزيلت من الإعدادات).` };
    case 'report_filed':
      return ev.facts.drafts
        ? { head: `لم يُرسَل البلاغ عن ${svc}: مسودته جاهزة، أدخلها في بوابة الهيئة الآن.` }
        : { head: `قُدّم البلاغ عن انقطاع ${svc} إلى الهيئة.` };
    case 'report_failed':
      switch (ev.facts.why) {
        case 'refused':
          return { head: `رفضت الهيئة البلاغ عن ${svc}؛ قدّمه يدوياً.`, detail: ` ${isolate(ev.facts.reason)}` };
        case 'unfiled':
          return { head: `لم يُقدَّم البلاغ عن ${svc} بعد ${formatDuration(ev.facts.minutes * 60_000).ar}؛ أبلغ هاتفياً أو عبر البوابة.` };
        case 'unmonitored':
          return { head: `توقّفت مراقبة ${svc} وبلاغها مفتوح؛ قدّم العودة والتقرير النهائي يدوياً.` };
        case 'withdrawn':
          return { head: `أُزيلت نافذة صيانة ${svc} المعلنة أو نُقلت؛ اطلب من الهيئة إلغاء بلاغها.` };
        case 'reopened':
          return { head: `عاد انقطاع ${svc} بعد التقرير النهائي؛ أبلغ عن الانقطاع الجديد هاتفياً أو عبر البوابة.` };
        case 'no_final':
          return { head: `تعذّر تقديم التقرير النهائي عن ${svc}؛ قدّمه يدوياً.`, detail: ` ${isolate(ev.facts.reason)}` };
      }
      break;
    case 'final_report_due':
      return { head: `عادت ${svc} إلى العمل. أضف الإجراءات المتخذة قبل:`, detail: ` ${formatWhen(ev.facts.due, ev.facts.timeZone).ar}` };
    case 'report_acknowledged':
      return { head: `أقرّت الهيئة باستلام البلاغ عن ${svc}.` };
    case 'returned_for_info':
      return { head: `أعادت الهيئة البلاغ عن ${svc} طالبةً معلومات إضافية.` };
    case 'guidance_received':
      return { head: `إرشادات من الهيئة بشأن ${svc}:`, detail: ` ${ev.facts.text.ar}` };
    case 'not_acknowledged':
      return { head: `لم تُقرّ الهيئة باستلام البلاغ عن ${svc} بعد ${formatDuration(ev.facts.minutes * 60_000).ar}؛ تواصل معها.` };
    case 'authorization_lost':
      return { head: `لا يستطيع رقيب تقديم البلاغات: سجّل دخول المدير أو البديل (${isolate('raqib login')}).` };
  }
  return { head: '' };
}
