/**
 * The per-check metric families — 13 series a check, 130,000 at 10,000 checks — kept so that a
 * scrape formats almost nothing: prom-client's generic formatting of these families took ~250 ms
 * a scrape at 10,000 checks (blocking the event loop, and with it every probe's timing).
 *
 * - raqib_probe_phase_seconds changes with every probe: a block's checks have their lines in one
 *   Buffer, and a probe writes its values over the old ones in it (phase-lines.ts).
 * - The other four families change only when a value does (a check goes down, a status code or a
 *   certificate changes, a state moves): a scrape sends their text as Buffers made once per block
 *   of checks and kept until a value in the block changes or a check joins or leaves it. They are
 *   57% of the page (of 15.7 MiB at 20,000 checks), which a scrape then neither joins nor encodes
 *   again.
 *
 * So a scrape sends the per-check families as Buffers, made again only where a value or a check
 * changed (the phases' copied, see phase-lines.ts).
 *
 * The other families (per service, per agent) stay in the prom-client Registry;
 * `Metrics.renderChunks()` serves both.
 */
import type { CheckState } from '../detect/transition.js';
import type { ProbeResult } from '../probes/types.js';
import {
  CERT_EXPIRY,
  CHECK_FAMILIES,
  type CheckLines,
  escapeLabelValue,
  type Family,
  flat,
  HTTP_STATUS,
  byLine,
  ownBytes,
  PHASE,
  STATE,
  SUCCESS,
} from './check-families.js';
import { checkPhases, phaseBytes, scrapeCopy, writePhases } from './phase-lines.js';

/**
 * Checks in a block: what a value change makes a scrape render again, and the unit of the cached
 * text. At 256, a block's raqib_check_state is ~70 KB, one write to the socket.
 */
const BLOCK_CHECKS = 256;

export interface Block {
  checks: CheckLines[];
  /**
   * Per family: the block's text, forgotten once a value in it changed or a check joined or left
   * the block (the phases': once a check's lines changed shape; probes write their values over it).
   */
  text: Map<Family, Buffer>;
  /** The latest `added` of its checks. */
  newest: number;
}

export interface CheckRef {
  key: string;
  serviceId: string;
  checkId: string;
  type: string;
}

/**
 * A block's text in one family for a scrape of `generation`: its cached Buffer, made first if a
 * change dropped it (the phases' as a copy: probes write over the cached one); or, when a check
 * joined the block since the scrape began, a Buffer without that check, not cached.
 */
function familyText(family: Family, block: Block, generation: number): Buffer {
  const make = (checks: CheckLines[], cached: boolean) =>
    byLine(family)
      ? ownBytes(flat(checks.map(family.line)))
      : phaseBytes(
          checks.map((c) => c.phases),
          cached,
        );
  if (block.newest > generation)
    return make(
      block.checks.filter((c) => c.added <= generation),
      false,
    );
  let text = block.text.get(family);
  if (!text) block.text.set(family, (text = make(block.checks, true)));
  return byLine(family) ? text : scrapeCopy(text);
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
    const labels = flat(['service="', escapeLabelValue(spec.serviceId), '",check="', escapeLabelValue(spec.checkId), '"']);
    const successPrefix = flat([SUCCESS.name, '{', labels, ',type="', escapeLabelValue(spec.type), '"} ']);
    let block = this.blocks.at(-1);
    if (!block || block.checks.length >= BLOCK_CHECKS) this.blocks.push((block = { checks: [], text: new Map(), newest: 0 }));
    const added = ++this.generation;
    const entry: CheckLines = { labels, type: spec.type, successPrefix, block, added, phases: checkPhases(labels), state };
    block.checks.push(entry);
    block.text.clear();
    block.newest = added;
    this.checks.set(spec.key, entry);
  }

  remove(spec: CheckRef): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    this.checks.delete(spec.key);
    const { block } = c;
    block.checks.splice(block.checks.indexOf(c), 1);
    block.text.clear();
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
      into.text.clear();
      into.newest = Math.max(into.newest, block.newest);
    }
    this.blocks = blocks;
    this.fragmented = false;
  }

  setState(spec: CheckRef, current: CheckState): void {
    const c = this.checks.get(spec.key);
    if (!c || c.state === current) return;
    c.state = current;
    c.block.text.delete(STATE);
  }

  observe(spec: CheckRef, result: ProbeResult): void {
    const c = this.checks.get(spec.key);
    if (!c) return;
    const { text } = c.block;
    const up = result.status !== 'down';
    if (c.up !== up) {
      c.up = up;
      text.delete(SUCCESS);
    }
    if (!writePhases(c.phases, text.get(PHASE), result.phases)) text.delete(PHASE);
    const status = result.httpStatus ?? 0;
    if (c.type === 'http' && c.httpStatus !== status) {
      c.httpStatus = status;
      text.delete(HTTP_STATUS);
    }
    // The last expiry seen stays when a probe saw no certificate (a refused connection).
    const expiry = result.tlsCertExpiry;
    if (expiry !== undefined && !Object.is(c.certExpiry, expiry)) {
      c.certExpiry = expiry;
      text.delete(CERT_EXPIRY);
    }
  }

  /** The exposition text of every per-check family (Prometheus text format 0.0.4). */
  render(): string {
    return [...this.chunks()].map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('');
  }

  /**
   * The same text in pieces, so a server can write them with the event loop free in between (at
   * 20,000 checks the whole text is ~15 MB): each family's text as a Buffer per block, its header
   * in a string before them (with the headers of families before it that have no lines). The
   * checks are those present when the first piece is asked for: one removed while a server writes
   * the pieces is in the families already made, one added then is in none, so that a check removed
   * and added again (a reload that changes its type) is never listed twice.
   */
  *chunks(): Generator<string | Buffer> {
    if (this.fragmented && this.scrapes === 0) this.compact();
    const generation = this.generation;
    let headers: string[] = [];
    this.scrapes++;
    try {
      for (const family of CHECK_FAMILIES) {
        headers.push(family.header);
        for (const block of this.blocks.slice()) {
          const text = familyText(family, block, generation);
          if (text.length === 0) continue;
          if (headers.length > 0) yield flat(headers);
          headers = [];
          yield text;
        }
      }
      if (headers.length > 0) yield flat(headers);
    } finally {
      this.scrapes--;
    }
  }
}
