/**
 * The prom-client Registry's families for /metrics, written as bytes straight into Buffers of
 * about a piece each, character for character what Registry.getSingleMetricAsString() gives.
 *
 * Why bytes: made as strings, this part of a scrape at 20,000 checks was ~6–7 MB of JS heap (of
 * 9.3 MB for the whole page, test/bench/micro and docs/performance.md §4): the rope of
 * raqib_probe_duration_seconds' 19,200 lines, a string for every number and label set, and the
 * flat copy made when the socket took it. With the rest of the page that was more than a young
 * generation (8 MiB semi-spaces, the shipped flags), all made within a scrape's ~50 ms and alive
 * until written: each scrape ran ~2 scavenges of its own inside its time slices, which had those
 * strings to copy. A Buffer's bytes are outside the JS heap; what is left on the heap is a few
 * small objects per piece and per series.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { PIECE_CHARS } from '../slices.js';
import { escapeLabelValue } from './check-families.js';

const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('} ');
const COMMA = Buffer.from(',');
const SPACE = Buffer.from(' ');

/**
 * Room past a piece's size (PIECE_CHARS, here a count of bytes), so that a series begun near the
 * end of a piece fits without a copy.
 */
const SLACK = 4 * 1024;

/**
 * Writes text into Buffers and hands them out as pieces: `full` once a piece's size is reached,
 * `take()` then gives the piece and the next write starts another. A series is written whole
 * between two takes, so a caller takes only between series.
 */
export class ByteWriter {
  private buf: Buffer | undefined;
  private pos = 0;

  constructor(private readonly size = PIECE_CHARS) {}

  get full(): boolean {
    return this.pos >= this.size;
  }

  /** The bytes written since the last take() (none: an empty Buffer). */
  take(): Buffer {
    const piece = this.buf ? this.buf.subarray(0, this.pos) : Buffer.alloc(0);
    this.buf = undefined;
    this.pos = 0;
    return piece;
  }

