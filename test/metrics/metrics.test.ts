import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CheckSpec } from '../../agent/config/resolve.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import { ByteWriter, familyPieces } from '../../agent/metrics/registry-bytes.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { drain, turnsDuring } from '../helpers/pieces.js';

const spec = (service: string, check: string, type: CheckSpec['type']) => ({ key: `${service}/${check}`, serviceId: service, checkId: check, type }) as CheckSpec;
const result = (total: number, over: Partial<ProbeResult> = {}): ProbeResult => ({ status: 'up', code: 'OK', detail: '', phases: { connect: 1, total }, observedAt: 0, httpStatus: 200, ...over });

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

/** What familyPieces writes for a family, in pieces of `size` bytes; PROM where it asks prom-client. */
async function familyText(metric: object, size?: number): Promise<string> {
  const out = new ByteWriter(size);
  const pieces: Buffer[] = [];
  for await (const piece of familyPieces(out, metric, async () => 'PROM')) pieces.push(piece);
  pieces.push(out.take());
  return Buffer.concat(pieces).toString('utf8');
}

describe('ByteWriter', () => {
  it('writes numbers as prom-client does: whole ones digit by digit, the others as String() has them', () => {
    const values = [0, -0, 7, 9, 10, 99, 100, 12345, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21, -1, 0.5, 0.1 + 0.2, 1e-7, NaN, Infinity, -Infinity];
    const out = new ByteWriter();
    for (const v of values) {
      out.number(v);
      out.text(' ');
    }
    expect(out.take().toString()).toBe(values.map((v) => (Number.isNaN(v) ? 'Nan' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v))).join(' ') + ' ');
  });

  it('writes text as UTF-8, grows for a long series, and gives a piece once its size is reached', () => {
    const out = new ByteWriter(16);
    out.text('service="');
    expect(out.full).toBe(false);
    out.text('رقيب"} é');
    expect(out.full).toBe(true);
    expect(out.take().toString()).toBe('service="رقيب"} é');
    expect(out.full).toBe(false);
    const edge = new ByteWriter(16); // a Buffer of 16 + 4,096 bytes: multi-byte text at its very end must grow it, not be cut
    const tail = 'رقيب 😀 \ud800 é';
    edge.text('a'.repeat(4_100));
    edge.text(tail);
    expect(edge.take().toString()).toBe('a'.repeat(4_100) + tail.replace('\ud800', '\ufffd')); // a lone surrogate is written as U+FFFD
    const long = 'x'.repeat(50_000);
    out.text('a');
    out.text(long);
    out.number(12);
    expect(out.take().toString()).toBe(`a${long}12`);
    expect(out.take().length).toBe(0);
  });

  it('refuses to copy bytes of a piece already taken', () => {
    const out = new ByteWriter();
    out.text('abc');
    out.again(0, 2);
    expect(out.take().toString()).toBe('abcab');
    out.text('x');
    expect(() => out.again(0, 3)).toThrow(RangeError);
  });
});

