/**
 * The per-check metric families — 13 series a check, 130,000 at 10,000 checks — kept so that a
 * scrape formats almost nothing: prom-client's generic formatting of these families took ~250 ms
 * a scrape at 10,000 checks (blocking the event loop, and with it every probe's timing).
 *
 * - raqib_probe_phase_seconds changes with every probe: each check keeps its lines as text, made
 *   when its result comes, and a scrape joins them.
 * - The other four families change only when a value does (a check goes down, a status code or a
 *   certificate changes, a state moves): a scrape sends their text as Buffers made once per block
 *   of checks and kept until a value in the block changes or a check joins or leaves it. They are
 *   57% of the page (of 15.7 MiB at 20,000 checks), which a scrape then neither joins nor encodes
 *   again (test/bench/micro/metrics-render.mjs).
 *
 * The other families (per service, per agent) stay in the prom-client Registry;
 * `Metrics.renderChunks()` serves both.
 */
import { freshString } from '../config/fresh-copy.js';
import { CHECK_STATES, type CheckState } from '../detect/transition.js';
import type { ProbeResult } from '../probes/types.js';
import { PIECE_CHARS, PieceJoiner } from '../slices.js';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;

/**
 * Checks in a block: what a value change makes a scrape render again, and the unit of the cached
 * text. At 256, a block's raqib_check_state is ~70 KB, one write to the socket.
 */
const BLOCK_CHECKS = 256;

interface Family {
  name: string;
  help: string;
}

const SUCCESS: Family = { name: 'raqib_probe_success', help: 'Whether the last probe succeeded (up or degraded = 1, down = 0).' };
const PHASE: Family = { name: 'raqib_probe_phase_seconds', help: 'Duration of each phase of the last probe (dns, connect, tls, ttfb, transfer, total).' };
const HTTP_STATUS: Family = { name: 'raqib_probe_http_status_code', help: 'HTTP status code of the last answer (0 when none arrived).' };
const CERT_EXPIRY: Family = { name: 'raqib_probe_tls_cert_expiry_timestamp_seconds', help: 'Expiry of the peer certificate seen by the last probe.' };
const STATE: Family = { name: 'raqib_check_state', help: 'Current state of each check (1 for the current state).' };

/** Families in the order they are rendered. */
export const CHECK_FAMILIES: readonly Family[] = [SUCCESS, PHASE, HTTP_STATUS, CERT_EXPIRY, STATE];
const [F_SUCCESS, F_PHASE, F_HTTP_STATUS, F_CERT_EXPIRY, F_STATE] = [0, 1, 2, 3, 4] as const;

const HEADERS = CHECK_FAMILIES.map((f) => ['# HELP ', f.name, ' ', f.help, '\n# TYPE ', f.name, ' gauge\n'].join(''));

interface CheckLines {
  /** `service="…",check="…"` — ids are from a safe alphabet, escaped anyway. */
  labels: string;
  type: string;
  /** The start of the raqib_probe_success line, up to its value: the same for every probe. */
  successPrefix: string;
  block: Block;
  /** When it was added (CheckSeries.generation): a scrape leaves out checks added after it began. */
  added: number;
  /** Removed: a scrape that copied its block's list before the removal leaves it out. */
  removed: boolean;
  /** The raqib_probe_phase_seconds lines of the last probe ('' before the first). */
  phases: string;
  /** The values of the other families; undefined until a probe gave one (no series then). */
  up?: boolean;
  httpStatus?: number;
  certExpiry?: number;
  state: CheckState;
}

