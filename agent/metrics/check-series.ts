/**
 * The per-check metric families — 13 series a check, 130,000 at 10,000 checks — kept as
 * pre-rendered exposition lines that change only when a probe result or a state does. A scrape
 * then joins cached strings instead of formatting every series again: prom-client's generic
 * formatting of these families took ~250 ms a scrape at 10,000 checks (blocking the event loop,
 * and with it every probe's timing), joining takes a few milliseconds. The other families (per
 * service, per agent) stay in the prom-client Registry; `Metrics.render()` serves both.
 */
import { freshString } from '../config/fresh-copy.js';
import { CHECK_STATES, type CheckState } from '../detect/transition.js';
import type { ProbeResult } from '../probes/types.js';
import { PIECE_CHARS, PieceJoiner } from '../slices.js';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;

interface Family {
  name: string;
  help: string;
}

const SUCCESS: Family = { name: 'raqib_probe_success', help: 'Whether the last probe succeeded (up or degraded = 1, down = 0).' };
const PHASE: Family = { name: 'raqib_probe_phase_seconds', help: 'Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).' };
const HTTP_STATUS: Family = { name: 'raqib_probe_http_status_code', help: 'HTTP status code of the last answer (0 when none arrived).' };
const CERT_EXPIRY: Family = { name: 'raqib_probe_tls_cert_expiry_timestamp_seconds', help: 'Expiry of the peer certificate seen by the last probe.' };
const STATE: Family = { name: 'raqib_check_state', help: 'Current state of each check (1 for the current state).' };

/** Families in the order they are rendered; the index is the slot in CheckLines.lines. */
export const CHECK_FAMILIES: readonly Family[] = [SUCCESS, PHASE, HTTP_STATUS, CERT_EXPIRY, STATE];

const HEADERS = CHECK_FAMILIES.map((f) => ['# HELP ', f.name, ' ', f.help, '\n# TYPE ', f.name, ' gauge\n'].join(''));

interface CheckLines {
  /** `service="…",check="…"` — ids are from a safe alphabet, escaped anyway. */
  labels: string;
  type: string;
  /** The start of the raqib_probe_success line, up to its value: the same for every probe. */
  successPrefix: string;
  lines: string[];
}

export interface CheckRef {
  key: string;
  serviceId: string;
  checkId: string;
  type: string;
}

const needsEscape = /[\\\n"]/;
/** A label value as the text format wants it: `\`, `"` and newlines escaped. */
export const escapeLabelValue = (v: string): string =>
  needsEscape.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

/**
 * The parts as one flat string. `+` and template literals give V8 ropes (cons-strings: a 32-byte
 * node per concatenation, the parts kept as they are), and a cached line would keep its rope for
 * as long as it is cached: about 45 nodes, 1.4 KB a check. `join` copies the parts into one new
 * sequential string (with two parts or more: a single one could come back as it is).
 */
const flat = (parts: string[]): string => parts.join('');

export class CheckSeries {
  private readonly checks = new Map<string, CheckLines>();

  get size(): number {
    return this.checks.size;
  }

  /** A new check: its state (UNKNOWN until it runs); no probe series until the first result. */
  add(spec: CheckRef, state: CheckState): void {
    // One byte per character (fresh-copy.ts): a two-byte id would make every cached line of the
    // check two-byte, twice the memory and a re-encoding at every scrape.
    const labels = freshString(flat(['service="', escapeLabelValue(spec.serviceId), '",check="', escapeLabelValue(spec.checkId), '"']));
    const successPrefix = freshString(flat([SUCCESS.name, '{', labels, ',type="', escapeLabelValue(spec.type), '"} ']));
    const entry: CheckLines = { labels, type: spec.type, successPrefix, lines: CHECK_FAMILIES.map(() => '') };
    this.checks.set(spec.key, entry);
    this.setState(spec, state);
  }

  remove(spec: CheckRef): void {
    this.checks.delete(spec.key);
  }

  setState(spec: CheckRef, current: CheckState): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    const parts: string[] = [];
    for (const s of CHECK_STATES) parts.push(STATE.name, '{', c.labels, ',state="', s, '"} ', s === current ? '1' : '0', '\n');
    c.lines[4] = flat(parts);
  }

  observe(spec: CheckRef, result: ProbeResult): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    c.lines[0] = flat([c.successPrefix, result.status === 'down' ? '0' : '1', '\n']);
    const phases: string[] = [];
    for (const phase of PHASES) {
      const ms = result.phases[phase];
      // A phase the probe never reached (no TLS after a refused connect) has no series, not a stale one.
      if (ms !== undefined) phases.push(PHASE.name, '{', c.labels, ',phase="', phase, '"} ', num(ms / 1000), '\n');
    }
    c.lines[1] = flat(phases);
    if (c.type === 'http') c.lines[2] = flat([HTTP_STATUS.name, '{', c.labels, '} ', String(result.httpStatus ?? 0), '\n']);
    if (result.tlsCertExpiry !== undefined) c.lines[3] = flat([CERT_EXPIRY.name, '{', c.labels, '} ', num(result.tlsCertExpiry), '\n']);
  }

  /** The exposition text of every per-check family (Prometheus text format 0.0.4). */
  render(): string {
    return [...this.chunks(Infinity)].join('');
  }

  /**
   * The same text in pieces of about `size` characters (a piece ends after the line that reaches
   * it), so a server can write them with the event loop free in between: at 10,000 checks the
   * whole text is ~7 MB. The checks are read as the pieces are made: one added or removed while a
   * server writes them is in the families that come after, or not, as any scrape taken then.
   */
  *chunks(size = PIECE_CHARS): Generator<string> {
    const pieces = new PieceJoiner(size);
    for (let i = 0; i < CHECK_FAMILIES.length; i++) {
      if (pieces.add(HEADERS[i]!)) yield pieces.take();
      for (const c of this.checks.values()) {
        const line = c.lines[i]!;
        if (line !== '' && pieces.add(line)) yield pieces.take();
      }
    }
    const last = pieces.take();
    if (last !== '') yield last;
  }
}
