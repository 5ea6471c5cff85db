/**
 * SMS segments, counted as a phone network counts them, and texts cut to fit. A text all in the
 * GSM 03.38 alphabet goes as GSM-7: 160 septets alone, 153 a part when concatenated (the rest of a
 * part holds the concatenation header); a character of the extension table (€ [ ] { } \ ^ ~ | and
 * form feed) takes two septets, and both stay in one part. Any other character (all Arabic) makes
 * the whole text UCS-2: 70 UTF-16 code units alone, 67 a part, and a surrogate pair (an emoji)
 * stays in one part. Pure: the notifier and its tests use it.
 */

const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export type SmsEncoding = 'gsm7' | 'ucs2';

/** Capacity of one SMS alone, and of each part of a concatenated one, in the encoding's units. */
export const SMS_CAPACITY: Record<SmsEncoding, { single: number; part: number }> = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
};

export interface SmsCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

export function smsEncoding(text: string): SmsEncoding {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return 'ucs2';
  return 'gsm7';
}

/** Units one character (a code point) takes in the encoding. */
function cost(ch: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? (EXTENSION.has(ch) ? 2 : 1) : ch.length;
}

/** How many segments `text` is sent as. */
export function countSms(text: string): SmsCount {
  const encoding = smsEncoding(text);
  const { single, part } = SMS_CAPACITY[encoding];
  let units = 0;
  let segments = text === '' ? 0 : 1;
  let used = 0; // units in the current part, were the text concatenated
  for (const ch of text) {
    const c = cost(ch, encoding);
    units += c;
    if (used + c > part) {
      segments++;
      used = 0;
    }
    used += c;
  }
  // Concatenated parts counted above; a text that fits one SMS alone is one segment.
  return { encoding, units, segments: units <= single ? Math.min(segments, 1) : segments };
}

/**
 * The leading `n` code points of `text` (never half a surrogate pair), with any directional isolate
 * they open closed again (PDI), so the cut cannot pull what follows into it.
 */
function firstCodePoints(text: string, n: number): string {
  const kept = Array.from(text).slice(0, n).join('').trimEnd();
  const open = (kept.match(/[\u2066-\u2068]/g)?.length ?? 0) - (kept.match(/\u2069/g)?.length ?? 0);
  return open > 0 ? kept + '\u2069'.repeat(open) : kept;
}

/**
 * `head + detail + tail` cut to at most `maxSegments` segments: the detail first, then the head,
 * each cut marked with "…" ("..." in GSM-7); the tail (the report reference) is never cut. Characters are whole code
 * points, so a surrogate pair is never split, and an isolate the cut leaves open is closed.
 */
export function fitSms(parts: { head: string; detail?: string; tail?: string }, maxSegments: number): string {
  const detail = parts.detail ?? '';
  const tail = parts.tail ?? '';
  const fits = (s: string) => countSms(s).segments <= maxSegments;
  const whole = parts.head + detail + tail;
  if (fits(whole)) return whole;
  // "…" is not in the GSM alphabet: it would make a GSM-7 text UCS-2, and halve its room.
  const mark = smsEncoding(whole) === 'gsm7' ? '...' : '…';
  const cut = (kept: string, text: string, after: string): string | undefined => {
    const chars = Array.from(text);
    // The longest prefix that fits, found by halving: the count grows with the prefix.
    let lo = 0;
    let hi = chars.length - 1;
    let best: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const candidate = `${kept}${firstCodePoints(text, mid)}${mark}${after}`;
      if (fits(candidate)) {
        best = candidate;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  };
  return (detail !== '' ? cut(parts.head, detail, tail) : undefined) ?? cut('', parts.head, tail) ?? tail;
}
