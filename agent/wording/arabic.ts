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
