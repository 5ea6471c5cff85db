/**
 * Free text the crisis team types (root cause, actions taken) for the final report. The team may
 * give both languages; when it gives one, raqib does not pretend to have translated it: the text
 * goes to its own language's field, and the other field carries the same text after a short note
 * saying it was given in the other language only.
 */
import type { Bilingual } from '../authority/contract.js';
import { fsiIsolate, isMostlyArabic } from './arabic.js';

/** What the team may give: one string in either language, or the two languages (either may be missing). */
export type TeamTextInput = string | { ar?: string; en?: string };

/** Put before Arabic-only text in the English field. */
export const GIVEN_IN_ARABIC_ONLY = '(given in Arabic only)';
/** Put before English-only text in the Arabic field. */
export const GIVEN_IN_ENGLISH_ONLY = '(قُدّم باللغة الإنجليزية فقط)';

/** The language a text is written in: Arabic when most of its letters are Arabic, English otherwise. */
export function textLanguage(text: string): 'ar' | 'en' {
  return isMostlyArabic(text) ? 'ar' : 'en';
}

function oneLanguage(text: string, lang: 'ar' | 'en'): Bilingual {
  if (lang === 'ar') return { ar: text, en: `${GIVEN_IN_ARABIC_ONLY} ${text}` };
  // Each line isolated: an isolate ends at a line break, and the Arabic field is shown right to left.
  const isolated = text
    .split('\n')
    .map((line) => (line.trim() ? fsiIsolate(line) : line))
    .join('\n');
  return { ar: `${GIVEN_IN_ENGLISH_ONLY} ${isolated}`, en: text };
}

const textOf = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/**
 * The team's words as the report's two fields, or undefined when nothing (or only blanks) was
 * given. Accepts a string (its language is detected from its letters) or `{ar, en}` (either may be
 * missing or blank); anything else, e.g. a malformed API body, gives undefined. Both languages
 * given: used as given. Idempotent: its own output comes back unchanged.
 */
export function teamText(input: TeamTextInput | undefined): Bilingual | undefined;
/** For a request body not checked yet: anything that is not a string or an object gives undefined. */
export function teamText(input: unknown): Bilingual | undefined;
export function teamText(input: unknown): Bilingual | undefined {
  if (typeof input === 'string') {
    const text = input.trim();
    return text ? oneLanguage(text, textLanguage(text)) : undefined;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const given = input as { ar?: unknown; en?: unknown };
  const ar = textOf(given.ar);
  const en = textOf(given.en);
  if (ar && en) return { ar, en };
  if (ar) return oneLanguage(ar, 'ar');
  if (en) return oneLanguage(en, 'en');
  return undefined;
}
