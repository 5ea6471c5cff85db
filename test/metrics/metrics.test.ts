import { Counter, Gauge, Registry, Summary, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CheckSpec } from '../../agent/config/resolve.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { drain, turnsDuring } from '../helpers/pieces.js';

const spec = (service: string, check: string, type: CheckSpec['type']) =>
  ({ key: `${service}/${check}`, serviceId: service, checkId: check, type }) as CheckSpec;
const result = (total: number, over: Partial<ProbeResult> = {}): ProbeResult => ({
  status: 'up',
  code: 'OK',
  detail: '',
  phases: { connect: 1, total },
  observedAt: 0,
  httpStatus: 200,
  ...over,
});

/** A Metrics whose Registry holds raqib's families only: the process and Node ones change between two reads. */
function metricsOf(checks: number, registry = new Registry()): Metrics {
  const metrics = new Metrics(registry, { version: 'test', agent: 'a' });
  for (const m of registry.getMetricsAsArray()) if (!m.name.startsWith('raqib_')) registry.removeSingleMetric(m.name);
  for (let i = 0; i < checks; i++) {
    const service = `svc-${Math.floor(i / 50)}`;
    if (i % 50 === 0) metrics.addService(service, 'UP', 0, 99.5);
    const s = spec(service, `c${i}`, (['http', 'tcp', 'dns', 'tls'] as const)[i % 4]!);
    metrics.addCheck(s, 'UNKNOWN');
    metrics.observeProbe(s, result((i % 700) * 3.7, i % 9 === 0 ? { status: 'down', code: 'TIMEOUT' } : {}));
    metrics.setCheckState(s, i % 9 === 0 ? 'DOWN' : 'UP');
  }
  return metrics;
}

/** Each line with its labels in name order (these tests' label values have no `,` or `}`). */
const labelsSorted = (text: string) => text.replace(/\{([^}]*)\}/g, (_, labels: string) => `{${labels.split(',').sort().join(',')}}`);

describe('Metrics.renderChunks', () => {
  it("gives the Registry's families as prom-client's registry.metrics() writes them, then the per-check families", async () => {
    const metrics = metricsOf(600);
    metrics.probesSkipped.inc({ service: 'svc-1', reason: 'missed' }, 2);
    metrics.stateWritten(true, 0.003);
    const pieces = await drain(metrics.renderChunks());
    expect(pieces.join('')).toBe((await metrics.registry.metrics()) + metrics.checks.render());
    expect(pieces.join('')).toBe(await metrics.render());
    expect(pieces.length).toBeGreaterThan(3);
    const families = pieces
      .join('')
      .match(/^# TYPE \S+/gm)!
      .map((l) => l.slice(7));
    expect(families.slice(0, 3)).toEqual(['raqib_probe_duration_seconds', 'raqib_probes_total', 'raqib_probes_skipped_total']);
    expect(families.slice(-5)).toEqual([
      'raqib_probe_success',
      'raqib_probe_phase_seconds',
      'raqib_probe_http_status_code',
      'raqib_probe_tls_cert_expiry_timestamp_seconds',
      'raqib_check_state',
    ]);
  });

  it('writes the families of other modules, collect() and default labels as prom-client does', async () => {
    const registry = new Registry();
    const metrics = metricsOf(100, registry);
    new Counter({ name: 'raqib_other_total', help: 'Another module.', labelNames: ['op'], registers: [registry] }).inc({ op: 'a' });
    new Gauge({
      name: 'raqib_computed',
      help: 'At scrape.',
      registers: [registry],
      collect() {
        this.set(7);
      },
    });
    const prom = async () => (await registry.metrics()) + metrics.checks.render();
    expect((await drain(metrics.renderChunks())).join('')).toBe(await prom());
    // Default labels: the same series; prom-client puts them before a histogram's own labels.
    registry.setDefaultLabels({ agent: 'x' });
    const text = (await drain(metrics.renderChunks())).join('');
    expect(text).toMatch(/^raqib_probe_duration_seconds_bucket\{.*agent="x"/m);
    expect(labelsSorted(text)).toBe(labelsSorted(await prom()));
  });

  it('writes odd values, label values and help as the text format wants them, as prom-client does but for NaN', async () => {
    const registry = new Registry();
    const metrics = metricsOf(0, registry);
    const gauge = new Gauge({ name: 'raqib_odd', help: 'Help with a \\ and a\nnewline.', labelNames: ['b', 'a'], registers: [registry] });
    for (const [i, v] of [0, -0, -1, 0.1 + 0.2, 1e-7, 1e21, 2 ** 53 + 2, NaN, Infinity, -Infinity].entries())
      gauge.set({ a: `a${i}`, b: i % 2 ? 'q"uote\\back\nline' : 'بوابة' }, v);
    gauge.set({ b: 'n', a: 7 as unknown as string }, 1); // a number where a string is expected
    new Counter({ name: 'raqib_plain_total', help: 'No labels.', registers: [registry] }).inc(3);
    new Gauge({ name: 'raqib_unset', help: 'No series.', labelNames: ['a'], registers: [registry] });
    const summary = new Summary({ name: 'raqib_summary_seconds', help: 'Quantiles.', labelNames: ['op'], percentiles: [0.5, 0.99], registers: [registry] });
    for (const v of [0.1, 0.2, 0.4]) summary.observe({ op: 'x' }, v);
    const text = (await drain(metrics.renderChunks())).join('');
    expect(text).toContain('raqib_odd{a="a7",b="q\\"uote\\\\back\\nline"} NaN\n');
    expect(text).toBe(((await registry.metrics()) + metrics.checks.render()).replace(/ Nan$/gm, ' NaN'));
  });

  it('refuses to write the page in OpenMetrics, whose format the per-check families are not in', async () => {
    const registry = new Registry<RegistryContentType>();
    const metrics = metricsOf(1, registry as Registry);
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    await expect(drain(metrics.renderChunks())).rejects.toThrow(/text\/plain; version=0\.0\.4/);
  });

  it('lets the event loop turn between pieces once its time slice is used', async () => {
    const metrics = metricsOf(2_000);
    const { result: pieces, turns } = await turnsDuring(() => drain(metrics.renderChunks(0)));
    expect(pieces.length).toBeGreaterThan(10);
    expect(turns).toBeGreaterThanOrEqual(pieces.length - 1);
  });
});
