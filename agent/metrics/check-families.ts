/**
 * The per-check families of /metrics as the text format writes them: their names and help, and
 * how a check's kept values read as lines. CheckSeries (check-series.ts) keeps the values and the
 * cached text.
 */
import { CHECK_STATES, type CheckState } from '../detect/transition.js';
import type { Block } from './check-series.js';

export interface Family {
  name: string;
  help: string;
  /** Its HELP and TYPE lines. */
  header: string;
  /**
   * A check's line(s), for a family whose text is cached by block (all but the phases, which a
   * scrape writes anew): made only when a block's text is.
   */
  line?: (c: CheckLines) => string;
}

/** A family whose text CheckSeries caches by block. */
export type CachedFamily = Family & { line: (c: CheckLines) => string };

/** A family with its header, made once from its name and help. */
function family(f: { name: string; help: string }): Family {
  return { name: f.name, help: f.help, header: ['# HELP ', f.name, ' ', f.help, '\n# TYPE ', f.name, ' gauge\n'].join('') };
}
/** The same, for a family whose text is cached by block. */
function cachedFamily(f: { name: string; help: string; line: (c: CheckLines) => string }): CachedFamily {
  return { ...family(f), line: f.line };
}

export const SUCCESS: CachedFamily = cachedFamily({
  name: 'raqib_probe_success',
  help: 'Whether the last probe succeeded (up or degraded = 1, down = 0).',
  line: (c) => (c.up === undefined ? '' : c.successPrefix + (c.up ? '1\n' : '0\n')),
});
export const PHASE: Family = family({ name: 'raqib_probe_phase_seconds', help: 'Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).' });
export const HTTP_STATUS: CachedFamily = cachedFamily({
  name: 'raqib_probe_http_status_code',
  help: 'HTTP status code of the last answer (0 when none arrived).',
  line: (c) => (c.httpStatus === undefined ? '' : `${HTTP_STATUS.name}{${c.labels}} ${c.httpStatus}\n`),
});
export const CERT_EXPIRY: CachedFamily = cachedFamily({
  name: 'raqib_probe_tls_cert_expiry_timestamp_seconds',
  help: 'Expiry of the peer certificate seen by the last probe.',
  line: (c) => (c.certExpiry === undefined ? '' : `${CERT_EXPIRY.name}{${c.labels}} ${num(c.certExpiry)}\n`),
});
export const STATE: CachedFamily = cachedFamily({
  name: 'raqib_check_state',
  help: 'Current state of each check (1 for the current state).',
  line: (c) => CHECK_STATES.map((s) => `${STATE.name}{${c.labels},state="${s}"} ${s === c.state ? '1' : '0'}\n`).join(''),
});

/** Families in the order they are rendered. */
export const CHECK_FAMILIES: readonly Family[] = [SUCCESS, PHASE, HTTP_STATUS, CERT_EXPIRY, STATE];

export const isCached = (f: Family): f is CachedFamily => f.line !== undefined;

/** What CheckSeries keeps of a check. */
export interface CheckLines {
  /** `service="…",check="…"` — ids are from a safe alphabet, escaped anyway. */
  labels: string;
  type: string;
  /** The start of the raqib_probe_success line, up to its value: the same for every probe. */
  successPrefix: string;
  /** The start of its raqib_probe_phase_seconds lines, up to the phase's name, and its UTF-8 bytes. */
  phasePrefix: string;
  phasePrefixBytes: number;
  block: Block;
  /** When it was added (CheckSeries.generation): a scrape leaves out checks added after it began. */
  added: number;
  /** Removed: a scrape that copied its block's list before the removal leaves it out. */
  removed: boolean;
  /**
   * The last probe's phases in whole microseconds, in the order of PHASES (check-series.ts); NaN
   * for one it did not reach. Undefined before the first probe.
   */
  phases?: number[];
  /** The values of the other families; undefined until a probe gave one (no series then). */
  up?: boolean;
  httpStatus?: number;
  certExpiry?: number;
  state: CheckState;
}

const needsEscape = /[\\\n"]/;
/** A label value as the text format wants it: `\`, `"` and newlines escaped. */
export const escapeLabelValue = (v: string): string =>
  needsEscape.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
/** Six zeros and fewer, to pad a fraction of a second in microseconds to its six digits. */
const ZEROS = ['000000', '00000', '0000', '000', '00', '0', ''];

/**
 * Seconds as text from a whole number of microseconds: `1234` → `0.001234`, `2500000` → `2.5`.
 * The value the text format reads back is `us / 1e6`, as num() would write it, but as a probe's
 * phases are timed (to 10 µs) it reads `0.00012` where num(0.12 / 1000) gives
 * `0.00011999999999999999`, and it takes half the time: a scrape at 20,000 checks writes ~72,000.
 */
export function microsText(us: number): string {
  if (!Number.isSafeInteger(us) || us < 0) return num(us / 1e6);
  const whole = Math.floor(us / 1e6);
  const fraction = us - whole * 1e6;
  if (fraction === 0) return String(whole);
  const digits = String(fraction);
  let end = 6;
  const padded = ZEROS[digits.length]! + digits;
  while (padded.charCodeAt(end - 1) === 48 /* 0 */) end--;
  return `${whole}.${padded.slice(0, end)}`;
}

/** Most bytes writeMicros() writes: 16 digits of a safe integer, its point. */
export const MICROS_MAX_BYTES = 17;

/**
 * microsText(us) written as ASCII into `into` at `at`, with no string made; the bytes written.
 * `into` must have MICROS_MAX_BYTES from `at` (or room for num(us / 1e6) when `us` is not a whole
 * number of microseconds).
 */
export function writeMicros(us: number, into: Uint8Array, at: number): number {
  if (!Number.isSafeInteger(us) || us < 0) {
    const text = num(us / 1e6);
    for (let i = 0; i < text.length; i++) into[at + i] = text.charCodeAt(i);
    return text.length;
  }
  const whole = Math.floor(us / 1e6);
  let fraction = us - whole * 1e6;
  let p = at;
  // The whole seconds, most significant digit first.
  let digits = 1;
  for (let w = whole; w >= 10; w = Math.floor(w / 10)) digits++;
  for (let i = digits - 1, w = whole; i >= 0; i--, w = Math.floor(w / 10)) into[p + i] = 48 + (w % 10);
  p += digits;
  if (fraction === 0) return p - at;
  // Six digits of fraction, less its trailing zeros.
  let places = 6;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places--;
  }
  into[p++] = 46; // .
  for (let i = places - 1; i >= 0; i--, fraction = Math.floor(fraction / 10)) into[p + i] = 48 + (fraction % 10);
  return p + places - at;
}

export const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

/**
 * The parts as one flat string. `+` and template literals give V8 ropes (cons-strings: a 32-byte
 * node per concatenation, the parts kept as they are), and a cached line would keep its rope for
 * as long as it is cached. `join` copies the parts into one new sequential string (with two parts
 * or more: a single one could come back as it is).
 */
export const flat = (parts: string[]): string => parts.join('');
