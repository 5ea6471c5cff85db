import { describe, expect, it } from 'vitest';
import { GapHistogram, GAP_STEP_MS } from '../bench/lib/gap-histogram.js';

/** What the benchmark computed before the histogram: a sort of every |gap|. */
function sorted(gaps: number[]) {
  const abs = gaps.map(Math.abs).sort((a, b) => a - b);
  const at = (q: number) => abs[Math.min(abs.length - 1, Math.ceil(q * abs.length) - 1)]!;
  return { count: gaps.length, p50: at(0.5), p99: at(0.99), max: abs.at(-1)!, drift: gaps.reduce((a, b) => a + b, 0) / gaps.length };
}

describe('GapHistogram', () => {
  it('gives the percentiles of a sort to within one 0.01 ms bin, never below them, and max and drift exactly', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647; // Park–Miller: exact in doubles
    const gaps = Array.from({ length: 50_000 }, () => (random() - 0.45) * (random() < 0.01 ? 400 : 20));
    const h = new GapHistogram();
    for (const g of gaps) h.add(g);
    const got = h.stats();
    const want = sorted(gaps);
    expect(got.count).toBe(want.count);
    expect(got.max).toBe(want.max);
    expect(got.drift).toBeCloseTo(want.drift, 9);
    for (const q of ['p50', 'p99'] as const) {
      expect(got[q]).toBeGreaterThanOrEqual(want[q]);
      expect(got[q] - want[q]).toBeLessThanOrEqual(GAP_STEP_MS + 1e-9);
    }
  });

  it('keeps gaps beyond its range in the last bin, so a percentile that falls there is the largest gap', () => {
    const h = new GapHistogram(10);
    for (const g of [1, 2, 250, -300]) h.add(g);
    expect(h.stats()).toMatchObject({ count: 4, p99: 300, max: 300 });
    expect(h.stats().p50).toBeCloseTo(2.01, 9);
  });

  it('takes the gap at rank ⌈q·n⌉, as the sorted list did', () => {
    const h = new GapHistogram();
    for (let i = 0; i < 100; i++) h.add(-(0.005 + 0.01 * i)); // one gap in the middle of each bin
    const { p50, p99 } = h.stats();
    expect(p50).toBeCloseTo(0.5, 9); // the 50th gap, 0.495, in the bin [0.49, 0.50)
    expect(p99).toBeCloseTo(0.99, 9); // the 99th, 0.985
  });

  it('reports no figures when no gap was seen', () => {
    expect(new GapHistogram().stats()).toEqual({ count: 0, p50: NaN, p99: NaN, max: NaN, drift: NaN });
  });

  it('counts a gap of 0 in the first bin, whose upper edge is the percentile', () => {
    const h = new GapHistogram();
    h.add(0);
    h.add(0.5);
    expect(h.stats()).toMatchObject({ p50: GAP_STEP_MS, max: 0.5 });
  });
});
