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
 *   again (test/bench/micro/metrics-render.mjs).
 *
 * So a scrape sends the per-check families as Buffers, made again only where a value or a check
 * changed (the phases' copied, see phase-lines.ts).
 *
 * The other families (per service, per agent) stay in the prom-client Registry;
 * `Metrics.renderChunks()` serves both.
 */
import { freshString } from '../config/fresh-copy.js';
import type { CheckState } from '../detect/transition.js';
import type { ProbeResult } from '../probes/types.js';
import { type CachedFamily, CERT_EXPIRY, CHECK_FAMILIES, type CheckLines, escapeLabelValue, flat, HTTP_STATUS, isCached, STATE, SUCCESS } from './check-families.js';
import { checkPhases, type PhaseBlock, phaseBytes, scrapeCopy, setPhases } from './phase-lines.js';

/**
 * Checks in a block: what a value change makes a scrape render again, and the unit of the cached
 * text. At 256, a block's raqib_check_state is ~70 KB, one write to the socket.
 */
const BLOCK_CHECKS = 256;

export interface Block {
  checks: CheckLines[];
  /** Per cached family: the block's text, forgotten once a value in it changed or a check joined or left the block. */
  text: Map<CachedFamily, Buffer>;
  /** The latest `added` of its checks. */
  newest: number;
  /** Its checks' raqib_probe_phase_seconds lines (phase-lines.ts). */
  phases: PhaseBlock;
}

export interface CheckRef {
  key: string;
  serviceId: string;
  checkId: string;
  type: string;
}

/**
 * The text of a block's checks (those added up to `generation`) in one family, in memory of its
 * own: a small Buffer.from() is a slice of Node's shared 8 KiB pool, which a cached slice would
 * keep whole.
 */
function blockText(block: Block, family: CachedFamily, generation: number): Buffer {
  const checks = block.newest > generation ? block.checks.filter((c) => c.added <= generation) : block.checks;
  const text = checks.map(family.line).join('');
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/**
 * A block's raqib_probe_phase_seconds lines for a scrape of `generation`: a copy of the block's
 * Buffer (made first if a change dropped it), or, when a check joined the block since the scrape
 * began, a Buffer of their own without it, not cached.
 */
function phaseText(block: Block, generation: number): Buffer {
  if (block.newest > generation) return phaseBytes(block.checks.filter((c) => c.added <= generation).map((c) => c.phases), false);
  return scrapeCopy((block.phases.bytes ??= phaseBytes(block.checks.map((c) => c.phases), true)));
}

/**
 * A block's text in a cached family for a scrape of `generation`: the cached Buffer (made first
 * if a change dropped it), or, when a check joined the block since the scrape began, a text of its
 * own without it, not cached.
 */
function cachedText(family: CachedFamily, block: Block, generation: number): Buffer {
  if (block.newest > generation) return blockText(block, family, generation);
  let text = block.text.get(family);
  if (!text) block.text.set(family, (text = blockText(block, family, generation)));
  return text;
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
    if (!block || block.checks.length >= BLOCK_CHECKS) this.blocks.push((block = { checks: [], text: new Map(), newest: 0, phases: {} }));
    const added = ++this.generation;
    const entry: CheckLines = { labels, type: spec.type, successPrefix, block, added, phases: checkPhases(labels), state };
    block.checks.push(entry);
    block.text.clear();
    // Its phase lines stay: the new check has none until its first result, which drops them.
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
    block.phases.bytes = undefined;
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
      into.phases.bytes = undefined;
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
    setPhases(c.phases, c.block.phases, result.phases);
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
          const text = isCached(family) ? cachedText(family, block, generation) : phaseText(block, generation);
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
