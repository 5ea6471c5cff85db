/**
 * Drafts for the "drafts" mode: a report body laid out for a person who files it by hand in the
 * authority's portal, field by field. Arabic first, then English, each field labelled in its own
 * language; one-line values on one line, longer texts in fenced blocks so they copy verbatim
 * (line breaks included); then the evidence as a compact table with headers in that language.
 * In the Arabic part every Latin id, code, reference or probe text is a directional isolate, so it
 * keeps its place when shown right to left. Contact details are left out: the person filing is the
 * one signed in to the portal. Internal idempotency keys are never shown: the draft names the
 * incident (or maintenance window) and the references.
 */
import type { Bilingual, FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import { bidiIsolate, fsiIsolate, formatNumber, ltrIsolate } from './arabic.js';
import { DEFAULT_TIME_ZONE, formatDuration, formatWhen } from './dates.js';
import { CHANNEL_TEXT, IMPACT_TEXT } from './templates.js';
import {
  CAUSE_TEXT,
  DRAFT_HEADINGS,
  DRAFT_LABELS,
  EVIDENCE_HEADERS,
  EVIDENCE_STATUS_TEXT,
  ROLE_TEXT,
  TYPE_TEXT,
  UPDATE_STATUS_TEXT,
  type DraftKind,
  type DraftLabels,
} from './templates-draft.js';

/** What the draft says about itself: the incident, and the references once known. */
export interface DraftMeta {
  /**
   * The incident id (or maintenance window key) raqib's reports list shows. An idempotency key
   * given here by mistake is cut down to it: a key is never shown to people.
   */
  incidentId?: string;
  /** The authority's reference (DGA-…), once the report has one. */
  reference?: string;
  /** The draft's own reference (DRAFT-…, naming its files), in drafts mode where the authority's is not known. */
  draftReference?: string;
  /** The filer's title as configured for the crisis-team member; the role's title otherwise. */
  submitterTitle?: Bilingual;
  /** Zone the dates are shown in; Asia/Riyadh by default. */
  timeZone?: string;
}

/** Every step's suffix of an idempotency key (reporting queues `<stem><suffix>`, stem `raqib:<ENTITY>:<record key>`). */
const KEY_SUFFIX = /:(?:report|update:\d+|restored(?::\d+)?|final:\d+|in_progress|completed|extended)$/;

/**
 * The record key (incident id, or `maintenance:…` for a window) inside an idempotency key such as
 * `raqib:MOH:appointments-20261128T093000Z:restored`; a string that is not an idempotency key is
 * returned as is, and an idempotency key of another shape gives undefined (it is never shown).
 */
export function recordKeyOf(key: string): string | undefined {
  if (!key.startsWith('raqib:')) return key;
  const m = /^raqib:[^:]+:(.+)$/.exec(key.replace(KEY_SUFFIX, ''));
  return m && KEY_SUFFIX.test(key) ? m[1] : undefined;
}

type Lang = 'ar' | 'en';
type Body = ReportBody | UpdateBody | FinalReportBody;

function field(name: string, value: string): string {
  return `- ${name}: ${value}`;
}

function block(name: string, text: string): string {
  const fence = text.includes('```') ? '~~~~' : '```';
  return `${name}:\n\n${fence}text\n${text}\n${fence}`;
}

/** An id or code: left-to-right isolate in Arabic, as is in English. */
function id(text: string, lang: Lang): string {
  return lang === 'ar' ? ltrIsolate(text) : text;
}

/** A configured name: isolated in Arabic when it holds Latin letters or digits. */
function name(n: Bilingual, lang: Lang): string {
  return lang === 'ar' ? bidiIsolate(n.ar) : n.en;
}

function reportFields(b: ReportBody, lang: Lang, l: DraftLabels, when: (iso: string) => string, title?: Bilingual): string[] {
  const lines = [
    field(l.type, TYPE_TEXT[b.type][lang]),
    field(l.cause, CAUSE_TEXT[b.cause][lang]),
    field(l.entity, `${name(b.entity.name, lang)} (${id(b.entity.code, lang)})`),
    b.provider ? field(l.provider, id(b.provider.code, lang)) : '',
    field(l.service, `${name(b.service.name, lang)} (${id(b.service.id, lang)})`),
    field(l.channel, CHANNEL_TEXT[b.service.channel][lang]),
    field(l.impact, IMPACT_TEXT[b.impact][lang]),
    field(l.affected, formatNumber(b.beneficiaries_affected)[lang]),
    field(l.started, when(b.started_at)),
    field(l.detected, when(b.detected_at)),
    b.expected_end_at ? field(l.expectedEnd, when(b.expected_end_at)) : '',
    b.ended_at ? field(l.ended, when(b.ended_at)) : '',
    field(l.submitter, `${name(b.submitted_by.name, lang)} — ${(title ?? ROLE_TEXT[b.submitted_by.role])[lang]}`),
    field(l.title, b.title[lang]),
  ];
  return [lines.filter(Boolean).join('\n'), block(l.description, b.description[lang])];
}

function updateFields(b: UpdateBody, lang: Lang, l: DraftLabels, when: (iso: string) => string): string[] {
  const lines = [
    field(l.status, UPDATE_STATUS_TEXT[b.status][lang]),
    field(l.at, when(b.at)),
    b.impact ? field(l.impact, IMPACT_TEXT[b.impact][lang]) : '',
    b.beneficiaries_affected !== undefined ? field(l.affected, formatNumber(b.beneficiaries_affected)[lang]) : '',
    b.expected_end_at ? field(l.expectedEnd, when(b.expected_end_at)) : '',
    b.ended_at ? field(l.ended, when(b.ended_at)) : '',
  ];
  return [lines.filter(Boolean).join('\n'), block(l.note, b.note[lang])];
}

function finalFields(b: FinalReportBody, lang: Lang, l: DraftLabels, when: (iso: string) => string): string[] {
  const lines = [
    field(l.ended, when(b.ended_at)),
    field(l.duration, formatDuration(b.duration_seconds * 1000)[lang]),
    field(l.affected, formatNumber(b.beneficiaries_affected)[lang]),
    field(l.actionsPending, b.actions_pending ? l.yes : l.no),
  ];
  const timeline = b.timeline.map((t) => `[${when(t.at)}] ${t.event[lang]}`).join('\n');
  return [
    lines.join('\n'),
    block(l.timeline, timeline),
    ...(b.root_cause ? [block(l.rootCause, b.root_cause[lang])] : []),
    block(l.actions, b.actions_taken[lang]),
  ];
}

const PHASE_ORDER = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'];

function cell(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/\|/g, '\\|') || '–';
}

