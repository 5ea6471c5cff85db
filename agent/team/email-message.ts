/**
 * A team notification as e-mail: the subject in both languages, Arabic first; a text/plain part
 * (Arabic, then English) and a text/html part whose Arabic block is right to left (`<html lang="ar"
 * dir="rtl">`) and whose English block is `lang="en" dir="ltr"`. Every value put into the HTML is
 * escaped. Built once, when the notification is queued, and kept in the outbox entry: a resend is
 * the same message under the same Message-ID.
 */
import { createHash } from 'node:crypto';
import type { Bilingual } from '../authority/contract.js';
import { bidiIsolate as isolate } from '../wording/arabic.js';
import { formatWhen } from '../wording/dates.js';
import type { TeamEvent } from './notify.js';

/** What the outbox keeps of an e-mail notification: what is sent, as it is sent. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  /** `<…@domain>`, from the idempotency key: a resend after a crash carries the same one. */
  messageId: string;
  /** The event's time (ISO 8601), the message's Date. */
  date: string;
}

export interface EmailContext {
  entity: { code: string; name: Bilingual };
  agentId: string;
  timeZone: string;
  /** The service's name as configured, when the event is about one. */
  serviceName?: Bilingual;
  from: string;
  idempotencyKey: string;
}

const TITLES: Record<TeamEvent['event'], Bilingual> = {
  incident_opened: { ar: 'انقطاع مؤكد', en: 'Outage confirmed' },
  incident_closed: { ar: 'انتهى الانقطاع', en: 'Outage over' },
  report_filed: { ar: 'قُدّم البلاغ', en: 'Report filed' },
  report_failed: { ar: 'البلاغ يحتاج إلى تدخّل', en: 'Report needs a person' },
  report_acknowledged: { ar: 'أقرّت الهيئة بالاستلام', en: 'Acknowledged by the authority' },
  guidance_received: { ar: 'إرشادات من الهيئة', en: 'Guidance from the authority' },
  returned_for_info: { ar: 'أُعيد البلاغ لمعلومات إضافية', en: 'Returned for more information' },
  not_acknowledged: { ar: 'لم تُقرّ الهيئة بالاستلام', en: 'Not acknowledged' },
  authorization_lost: { ar: 'تعذّر تقديم البلاغات: تسجيل الدخول مفقود', en: 'Sign-in lost: reports cannot be filed' },
  final_report_due: { ar: 'التقرير النهائي مطلوب', en: 'Final report due' },
};

const LABELS = {
  entity: { ar: 'الجهة', en: 'Entity' },
  service: { ar: 'الخدمة', en: 'Service' },
  report: { ar: 'البلاغ', en: 'Report' },
  at: { ar: 'الوقت', en: 'Time' },
  agent: { ar: 'الوكيل', en: 'Agent' },
} as const;

/** The Message-ID: a digest of the idempotency key, at the sender's domain. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^@\s>]+)$/.exec(from)?.[1] ?? 'raqib.invalid';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}.raqib@${domain}>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function emailContent(ev: TeamEvent, message: Bilingual, ctx: EmailContext): EmailContent {
  const title = TITLES[ev.event];
  const ref = ev.report?.reference ?? ev.report?.key;
  const service = ev.serviceId !== undefined ? (ctx.serviceName ?? { ar: ev.serviceId, en: ev.serviceId }) : undefined;
  const when = formatWhen(ev.at, ctx.timeZone);
  const about = service ? { ar: ` · ${isolate(service.ar)}`, en: ` · ${service.en}` } : { ar: '', en: '' };
  const subject = `رقيب: ${title.ar}${about.ar}${ref ? ` ${isolate(ref)}` : ''} — raqib: ${title.en}${about.en}${ref ? ` ${ref}` : ''}`;

  // Rows of facts, each as [label, value] in one language.
  const rows = (lang: 'ar' | 'en'): [string, string][] => {
    const iso = lang === 'ar' ? isolate : (s: string) => s;
    const out: [string, string][] = [[LABELS.entity[lang], `${ctx.entity.name[lang]} (${iso(ctx.entity.code)})`]];
    if (service && ev.serviceId !== undefined) {
      out.push([LABELS.service[lang], service[lang] === ev.serviceId ? iso(ev.serviceId) : `${iso(service[lang])} (${iso(ev.serviceId)})`]);
    }
    if (ref) out.push([LABELS.report[lang], iso(ref)]);
    out.push([LABELS.at[lang], when[lang]], [LABELS.agent[lang], iso(ctx.agentId)]);
    return out;
  };
  const textBlock = (lang: 'ar' | 'en') => [message[lang], '', ...rows(lang).map(([k, v]) => `${k}: ${v}`)].join('\n');
  const htmlBlock = (lang: 'ar' | 'en') => {
    const dir = lang === 'ar' ? 'rtl' : 'ltr';
    const align = lang === 'ar' ? 'right' : 'left';
    const cells = rows(lang)
      .map(([k, v]) => `<tr><th style="text-align:${align};padding:2px 8px">${escapeHtml(k)}</th><td style="padding:2px 8px">${escapeHtml(v)}</td></tr>`)
      .join('\n');
    return [
      `<div lang="${lang}" dir="${dir}" style="text-align:${align}">`,
      `<h2 style="font-size:18px">${escapeHtml(title[lang])}</h2>`,
      `<p>${escapeHtml(message[lang]).replace(/\n/g, '<br>')}</p>`,
      `<table style="border-collapse:collapse">\n${cells}\n</table>`,
      '</div>',
    ].join('\n');
  };
  const html = [
    '<!DOCTYPE html>',
    '<html lang="ar" dir="rtl">',
    `<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:Tahoma,Arial,sans-serif">',
    htmlBlock('ar'),
    '<hr>',
    htmlBlock('en'),
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return {
    subject,
    text: `${textBlock('ar')}\n\n—\n\n${textBlock('en')}\n`,
    html,
    messageId: messageIdFor(ctx.idempotencyKey, ctx.from),
    date: new Date(ev.at).toISOString(),
  };
}