describe('familyPieces: histograms', () => {
  it('is what prom-client renders, for labelled, unlabelled, escaped, empty and removed series', async () => {
    const registry = new Registry();
    const labelled = new Histogram({ name: 'h_labelled_seconds', help: 'With labels.', labelNames: ['service', 'type'], buckets: [0.025, 0.1, 1, 10], registers: [registry] });
    const plain = new Histogram({ name: 'h_plain_seconds', help: 'No labels, default buckets.', registers: [registry] });
    const empty = new Histogram({ name: 'h_empty', help: 'Labels, nothing observed.', labelNames: ['a'], registers: [registry] });
    const odd = new Histogram({ name: 'h_odd', help: 'Help with a \\ and a\nnewline.', labelNames: ['b', 'a'], buckets: [1e-7, 0.5, 1e21], registers: [registry] });
    const values = [0, 0.001, 0.025, 0.0250001, 0.099, 0.3, 0.1 + 0.2, 9.99, 10, 11, 1e6, 1e22];
    for (const [i, v] of values.entries()) {
      labelled.observe({ service: `svc-${i % 3}`, type: i % 2 ? 'http' : 'tcp' }, v);
      plain.observe(v);
      odd.observe({ b: i % 2 ? 'x"y' : 'back\\slash', a: i % 3 ? 'new\nline' : '' }, v);
    }
    labelled.observe({ type: 'dns', service: 'svc-9' }, 0.5); // keys in another order
    labelled.observe({ service: 'l'.repeat(10_000), type: 'http' }, 0.2); // a series longer than a Buffer
    labelled.remove({ service: 'svc-1', type: 'tcp' });
    for (const [name, h] of [['h_labelled_seconds', labelled], ['h_plain_seconds', plain], ['h_empty', empty], ['h_odd', odd]] as const) {
      expect(await familyText(h), name).toBe(await registry.getSingleMetricAsString(name));
      for (const size of [8, 64]) expect(await familyText(h, size), `${name} in pieces of ${size} bytes`).toBe(await registry.getSingleMetricAsString(name));
    }
    plain.reset();
    expect(await familyText(plain)).toBe(await registry.getSingleMetricAsString('h_plain_seconds'));
  });

  it('writes each series whole from its counts then, when probes observe or a service goes while the scrape is paused', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'h_live', help: 'x', labelNames: ['service'], buckets: [0.1, 1], registers: [registry] });
    for (let i = 0; i < 4; i++) h.observe({ service: `s${i}` }, 0.05 * i);
    const out = new ByteWriter(8);
    const pieces: Buffer[] = [];
    for await (const piece of familyPieces(out, h, async () => 'PROM')) {
      if (pieces.length === 0) {
        h.observe({ service: 's3' }, 5); // not written yet: its series counts it
        h.observe({ service: 's0' }, 5); // written already: this scrape does not
        h.remove({ service: 's2' }); // listed when the scrape began: still written, whole
      }
      pieces.push(piece);
    }
    pieces.push(out.take());
    const text = Buffer.concat(pieces).toString();
    const value = (line: string) => Number(text.match(new RegExp(`^${line.replace(/[{}+]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
    for (const s of ['s0', 's1', 's2', 's3']) expect(value(`h_live_bucket{le="+Inf",service="${s}"}`), s).toBe(value(`h_live_count{service="${s}"}`));
    expect(value('h_live_count{service="s3"}')).toBe(2);
    expect(value('h_live_count{service="s0"}')).toBe(1);
    expect(value('h_live_bucket{le="1",service="s2"}')).toBe(1);
  });

  it("leaves to prom-client the histograms it does not know: with collect(), with exemplars", async () => {
    const registry = new Registry();
    const collected = new Histogram({ name: 'h_c', help: 'x', registers: [registry], collect() {} });
    const open = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE); // exemplars need it
    const exemplars = new Histogram({ name: 'h_e', help: 'x', labelNames: ['a'], enableExemplars: true, registers: [open] });
    expect(await familyText(collected)).toBe('PROM');
    expect(await familyText(exemplars)).toBe('PROM');
  });
});

describe('familyPieces: counters and gauges', () => {
  it('is what prom-client renders for counters and gauges: labels, none, escaped, odd values, collect()', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'Counter with a \\ and\na newline.', labelNames: ['service', 'result'], registers: [registry] });
    const plainCounter = new Counter({ name: 'c_plain_total', help: 'No labels.', registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'Gauge.', labelNames: ['b', 'a'], registers: [registry] });
    const unset = new Gauge({ name: 'g_unset', help: 'Nothing set.', labelNames: ['a'], registers: [registry] });
    const collected = new Gauge({
      name: 'g_collected',
      help: 'Set at scrape.',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        this.set({ service: 'x' }, 1);
        this.set({ service: 'y"z' }, 0);
      },
    });
    counter.inc({ service: 'web', result: 'up' }, 0);
    counter.inc({ result: 'down', service: 'back\\slash' }, 3.5);
    counter.inc({ service: 'new\nline', result: 'up' });
    counter.inc({ service: 'gone', result: 'up' });
    counter.remove({ service: 'gone', result: 'up' });
    plainCounter.inc(1e21);
    for (const [i, v] of [0, -1, 0.1 + 0.2, 1e-7, NaN, Infinity, -Infinity, 2 ** 53 + 2].entries()) gauge.set({ a: `a${i}`, b: i % 2 ? 'q"uote' : '' }, v);
    gauge.set({ b: 'n', a: 7 as unknown as string }, 1); // a number where a string is expected
    gauge.set({ b: 'o', a: { toString: () => 'q"uo\\te' } as unknown as string }, 2); // prom-client escapes strings only
    for (const [name, m] of [['c_total', counter], ['c_plain_total', plainCounter], ['g', gauge], ['g_unset', unset], ['g_collected', collected]] as const) {
      expect(await familyText(m), name).toBe(await registry.getSingleMetricAsString(name));
      for (const size of [8, 64]) expect(await familyText(m, size), `${name} in pieces of ${size} bytes`).toBe(await registry.getSingleMetricAsString(name));
    }
  });

  it('leaves summaries to prom-client', async () => {
    const { Summary } = await import('prom-client');
    expect(await familyText(new Summary({ name: 's', help: 'x', registers: [] }))).toBe('PROM');
  });
});

describe('Metrics.renderChunks', () => {
  it('gives the text of render() (prom-client for the Registry, then the per-check families)', async () => {
    const metrics = metricsOf(600);
    metrics.probesSkipped.inc({ service: 'svc-1', reason: 'missed' }, 2);
    metrics.stateWritten(true, 0.003);
    const pieces = await drain(metrics.renderChunks());
    expect(pieces.join('')).toBe(await metrics.render());
    expect(pieces.length).toBeGreaterThan(3);
    const families = pieces.join('').match(/^# TYPE \S+/gm)!.map((l) => l.slice(7));
    expect(families.slice(0, 3)).toEqual(['raqib_probe_duration_seconds', 'raqib_probes_total', 'raqib_probes_skipped_total']);
    expect(families.slice(-5)).toEqual(['raqib_probe_success', 'raqib_probe_phase_seconds', 'raqib_probe_http_status_code', 'raqib_probe_tls_cert_expiry_timestamp_seconds', 'raqib_check_state']);
  });

  it('keeps families it does not render itself (other modules, collect(), default labels) as prom-client does', async () => {
    const registry = new Registry();
    const metrics = metricsOf(100, registry);
    new Counter({ name: 'raqib_other_total', help: 'Another module.', labelNames: ['op'], registers: [registry] }).inc({ op: 'a' });
    new Gauge({ name: 'raqib_computed', help: 'At scrape.', registers: [registry], collect() { this.set(7); } });
    expect((await drain(metrics.renderChunks())).join('')).toBe(await metrics.render());
    registry.setDefaultLabels({ agent: 'x' });
    expect((await drain(metrics.renderChunks())).join('')).toBe(await metrics.render());
  });

  it('lets the event loop turn between pieces once its time slice is used', async () => {
    const metrics = metricsOf(2_000);
    const { result: pieces, turns } = await turnsDuring(() => drain(metrics.renderChunks(0)));
    expect(pieces.length).toBeGreaterThan(10);
    expect(turns).toBeGreaterThanOrEqual(pieces.length - 1);
  });
});