  /** Bytes made once (a family's line starts, punctuation). */
  bytes(bytes: Uint8Array): void {
    this.room(bytes.length).set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Text as UTF-8, in one call into Node: for a family's header and a series' labels, not per character. */
  text(s: string): void {
    this.pos += this.room(3 * s.length).write(s, this.pos, 'utf8');
  }

  /** Where the next byte goes in the current piece: a start or end for again(). */
  get mark(): number {
    return this.pos;
  }

  /** The bytes from `from` to `to` written since the last take(), written again at the end. */
  again(from: number, to: number): void {
    // After a take() the marks point into a Buffer that is gone: copying would send stale memory.
    if (!(from >= 0 && from <= to && to <= this.pos)) throw new RangeError(`again(${from}, ${to}) outside the ${this.pos} bytes of this piece`);
    this.room(to - from).copyWithin(this.pos, from, to);
    this.pos += to - from;
  }

  /** A sample value as prom-client writes it: whole numbers digit by digit, others as String() has them. */
  number(v: number): void {
    if (!(Number.isSafeInteger(v) && v >= 0)) return this.text(promValue(v));
    let digits = 1;
    for (let n = v; n >= 10; n = Math.floor(n / 10)) digits++;
    const buf = this.room(digits);
    let pos = this.pos + digits;
    this.pos = pos;
    let n = v;
    do {
      buf[--pos] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /**
   * The current Buffer with room for `bytes` more: a new one after a take(), a larger copy if a
   * long series needs it (at the same offsets, so marks stay good).
   */
  private room(bytes: number): Buffer {
    const buf = this.buf;
    if (buf && this.pos + bytes <= buf.length) return buf;
    const next = Buffer.allocUnsafeSlow(Math.max(this.size + SLACK, buf ? 2 * buf.length : 0, this.pos + bytes));
    buf?.copy(next, 0, 0, this.pos);
    return (this.buf = next);
  }
}

/**
 * A family of the Registry written to `out`, the pieces given as they fill. Counters, gauges and
 * plain histograms (raqib has thousands of series of these) are written from their values; any
 * other family as prom-client renders it (`prom`).
 */
export async function* familyPieces(out: ByteWriter, metric: object, prom: () => Promise<string>): AsyncGenerator<Buffer> {
  const histogram = metric instanceof Histogram ? plainHistogram(metric) : undefined;
  if (histogram) yield* histogramPieces(out, histogram);
  else if (metric instanceof Counter || metric instanceof Gauge) yield* seriesPieces(out, await (metric as Counter).get());
  else {
    out.text(await prom());
    if (out.full) yield out.take();
  }
}

/** What a prom-client 15 Histogram keeps per label set (lib/histogram.js, createBaseValues). */
interface HistogramEntry {
  labels: Record<string, unknown>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  name: string;
  help: string;
  upperBounds: readonly number[];
  hashMap: Record<string, HistogramEntry>;
  collect?: unknown;
  enableExemplars?: boolean;
}

// prom-client's escapeString and getValueAsString (lib/registry.js, lib/util.js).
const promEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const promValue = (v: number) => (Number.isNaN(v) ? 'Nan' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/**
 * `a="x",b="y"`, as prom-client's formatLabels(…).join(','), which escapes string values only:
 * joined, so a flat string, not a rope.
 */
function formatLabels(labels: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) parts.push([name, '="', typeof value === 'string' ? escapeLabelValue(value) : String(value), '"'].join(''));
  return parts.join(',');
}

/**
 * The labels of each series, formatted once for as long as its label set lives: what prom-client
 * does too for a histogram's labels (a WeakMap on the same object, sharedLabelCache). A gauge's
 * set() keeps the caller's new object, so a gauge's labels are formatted again after each set.
 */
const labelTexts = new WeakMap<object, string>();

function labelsOf(labels: Record<string, unknown>): string {
  let text = labelTexts.get(labels);
  if (text === undefined) {
    text = formatLabels(labels);
    labelTexts.set(labels, text);
  }
  return text;
}

/** A counter's or gauge's samples, as get() gives them. */
interface SeriesData {
  name: string;
  help: string;
  type: unknown;
  values?: readonly { labels?: Record<string, unknown>; value: number; metricName?: string }[];
}

/**
 * Counters and gauges (~14 series a service: ~5,600 at 20,000 checks): their get(), written
 * directly. prom-client's generic formatting also allocates and caches an empty shared-labels
 * object per series (~4 ms a scrape at 10,000 checks).
 */
function* seriesPieces(out: ByteWriter, data: SeriesData): Generator<Buffer> {
  const name = promEscape(data.name);
  out.text(`# HELP ${name} ${promEscape(data.help)}\n# TYPE ${name} ${String(data.type)}`);
  const start = Buffer.from(`\n${name}`);
  for (const v of data.values ?? []) {
    if (v.metricName === undefined) out.bytes(start);
    else out.text(`\n${v.metricName}`);
    sample(out, v.labels ? labelsOf(v.labels) : '', v.value);
    if (out.full) yield out.take();
  }
}

/** A sample after its name: `{labels} value`, or ` value` when it has no labels. */
function sample(out: ByteWriter, labels: string, value: number): void {
  if (labels) {
    out.bytes(OPEN);
    out.text(labels);
    out.bytes(CLOSE);
  } else out.bytes(SPACE);
  out.number(value);
}

/** A histogram as this code knows it, with its label sets listed once for the scrape. */
interface PlainHistogram {
  h: HistogramInternals;
  entries: readonly HistogramEntry[];
}

/**
 * A histogram prom-client keeps as this code knows it, or undefined (one with a collect function
 * or exemplars, or another prom-client's shape): prom-client renders those.
 */
function plainHistogram(histogram: Histogram): PlainHistogram | undefined {
  const h = histogram as unknown as HistogramInternals;
  if (h.collect !== undefined || h.enableExemplars || typeof h.hashMap !== 'object' || h.hashMap === null || !Array.isArray(h.upperBounds)) return undefined;
  const entries = Object.values(h.hashMap);
  for (const e of entries) if (typeof e?.labels !== 'object' || typeof e.bucketValues !== 'object' || typeof e.count !== 'number' || typeof e.sum !== 'number') return undefined;
  return { h, entries };
}

/**
 * A histogram's exposition, made from its counts directly. prom-client's get() builds an object
 * and a labels object per bucket series and formats each one generically:
 * raqib_probe_duration_seconds (a series per bucket, service and probe type: 19,200 at 20,000
 * checks) took ~7 ms a scrape at 10,000 checks that way. Each label set's series are written
 * together, from the counts as they are then.
 */
function* histogramPieces(out: ByteWriter, { h, entries }: PlainHistogram): Generator<Buffer> {
  const name = promEscape(h.name);
  out.text(`# HELP ${name} ${promEscape(h.help)}\n# TYPE ${name} histogram`);
  // Each bucket line's start, `\nname_bucket{le="0.025"`, as bytes; the last is +Inf's.
  const buckets = [...h.upperBounds.map((b) => `le="${b}"`), 'le="+Inf"'].map((le) => Buffer.from(`\n${h.name}_bucket{${le}`));
  // bucketValues is keyed by the bound as a string: converting the number at every lookup took
  // a third of the time.
  const keys = h.upperBounds.map(String);
  const sum = Buffer.from(`\n${h.name}_sum`);
  const count = Buffer.from(`\n${h.name}_count`);
  for (const { labels, bucketValues, sum: total, count: n } of entries) {
    const shared = labelsOf(labels);
    // The first bucket line's `,labels} ` (or `} `) is written once; the other bucket lines copy it.
    out.bytes(buckets[0]!);
    const from = out.mark;
    if (shared) {
      out.bytes(COMMA);
      out.text(shared);
    }
    out.bytes(CLOSE);
    const to = out.mark;
    let acc = 0;
    for (let i = 0; i < buckets.length; i++) {
      if (i > 0) {
        out.bytes(buckets[i]!);
        out.again(from, to);
      }
      out.number(i < keys.length ? (acc += bucketValues[keys[i]!]!) : n);
    }
    out.bytes(sum);
    sample(out, shared, total);
    out.bytes(count);
    sample(out, shared, n);
    if (out.full) yield out.take();
  }
}
