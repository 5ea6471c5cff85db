/**
 * The per-check families of /metrics as the text format writes them: their names and help, and
 * how a check's kept values read as lines. CheckSeries (check-series.ts) keeps the values and the
 * cached text.
 */
import { CHECK_STATES, type CheckState } from '../detect/transition.js';
import type { Block } from './check-series.js';
import type { CheckPhases } from './phase-lines.js';

export interface Family {
  name: string;
  help: string;
  /** Its HELP and TYPE lines. */
  header: string;
  /**
   * A check's line(s), for a family whose block text is made line by line (all but the phases,
   * which phase-lines.ts writes over in place): made only when a block's text is.
   */
  line?: (c: CheckLines) => string;
}

/** A family whose block text is made from a line per check. */
export type LineFamily = Family & { line: (c: CheckLines) => string };

/** A family with its header, made once from its name and help. */
function family(f: { name: string; help: string }): Family {
  return { name: f.name, help: f.help, header: ['# HELP ', f.name, ' ', f.help, '\n# TYPE ', f.name, ' gauge\n'].join('') };
}
/** The same, for a family made line by line. */
function lineFamily(f: { name: string; help: string; line: (c: CheckLines) => string }): LineFamily {
  return { ...family(f), line: f.line };
}

export const SUCCESS: LineFamily = lineFamily({
  name: 'raqib_probe_success',
  help: 'Whether the last probe succeeded (up or degraded = 1, down = 0).',
  line: (c) => (c.up === undefined ? '' : c.successPrefix + (c.up ? '1\n' : '0\n')),
});
export const PHASE: Family = family({
  name: 'raqib_probe_phase_seconds',
  help: 'Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).',
});
export const HTTP_STATUS: LineFamily = lineFamily({
  name: 'raqib_probe_http_status_code',
  help: 'HTTP status code of the last answer (0 when none arrived).',
  line: (c) => (c.httpStatus === undefined ? '' : `${HTTP_STATUS.name}{${c.labels}} ${c.httpStatus}\n`),
});
export const CERT_EXPIRY: LineFamily = lineFamily({
  name: 'raqib_probe_tls_cert_expiry_timestamp_seconds',
  help: 'Earliest expiry in the certificate chain the peer presented (leaf or intermediate) to the last probe that saw one.',
  line: (c) => (c.certExpiry === undefined ? '' : `${CERT_EXPIRY.name}{${c.labels}} ${num(c.certExpiry)}\n`),
});
export const STATE: LineFamily = lineFamily({
  name: 'raqib_check_state',
  help: 'Current state of each check (1 for the current state).',
  line: (c) => CHECK_STATES.map((s) => `${STATE.name}{${c.labels},state="${s}"} ${s === c.state ? '1' : '0'}\n`).join(''),
});

/** Families in the order they are rendered. */
export const CHECK_FAMILIES: readonly Family[] = [SUCCESS, PHASE, HTTP_STATUS, CERT_EXPIRY, STATE];

export const byLine = (f: Family): f is LineFamily => f.line !== undefined;

/** What CheckSeries keeps of a check. */
export interface CheckLines {
  /** `service="…",check="…"` — ids are from a safe alphabet, escaped anyway. */
  labels: string;
  type: string;
  /** The start of the raqib_probe_success line, up to its value: the same for every probe. */
  successPrefix: string;
  block: Block;
  /** When it was added (CheckSeries.generation): a scrape leaves out checks added after it began. */
  added: number;
  /** The raqib_probe_phase_seconds values of the last probe (none before the first). */
  phases: CheckPhases;
  /** The values of the other families; undefined until a probe gave one (no series then). */
  up?: boolean;
  httpStatus?: number;
  certExpiry?: number;
  state: CheckState;
}

const needsEscape = /[\\\n"]/;
/** A label value as the text format wants it: `\`, `"` and newlines escaped. */
export const escapeLabelValue = (v: string): string => (needsEscape.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);
export const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

/**
 * The parts as one flat string. `+` and template literals give V8 ropes (cons-strings: a 32-byte
 * node per concatenation, the parts kept as they are), and a cached line would keep its rope for
 * as long as it is cached. `join` copies the parts into one new sequential string (with two parts
 * or more: a single one could come back as it is).
 */
export const flat = (parts: string[]): string => parts.join('');

/**
 * Text in a Buffer of its own: a small Buffer.from() is a slice of Node's shared 8 KiB pool, which
 * a cached slice would keep whole.
 */
export function ownBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}
