/**
 * Labels of the drafts a person pastes into the authority's portal ("drafts" mode): the field
 * names in each language, and the words for the contract's enumerations. Part of the wording a
 * translator reviews; the portal's own Arabic names are used where they are public.
 */
import type { Bilingual, ReportType, UPDATE_STATUSES } from '../authority/contract.js';
import { ltrIsolate } from './arabic.js';

/** An update's status as the contract lists them. */
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];
/** The three documents a draft can be. */
export type DraftKind = 'report' | 'update' | 'final';

/** Field labels of a draft, one set per language. */
export interface DraftLabels {
  incident: string;
  window: string;
  reference: string;
  draftReference: string;
  type: string;
  cause: string;
  entity: string;
  provider: string;
  service: string;
  channel: string;
  impact: string;
  affected: string;
  started: string;
  detected: string;
  expectedEnd: string;
  ended: string;
  submitter: string;
  title: string;
  description: string;
  status: string;
  at: string;
  note: string;
  duration: string;
  timeline: string;
  rootCause: string;
  actions: string;
  actionsPending: string;
  yes: string;
  no: string;
}

/** The labels in Arabic and English. */
export const DRAFT_LABELS: Readonly<{ ar: DraftLabels; en: DraftLabels }> = {
  ar: {
    incident: 'رقم الحادثة',
    window: 'نافذة الصيانة',
    reference: 'المرجع لدى الهيئة',
    draftReference: 'مرجع المسودة',
    type: 'نوع البلاغ',
    cause: 'سبب البلاغ',
    entity: 'الجهة',
    provider: 'الجهة المقدمة للخدمة',
    service: 'الخدمة',
    channel: 'القناة',
    impact: 'نطاق الأثر',
    affected: 'العدد التقديري للمستفيدين المتأثرين',
    started: 'وقت البدء',
    detected: 'وقت الرصد',
    expectedEnd: 'موعد الانتهاء المتوقع',
    ended: 'وقت الانتهاء',
    submitter: 'مقدّم البلاغ',
    title: 'العنوان',
    description: 'الوصف',
    status: 'الحالة',
    at: 'وقت التحديث',
    note: 'الملاحظة',
    duration: 'المدة',
    timeline: 'التسلسل الزمني',
    rootCause: 'السبب الجذري',
    actions: 'الإجراءات المتخذة',
    actionsPending: 'الإجراءات ستُقدَّم لاحقاً',
    yes: 'نعم',
    no: 'لا',
  },
  en: {
    incident: 'Incident',
    window: 'Maintenance window',
    reference: 'Authority reference',
    draftReference: 'Draft reference',
    type: 'Report type',
    cause: 'Cause',
    entity: 'Entity',
    provider: 'Providing entity',
    service: 'Service',
    channel: 'Channel',
    impact: 'Impact',
    affected: 'Estimated beneficiaries affected',
    started: 'Started',
    detected: 'Detected',
    expectedEnd: 'Expected end',
    ended: 'Ended',
    submitter: 'Submitted by',
    title: 'Title',
    description: 'Description',
    status: 'Status',
    at: 'Update time',
    note: 'Note',
    duration: 'Duration',
    timeline: 'Timeline',
    rootCause: 'Root cause',
    actions: 'Actions taken',
    actionsPending: 'Actions to follow',
    yes: 'Yes',
    no: 'No',
  },
};

/** Headings of the whole draft and of its parts. */
export const DRAFT_HEADINGS = {
  report: { ar: 'مسودة بلاغ إلى هيئة الحكومة الرقمية', en: 'Draft report to the Digital Government Authority' },
  update: { ar: 'مسودة تحديث على بلاغ لدى هيئة الحكومة الرقمية', en: 'Draft update of a report to the Digital Government Authority' },
  final: { ar: 'مسودة التقرير النهائي إلى هيئة الحكومة الرقمية', en: 'Draft final report to the Digital Government Authority' },
  arabic: { ar: 'العربية', en: 'Arabic' },
  english: { ar: 'الإنجليزية', en: 'English' },
  evidence: { ar: 'الأدلة', en: 'Evidence' },
  noEvidence: { ar: 'لا توجد أدلة مرفقة', en: 'No evidence attached' },
} as const satisfies Record<string, Bilingual>;