/** The evidence as a table headed in `lang`; in Arabic each Latin cell is an isolate. */
function evidenceTable(items: NonNullable<ReportBody['evidence']>, lang: Lang): string {
  const headers = EVIDENCE_HEADERS[lang];
  const head = `| ${headers.join(' | ')} |\n|${headers.map(() => '---|').join('')}`;
  const ltr = (text: string): string => (lang === 'ar' && text !== '–' ? ltrIsolate(text) : text);
  const free = (text: string): string => (lang === 'ar' && text !== '–' ? fsiIsolate(text) : text);
  const rows = items.map((e) => {
    const names = Object.keys(e.phases).sort((a, b) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99));
    const phases = names.map((n) => `${n} ${Math.round(e.phases[n] ?? 0)}`).join(' · ');
    const status = EVIDENCE_STATUS_TEXT[e.status]?.[lang] ?? e.status;
    const cells = [
      ltr(cell(e.check)),
      status,
      ltr(cell(e.code)),
      ltr(e.http_status !== undefined ? String(e.http_status) : '–'),
      ltr(cell(phases)),
      ltr(e.observed_at),
      ltr(cell(e.agent_id)),
      free(cell(e.detail)),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [head, ...rows].join('\n');
}

/** The header lines naming the incident (or window) and the references; never an idempotency key. */
function metaLines(meta: DraftMeta): string {
  const both = (which: keyof DraftLabels, value: string): string => field(`${DRAFT_LABELS.ar[which]} / ${DRAFT_LABELS.en[which]}`, ltrIsolate(value));
  const key = meta.incidentId === undefined ? undefined : recordKeyOf(meta.incidentId);
  return [
    key ? both(key.startsWith('maintenance:') ? 'window' : 'incident', key) : '',
    meta.reference ? both('reference', meta.reference) : '',
    meta.draftReference ? both('draftReference', meta.draftReference) : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** A report, update or final report body as a paste-ready bilingual document (Markdown). */
export function renderDraft(kind: 'report', body: ReportBody, meta: DraftMeta): string;
export function renderDraft(kind: 'update', body: UpdateBody, meta: DraftMeta): string;
export function renderDraft(kind: 'final', body: FinalReportBody, meta: DraftMeta): string;
/** For callers that carry the kind as data; the body must be of that kind. */
export function renderDraft(kind: DraftKind, body: Body, meta: DraftMeta): string;
export function renderDraft(kind: DraftKind, body: Body, meta: DraftMeta): string {
  const tz = meta.timeZone ?? DEFAULT_TIME_ZONE;
  const h = DRAFT_HEADINGS;
  const parts: string[] = [`# ${h[kind].ar} / ${h[kind].en}`, metaLines(meta)].filter(Boolean);
  for (const lang of ['ar', 'en'] as const) {
    const l = DRAFT_LABELS[lang];
    const when = (iso: string): string => formatWhen(Date.parse(iso), tz)[lang];
    parts.push(`## ${lang === 'ar' ? h.arabic.ar : h.english.en}`);
    if (kind === 'report') parts.push(...reportFields(body as ReportBody, lang, l, when, meta.submitterTitle));
    else if (kind === 'update') parts.push(...updateFields(body as UpdateBody, lang, l, when));
    else parts.push(...finalFields(body as FinalReportBody, lang, l, when));
    if (kind !== 'final') {
      const evidence = (body as ReportBody | UpdateBody).evidence ?? [];
      parts.push(`### ${h.evidence[lang]}`);
      parts.push(evidence.length ? evidenceTable(evidence, lang) : h.noEvidence[lang]);
    }
  }
  return `${parts.join('\n\n')}\n`;
}