interface Block {
  checks: CheckLines[];
  /**
   * Per family (by index; the phases' slot unused): the block's text, undefined once a value in
   * it changed or a check joined or left the block.
   */
  text: (Buffer | undefined)[];
  /** The latest `added` of its checks. */
  newest: number;
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
 * as long as it is cached. `join` copies the parts into one new sequential string (with two parts
 * or more: a single one could come back as it is).
 */
const flat = (parts: string[]): string => parts.join('');

/** A check's line(s) of a family whose text is cached by block: made only when a block's text is. */
const LINES: Record<number, (c: CheckLines) => string> = {
  [F_SUCCESS]: (c) => (c.up === undefined ? '' : c.successPrefix + (c.up ? '1\n' : '0\n')),
  [F_HTTP_STATUS]: (c) => (c.httpStatus === undefined ? '' : `${HTTP_STATUS.name}{${c.labels}} ${c.httpStatus}\n`),
  [F_CERT_EXPIRY]: (c) => (c.certExpiry === undefined ? '' : `${CERT_EXPIRY.name}{${c.labels}} ${num(c.certExpiry)}\n`),
  [F_STATE]: (c) => CHECK_STATES.map((s) => `${STATE.name}{${c.labels},state="${s}"} ${s === c.state ? '1' : '0'}\n`).join(''),
};

/**
 * The text of a block's checks (those added up to `generation`) in one family, in memory of its
 * own: a small Buffer.from() is a slice of Node's shared 8 KiB pool, which a cached slice would
 * keep whole.
 */
function blockText(block: Block, family: number, generation: number): Buffer {
  const line = LINES[family]!;
  const checks = block.newest > generation ? block.checks.filter((c) => c.added <= generation) : block.checks;
  const text = checks.map(line).join('');
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

export class CheckSeries {
  private readonly checks = new Map<string, CheckLines>();
  /** Every check once, in the order they were added. */
  private blocks: Block[] = [];
  /** Counts add()s; the stamp of the last one. */
  private generation = 0;
  /** Scrapes being written: blocks are merged only when none is. */
  private scrapes = 0;
  /** A block fell under half full: merge neighbours at the next scrape that is alone. */
  private fragmented = false;

  get size(): number {
    return this.checks.size;
  }

  /**
   * A new check (one with the key of a present check replaces it, at the end): its state (UNKNOWN
   * until it runs); no probe series until the first result.
   */
  add(spec: CheckRef, state: CheckState): void {
    this.remove(spec);
    // One byte per character (fresh-copy.ts): a two-byte id would make every cached line of the
    // check two-byte, twice the memory and a re-encoding at every scrape.
    const labels = freshString(flat(['service="', escapeLabelValue(spec.serviceId), '",check="', escapeLabelValue(spec.checkId), '"']));
    const successPrefix = freshString(flat([SUCCESS.name, '{', labels, ',type="', escapeLabelValue(spec.type), '"} ']));
    let block = this.blocks.at(-1);
    if (!block || block.checks.length >= BLOCK_CHECKS) this.blocks.push((block = { checks: [], text: [], newest: 0 }));
    const added = ++this.generation;
    const entry: CheckLines = { labels, type: spec.type, successPrefix, block, added, removed: false, phases: '', state };
    block.checks.push(entry);
    block.text = [];
    block.newest = added;
    this.checks.set(spec.key, entry);
  }

  remove(spec: CheckRef): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    this.checks.delete(spec.key);
    c.removed = true;
    const { block } = c;
    block.checks.splice(block.checks.indexOf(c), 1);
    block.text = [];
    if (block.checks.length === 0) this.blocks.splice(this.blocks.indexOf(block), 1);
    else if (block.checks.length < BLOCK_CHECKS / 2) this.fragmented = true;
  }

  /** Merges each block into the one before when both fit in one (reloads that removed many checks). */
  private compact(): void {
    const blocks: Block[] = [];
    for (const block of this.blocks) {
      const into = blocks.at(-1);
      if (!into || into.checks.length + block.checks.length > BLOCK_CHECKS) {
        blocks.push(block);
        continue;
      }
      for (const c of block.checks) c.block = into;
      into.checks.push(...block.checks);
      into.text = [];
      into.newest = Math.max(into.newest, block.newest);
    }
    this.blocks = blocks;
    this.fragmented = false;
  }

  setState(spec: CheckRef, current: CheckState): void {
    const c = this.checks.get(spec.key);
    if (!c || c.state === current) return;
    c.state = current;
    c.block.text[F_STATE] = undefined;
  }

  observe(spec: CheckRef, result: ProbeResult): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    const { text } = c.block;
    const up = result.status !== 'down';
    if (c.up !== up) {
      c.up = up;
      text[F_SUCCESS] = undefined;
    }
    const phases: string[] = [];
    for (const phase of PHASES) {
      const ms = result.phases[phase];
      // A phase the probe never reached (no TLS after a refused connect) has no series, not a stale one.
      if (ms !== undefined) phases.push(PHASE.name, '{', c.labels, ',phase="', phase, '"} ', num(ms / 1000), '\n');
    }
    c.phases = flat(phases);
    const status = result.httpStatus ?? 0;
    if (c.type === 'http' && c.httpStatus !== status) {
      c.httpStatus = status;
      text[F_HTTP_STATUS] = undefined;
    }
    // The last expiry seen stays when a probe saw no certificate (a refused connection).
    const expiry = result.tlsCertExpiry;
    if (expiry !== undefined && !Object.is(c.certExpiry, expiry)) {
      c.certExpiry = expiry;
      text[F_CERT_EXPIRY] = undefined;
    }
  }

  /** The exposition text of every per-check family (Prometheus text format 0.0.4). */
  render(): string {
    return [...this.chunks(Infinity)].map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('');
  }

  /**
   * The same text in pieces, so a server can write them with the event loop free in between (at
   * 20,000 checks the whole text is ~15 MB): the phases in strings of about `size` characters (a
   * piece ends after the line that reaches it), the other families in their blocks' Buffers. The
   * checks are those present when the first piece is asked for: one removed while a server writes
   * the pieces is in the families already made, one added then is in none, so that a check removed
   * and added again (a reload that changes its type) is never listed twice.
   */
  *chunks(size = PIECE_CHARS): Generator<string | Buffer> {
    if (this.fragmented && this.scrapes === 0) this.compact();
    const generation = this.generation;
    const pieces = new PieceJoiner(size);
    this.scrapes++;
    try {
      for (let i = 0; i < CHECK_FAMILIES.length; i++) {
        const blocks = this.blocks.slice();
        if (pieces.add(HEADERS[i]!)) yield pieces.take();
        for (const block of blocks) {
          if (i === F_PHASE) {
            for (const c of block.checks.slice()) {
              if (c.removed || c.added > generation || c.phases === '') continue;
              if (pieces.add(c.phases)) yield pieces.take();
            }
            continue;
          }
          // A block with a check added since this scrape began gets a text of its own, not cached.
          const text = block.newest > generation ? blockText(block, i, generation) : (block.text[i] ??= blockText(block, i, generation));
          if (text.length === 0) continue;
          const before = pieces.take(); // the headers and phases not yet given
          if (before !== '') yield before;
          yield text;
        }
      }
      const last = pieces.take();
      if (last !== '') yield last;
    } finally {
      this.scrapes--;
    }
  }
}