/** The portal's names of the three report types (service card s9190). */
export const TYPE_TEXT: Readonly<Record<ReportType, Bilingual>> = {
  own_service_outage: { ar: 'الإبلاغ عن انقطاع خدمة رقمية', en: 'Report the outage of a digital service' },
  consumed_service_outage: {
    ar: 'الإبلاغ عن انقطاع خدمة رقمية حكومية تستفيد منها الجهة',
    en: 'Report the outage of a government digital service the entity uses',
  },
  scheduled_maintenance: {
    ar: 'الإبلاغ عن تحديث أو صيانة مجدولة ينتج عنها انقطاع خدمة',
    en: 'Report an update or scheduled maintenance that interrupts a service',
  },
};

/** The report's cause: an unplanned incident or planned work. */
export const CAUSE_TEXT: Readonly<Record<'incident' | 'planned', Bilingual>> = {
  incident: { ar: 'عطل طارئ', en: 'Unplanned incident' },
  planned: { ar: 'أعمال مخططة', en: 'Planned work' },
};

/** An update's status in words. */
export const UPDATE_STATUS_TEXT: Readonly<Record<UpdateStatus, Bilingual>> = {
  ongoing: { ar: 'العطل مستمر', en: 'Ongoing' },
  restored: { ar: 'عادت الخدمة', en: 'Restored' },
  in_progress: { ar: 'الصيانة جارية', en: 'Maintenance in progress' },
  completed: { ar: 'اكتملت الصيانة', en: 'Maintenance completed' },
  extended: { ar: 'مُدِّدت الصيانة', en: 'Maintenance extended' },
};

/** A crisis-team member's title by role, used unless the member's config gives a `title`. */
export const ROLE_TEXT: Readonly<Record<'manager' | 'alternate' | 'member', Bilingual>> = {
  manager: { ar: 'مدير فريق إدارة الأزمات', en: 'Crisis management team manager' },
  alternate: { ar: 'بديل مدير فريق إدارة الأزمات', en: 'Alternate of the crisis management team manager' },
  member: { ar: 'عضو فريق إدارة الأزمات', en: 'Crisis management team member' },
};

/**
 * A member's title as written for people: the configured `title` (مديرة فريق الأزمات, Head of
 * Operations, …) when given, else the role's title from {@link ROLE_TEXT}.
 */
export function memberTitle(member: { role: 'manager' | 'alternate' | 'member'; title?: Bilingual | undefined }): Bilingual {
  const t = member.title;
  return t && t.ar.trim() && t.en.trim() ? { ar: t.ar.trim(), en: t.en.trim() } : ROLE_TEXT[member.role];
}

/** An evidence item's status in words, for the evidence table. */
export const EVIDENCE_STATUS_TEXT: Readonly<Record<'down' | 'degraded' | 'up', Bilingual>> = {
  down: { ar: 'متعطل', en: 'down' },
  degraded: { ar: 'أداء متدهور', en: 'degraded' },
  up: { ar: 'يعمل', en: 'up' },
};

/** Column headers of the evidence table, one set per language. */
export const EVIDENCE_HEADERS: Readonly<{ ar: readonly string[]; en: readonly string[] }> = {
  ar: ['الفحص', 'الحالة', 'الرمز', `رمز حالة ${ltrIsolate('HTTP')}`, 'المراحل (ملّي ثانية)', 'وقت الرصد', 'الوكيل', 'التفاصيل'],
  en: ['Check', 'Status', 'Code', 'HTTP', 'Phases (ms)', 'Observed', 'Agent', 'Detail'],
};
