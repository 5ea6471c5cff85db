/**
 * The gaps between two arrivals of one check at the targets, minus the interval, kept as counts
 * in 0.01 ms bins of their absolute value, so that the figures at the end of a run cost one pass
 * over the bins instead of a sort of every gap.
 *
 * The targets answer every probe on one thread. Sorting the gaps of a run there (an array of
 * 220,000 numbers after 10 minutes at 20,000 checks: ~130 ms; 560,000 after 25: ~340 ms) held
 * every target for that long, at the moment the benchmark took its last scrape: the probes held
 * meanwhile came back to the agent in one burst (docs/performance.md, "The 20,000-check stretch").
 */
import type { JitterStats } from './targets.js';

/** Width of a bin, ms. */
export const GAP_STEP_MS = 0.01;

/** The figures when no gap was seen. */
export const NO_GAPS: Readonly<JitterStats> = Object.freeze({ count: 0, p50: NaN, p99: NaN, max: NaN, drift: NaN });

export class GapHistogram {
  /** bins[i] counts |gap| in [i, i + 1) × GAP_STEP_MS; the last bin everything from there up. */
  private readonly bins: Uint32Array;
  private count = 0;
  private sum = 0;
  private max = 0;

  /** @param rangeMs gaps up to this are placed to the bin; beyond it, only the maximum is exact. */
  constructor(rangeMs = 1000) {
    this.bins = new Uint32Array(Math.ceil(rangeMs / GAP_STEP_MS) + 1);
  }

  add(gapMs: number): void {
    const abs = Math.abs(gapMs);
    this.bins[Math.min(this.bins.length - 1, Math.floor(abs / GAP_STEP_MS))]! += 1;
    this.count += 1;
    this.sum += gapMs;
    if (abs > this.max) this.max = abs;
  }

  /**
   * p50 and p99 as the upper edge of the bin they fall in (never above the largest gap): an
   * overstatement of at most 0.01 ms, except in the last bin (gaps beyond the range, such as a
   * missed slot at 30 s), where it is the largest gap. `max` and `drift` are exact.
   */
  stats(): JitterStats {
    if (this.count === 0) return { ...NO_GAPS };
    return { count: this.count, p50: this.percentile(0.5), p99: this.percentile(0.99), max: this.max, drift: this.sum / this.count };
  }

  /** The q-quantile the way a sorted list gives it: the value at rank ⌈q·n⌉. */
  private percentile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen >= rank) return i === this.bins.length - 1 ? this.max : Math.min((i + 1) * GAP_STEP_MS, this.max);
    }
    return this.max;
  }
}
