/**
 * Drafts for the "drafts" mode: a report body laid out for a person who files it by hand in the
 * authority's portal, field by field. Arabic first, then English, each field labelled in its own
 * language; one-line values on one line, longer texts in fenced blocks so they copy verbatim
 * (line breaks included); then the evidence as a compact table. Contact details are left out:
 * the person filing is the one signed in to the portal.
 */
import type { FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import { formatNumber } from './arabic.js';
import { DEFAULT_TIME_ZONE, formatDuration, formatWhen } from './dates.js';
import { CHANNEL_TEXT, IMPACT_TEXT } from './templates.js';
import {
  CAUSE_TEXT, DRAFT_HEADINGS, DRAFT_LABELS, ROLE_TEXT, TYPE_TEXT, UPDATE_STATUS_TEXT, type DraftKind, type DraftLabels,
} from './templates-draft.js';

/** What the draft says about itself: the incident, and the authority's reference once known. */
export interface DraftMeta {
  incidentId: string;
  /** The authority's reference, once the report has one (updates and final reports). */
  reference?: string;
  /** Zone the dates are shown in; Asia/Riyadh by default. */
  timeZone?: string;
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

function reportFields(b: ReportBody, lang: Lang, l: DraftLabels, when: (iso: string) => string): string[] {
  const lines = [
    field(l.type, TYPE_TEXT[b.type][lang]),
    field(l.cause, CAUSE_TEXT[b.cause][lang]),
    field(l.entity, `${b.entity.name[lang]} (${b.entity.code})`),
    b.provider ? field(l.provider, b.provider.code) : '',
    field(l.service, `${b.service.name[lang]} (${b.service.id})`),
    field(l.channel, CHANNEL_TEXT[b.service.channel][lang]),
    field(l.impact, IMPACT_TEXT[b.impact][lang]),
    field(l.affected, formatNumber(b.beneficiaries_affected)[lang]),
    field(l.started, when(b.started_at)),
    field(l.detected, when(b.detected_at)),
    b.expected_end_at ? field(l.expectedEnd, when(b.expected_end_at)) : '',
    b.ended_at ? field(l.ended, when(b.ended_at)) : '',
    field(l.submitter, `${b.submitted_by.name[lang]} — ${ROLE_TEXT[b.submitted_by.role][lang]}`),
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

function evidenceTable(items: NonNullable<ReportBody['evidence']>): string {
  const head = '| Check | Status | Code | HTTP | Phases (ms) | Observed | Agent | Detail |\n|---|---|---|---|---|---|---|---|';
  const rows = items.map((e) => {
    const names = Object.keys(e.phases).sort((a, b) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99));
    const phases = names.map((n) => `${n} ${Math.round(e.phases[n] ?? 0)}`).join(' · ');
    return `| ${cell(e.check)} | ${e.status} | ${cell(e.code)} | ${e.http_status ?? '–'} | ${cell(phases)} | ${e.observed_at} | ${cell(e.agent_id)} | ${cell(e.detail)} |`;
  });
  return [head, ...rows].join('\n');
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
  const parts: string[] = [
    `# ${h[kind].ar} / ${h[kind].en}`,
    [
      field(`${DRAFT_LABELS.ar.incident} / ${DRAFT_LABELS.en.incident}`, meta.incidentId),
      meta.reference ? field(`${DRAFT_LABELS.ar.reference} / ${DRAFT_LABELS.en.reference}`, meta.reference) : '',
    ].filter(Boolean).join('\n'),
  ];
  for (const lang of ['ar', 'en'] as const) {
    const l = DRAFT_LABELS[lang];
    const when = (iso: string): string => formatWhen(Date.parse(iso), tz)[lang];
    parts.push(`## ${lang === 'ar' ? h.arabic.ar : h.english.en}`);
    if (kind === 'report') parts.push(...reportFields(body as ReportBody, lang, l, when));
    else if (kind === 'update') parts.push(...updateFields(body as UpdateBody, lang, l, when));
    else parts.push(...finalFields(body as FinalReportBody, lang, l, when));
  }
  if (kind !== 'final') {
    const evidence = (body as ReportBody | UpdateBody).evidence ?? [];
    parts.push(`## ${h.evidence.ar} / ${h.evidence.en}`);
    parts.push(evidence.length ? evidenceTable(evidence) : `${h.noEvidence.ar} / ${h.noEvidence.en}`);
  }
  return `${parts.join('\n\n')}\n`;
}
