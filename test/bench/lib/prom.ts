/**
 * Just enough of the Prometheus text format for the benchmark: the samples of a few metric
 * families out of a large exposition (100k+ lines), their sums, and histogram quantiles as
 * bucket bounds.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Snapshot {
  /** Samples of the families asked for, by metric name (with its _bucket/_sum/_count suffix). */
  samples: Map<string, Sample[]>;
  /** Every sample line in the exposition (the series count). */
  series: number;
  /** Sample lines per metric family (a _bucket, _sum or _count suffix folded into its family). */
  byFamily: Map<string, number>;
  bytes: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the samples of the families whose names start with one of `families`; counts the rest.
 *
 * The lines of a family not asked for are counted without being read when they follow its
 * `# TYPE` header and bear its name: the benchmark's main thread parses every scrape, and slicing
 * and matching each of the 216,000 lines of a 20,000-check page took ~100 ms of CPU a scrape on
 * the two cores the agent runs on, with a garbage collection of as many strings after it. Any
 * other line is read whole, as every line was before.
 */
export function parseExposition(text: string, families: readonly string[]): Snapshot {
  const samples = new Map<string, Sample[]>();
  const byFamily = new Map<string, number>();
  const count = (family: string, n: number) => {
    if (n > 0) byFamily.set(family, (byFamily.get(family) ?? 0) + n);
  };
  let series = 0;
  /** The family of the last `# TYPE` line, when none of `families` can be among its samples. */
  let skipped: string | undefined;
  /** Its lines named as it is, and those with a _bucket, _sum or _count suffix after its name. */
  let bare = 0;
  let suffixed = 0;
  const closeSkipped = () => {
    if (skipped !== undefined) {
      count(stripSuffix(skipped), bare);
      count(skipped, suffixed);
    }
    skipped = undefined;
    bare = suffixed = 0;
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end === start) {
      // a blank line
    } else if (text.charCodeAt(start) === 35 /* # */) {
      const type = TYPE.exec(text.slice(start, end));
      if (type) {
        closeSkipped();
        const name = type[1]!;
        if (!families.some((f) => f.startsWith(name) || name.startsWith(f))) skipped = name;
      }
    } else {
      series++;
      const own = skipped === undefined ? 0 : ownLine(text, start, skipped);
      if (own === 1) bare++;
      else if (own === 2) suffixed++;
      else {
        let nameEnd = start;
        while (nameEnd < end && !endsName(text.charCodeAt(nameEnd))) nameEnd++;
        count(stripSuffix(text.slice(start, nameEnd)), 1);
        if (families.some((f) => text.startsWith(f, start))) {
          const m = LINE.exec(text.slice(start, end));
          if (m) {
            const labels: Record<string, string> = {};
            for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
            const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
            const list = samples.get(m[1]!) ?? [];
            list.push({ name: m[1]!, labels, value });
            samples.set(m[1]!, list);
          }
        }
      }
    }
    start = end + 1;
  }
  closeSkipped();
  return { samples, series, byFamily, bytes: Buffer.byteLength(text) };
}

const TYPE = /^#\s*TYPE\s+(\S+)/;
const SUFFIXES = ['_bucket', '_sum', '_count'];
/** The family a sample name belongs to: the name without one of SUFFIXES at its end. */
function stripSuffix(name: string): string {
  const suffix = SUFFIXES.find((x) => name.endsWith(x));
  return suffix ? name.slice(0, -suffix.length) : name;
}

/** `{`, space or tab: what ends a sample's name. */
const endsName = (c: number) => c === 123 || c === 32 || c === 9;

/** Whether the sample line at `start` is named `family` (1), `family` and a suffix (2), or other (0). */
function ownLine(text: string, start: number, family: string): 0 | 1 | 2 {
  if (!text.startsWith(family, start)) return 0;
  const after = start + family.length;
  if (endsName(text.charCodeAt(after))) return 1;
  for (const x of SUFFIXES) if (text.startsWith(x, after) && endsName(text.charCodeAt(after + x.length))) return 2;
  return 0;
}

/** Sum of the samples of `name` whose labels include `match`. */
export function sum(snap: Snapshot, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of snap.samples.get(name) ?? []) {
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Largest sample of `name` (a gauge), or NaN when absent. */
export function max(snap: Snapshot, name: string): number {
  const list = snap.samples.get(name) ?? [];
  return list.length === 0 ? NaN : Math.max(...list.map((s) => s.value));
}

/** Cumulative bucket counts of a histogram, summed over its other labels, by upper bound. */
export function buckets(snap: Snapshot, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of snap.samples.get(`${name}_bucket`) ?? []) {
    const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

export interface BucketStats {
  count: number;
  /** Mean from _sum/_count, seconds. */
  mean: number;
  /** Upper bounds (seconds) of the buckets holding the 50th and 99th percentiles and the largest observation. */
  p50: number;
  p99: number;
  max: number;
  /** The bucket bounds, so a reader can tell "≤ 5 ms" from "≤ 10 ms". */
  bounds: number[];
}

/**
 * What a histogram recorded between two snapshots: quantiles as "at most this bucket bound"
 * (Infinity when past the last finite bound). This is as precise as the buckets allow.
 */
export function histogramDelta(before: Snapshot, after: Snapshot, name: string): BucketStats {
  const a = buckets(before, name);
  const b = buckets(after, name);
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const cum = bounds.map((le) => (b.get(le) ?? 0) - (a.get(le) ?? 0));
  const count = cum.at(-1) ?? 0;
  const at = (q: number) => {
    if (count === 0) return NaN;
    const rank = Math.ceil(q * count);
    const i = cum.findIndex((c) => c >= rank);
    return bounds[i] ?? Infinity;
  };
  const dSum = sum(after, `${name}_sum`) - sum(before, `${name}_sum`);
  return { count, mean: count > 0 ? dSum / count : NaN, p50: at(0.5), p99: at(0.99), max: at(1), bounds: bounds.filter(Number.isFinite) };
}
