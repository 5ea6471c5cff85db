import { describe, expect, it } from 'vitest';
import { parseExposition, sum } from '../bench/lib/prom.js';

/** The benchmark's parser before it skipped the families not asked for: every line read. */
function everyLine(text: string, families: readonly string[]) {
  const samples = new Map<string, { name: string; labels: Record<string, string>; value: number }[]>();
  const byFamily = new Map<string, number>();
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    series++;
    const name = /^[^{ ]*/.exec(line)![0];
    const family = name.replace(/_(bucket|sum|count)$/, '');
    byFamily.set(family, (byFamily.get(family) ?? 0) + 1);
    if (!families.some((f) => line.startsWith(f))) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)!;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.set(m[1]!, [...(samples.get(m[1]!) ?? []), { name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) }]);
  }
  return { samples, series, byFamily };
}

const PAGE = [
  'untyped_first{a="1"} 3',
  '# HELP raqib_probes_total Probes run.',
  '# TYPE raqib_probes_total counter',
  'raqib_probes_total{service="web",result="up"} 10',
  'raqib_probes_total{service="web",result="down"} 2',
  '',
  '# HELP raqib_check_state State.',
  '# TYPE raqib_check_state gauge',
  ...Array.from({ length: 50 }, (_, i) => `raqib_check_state{service="web",check="c${i}",state="UP"} ${i % 2}`),
  '',
  '# TYPE raqib_schedule_lateness_seconds histogram',
  'raqib_schedule_lateness_seconds_bucket{le="0.001"} 4',
  'raqib_schedule_lateness_seconds_bucket{le="+Inf"} 5',
  'raqib_schedule_lateness_seconds_sum 0.5',
  'raqib_schedule_lateness_seconds_count 5',
  '# TYPE raqib_probes_total_extra gauge',
  'raqib_probes_total_extra 7',
  '# TYPE nodejs_eventloop_lag_max_seconds gauge',
  'nodejs_eventloop_lag_max_seconds 0.031',
  '# TYPE  skipped_histogram histogram',
  'skipped_histogram_bucket{le="1"} 1',
  'skipped_histogram_bucket{le="+Inf"} 2',
  'skipped_histogram_sum 1.5',
  'skipped_histogram_count 2',
  'skipped_histogram_total_other 9',
  'untyped_after 4',
  '#TYPE skipped_gauge gauge',
  'skipped_gauge 1',
  'untyped_after{x="y"} 5',
  '',
].join('\n');

const FAMILIES = ['raqib_probes_total', 'raqib_schedule_lateness_seconds', 'nodejs_eventloop_lag_max_seconds', 'untyped_first', 'untyped_after'];

describe('parseExposition', () => {
  it('gives the samples, series and family counts that reading every line gives, while skipping the families not asked for', () => {
    const got = parseExposition(PAGE, FAMILIES);
    const want = everyLine(PAGE, FAMILIES);
    expect(got.series).toBe(want.series);
    expect(got.samples).toEqual(want.samples);
    expect(got.byFamily).toEqual(want.byFamily);
    expect(got.byFamily.get('raqib_check_state')).toBe(50);
    expect(got.samples.has('raqib_check_state')).toBe(false);
    expect(sum(got, 'raqib_probes_total', { service: 'web' })).toBe(12);
    expect(got.samples.get('raqib_probes_total_extra')?.[0]?.value).toBe(7);
    expect(got.bytes).toBe(Buffer.byteLength(PAGE));
  });

  it('reads the lines of another family that follow a skipped one without a # TYPE of their own', () => {
    const got = parseExposition(PAGE, FAMILIES);
    expect(got.samples.get('untyped_after')?.map((s) => s.value)).toEqual([4, 5]);
    expect(got.byFamily.get('skipped_histogram')).toBe(4);
    expect(got.byFamily.get('skipped_histogram_total_other')).toBe(1);
    expect(got.byFamily.get('skipped_gauge')).toBe(1);
  });

  it('reads a page without a trailing newline to its last line', () => {
    const got = parseExposition('# TYPE nodejs_eventloop_lag_max_seconds gauge\nnodejs_eventloop_lag_max_seconds 0.5', FAMILIES);
    expect(got.samples.get('nodejs_eventloop_lag_max_seconds')?.[0]?.value).toBe(0.5);
    expect(got.byFamily.get('nodejs_eventloop_lag_max_seconds')).toBe(1);
  });
});
