/**
 * Small pieces of Arabic typography the report texts need: Arabic-Indic digits, grouped numbers,
 * and the agreement of a counted noun with its number. Kept apart so the rules are tested once.
 */

const DIGITS = '٠١٢٣٤٥٦٧٨٩';

/** Western digits to Arabic-Indic (٠–٩); everything else is kept as is. */
export function toArabicDigits(text: string | number): string {
  return String(text).replace(/[0-9]/g, (d) => DIGITS[Number(d)] ?? d);
}

const AR_NUMBER = new Intl.NumberFormat('ar-SA', { maximumFractionDigits: 0 });
const EN_NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A whole number grouped for each language: "1,234" and "١٬٢٣٤". */
export function formatNumber(n: number): { ar: string; en: string } {
  return { ar: AR_NUMBER.format(n), en: EN_NUMBER.format(n) };
}

/**
 * The forms of a counted noun: one (with واحد/واحدة), two (the dual, nominative), few (3–10:
 * plural), many (11–99: accusative singular) and hundred (round hundreds and zero: genitive
 * singular).
 */
export interface CountedForms {
  one: string;
  two: string;
  few: string;
  many: string;
  hundred: string;
}

/**
 * A number with its counted noun as Modern Standard Arabic writes it with digits: «ساعة واحدة»,
 * «ساعتان», «٣ ساعات», «١٥ ساعة», «١٠٠ ساعة»; agreement follows the last two digits.
 */
export function arabicCounted(n: number, forms: CountedForms): string {
  if (n === 1) return forms.one;
  if (n === 2) return forms.two;
  const lastTwo = n % 100;
  const noun = lastTwo >= 3 && lastTwo <= 10 ? forms.few : lastTwo >= 11 ? forms.many : forms.hundred;
  return `${toArabicDigits(n)} ${noun}`;
}

/** LEFT-TO-RIGHT ISOLATE: opens a run that is always left to right (ids, codes, URLs). */
export const LRI = '\u2066';
/** FIRST STRONG ISOLATE: opens a run whose direction is that of its first strong letter. */
export const FSI = '\u2068';
/** POP DIRECTIONAL ISOLATE: closes an LRI or FSI run. */
export const PDI = '\u2069';

const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
const LATIN_OR_DIGIT = /[A-Za-z0-9\u00C0-\u024F]/;
const ISOLATED = /^[\u2066\u2067\u2068][^\u2066-\u2069]*\u2069$/;

/** `text` as a left-to-right isolate (LRI … PDI): for ids, codes, references, URLs and hosts. */
export function ltrIsolate(text: string | number): string {
  const s = String(text);
  return s === '' || ISOLATED.test(s) ? s : `${LRI}${s}${PDI}`;
}

/** `text` as a first-strong isolate (FSI … PDI): for free text of unknown direction. */
export function fsiIsolate(text: string | number): string {
  const s = String(text);
  return s === '' || ISOLATED.test(s) ? s : `${FSI}${s}${PDI}`;
}

/**
 * A value to interpolate into an Arabic sentence so that it keeps its place when the line is shown
 * right to left: plain Arabic (no Latin letters, no Western digits) is returned as is; text with no
 * Arabic letter (an id, a code such as HTTP_STATUS, a reference such as DGA-2026-000001, a URL, a
 * host, "dns 2 · total 78") is wrapped in LRI … PDI; mixed text (an Arabic name with a Latin word)
 * in FSI … PDI. Already isolated text is returned as is. Only for Arabic text: English never needs it.
 */
export function bidiIsolate(text: string | number): string {
  const s = String(text);
  if (!LATIN_OR_DIGIT.test(s)) return s;
  return ARABIC_LETTER.test(s) ? fsiIsolate(s) : ltrIsolate(s);
}

/** Whether most letters of `text` are Arabic (ties count as Arabic); false when it has no letters. */
export function isMostlyArabic(text: string): boolean {
  let arabic = 0;
  let other = 0;
  for (const ch of text) {
    if (ARABIC_LETTER.test(ch)) arabic += 1;
    else if (/\p{L}/u.test(ch)) other += 1;
  }
  return arabic > 0 && arabic >= other;
}
