/**
 * The /metrics page as Prometheus reads it: served by the agent's server on a real socket, then
 * checked by `promtool check metrics` and scraped by a real Prometheus (Debian's prometheus
 * package; `npm test` and .ci/run install it). The Registry's families are prom-client's text;
 * the per-check families are raqib's own writer (check-series.ts): both must parse, lint clean,
 * and give back the label values and numbers they were given.
 */
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckSpec } from '../../agent/config/resolve.js';
import { createLogger } from '../../agent/log.js';
import { Metrics } from '../../agent/metrics/metrics.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { startServer, type AgentServer } from '../../agent/server/server.js';
import { PROMTOOL, startPrometheus, type PromSample, type PrometheusServer } from '../dashboards/prometheus.js';
import { tempDir } from '../helpers/tmp.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A check id with every character the text format escapes, and Arabic. */
const ODD_CHECK = 'بوابة "main"\\path\nline';

interface Check {
  spec: CheckSpec;
  result: ProbeResult;
}

/**
 * Raqib's families only (prom-client's default process and Node families are its own, and lint
 * with its naming), for services of 10 checks of every type; some down, one with an odd id.
 */
function agentMetrics(): { metrics: Metrics; checks: Check[] } {
  const registry = new Registry();
  const metrics = new Metrics(registry, { version: 'test', agent: 'agent-1' });
  for (const m of registry.getMetricsAsArray()) if (!m.name.startsWith('raqib_')) registry.removeSingleMetric(m.name);
  const checks: Check[] = [];
  for (let i = 0; i < 40; i++) {
    const service = `svc-${Math.floor(i / 10)}`;
    if (i % 10 === 0) metrics.addService(service, 'UP', 0, 99.5);
    const type = (['http', 'tcp', 'dns', 'tls'] as const)[i % 4]!;
    const checkId = i === 7 ? ODD_CHECK : `c${i}`;
    const spec = { key: `${service}/${checkId}`, serviceId: service, checkId, type } as CheckSpec;
    const down = i % 9 === 0;
    const result: ProbeResult = {
      status: down ? 'down' : 'up',
      code: down ? 'TIMEOUT' : 'OK',
      detail: '',
      phases: { connect: 1.5, ...(type === 'tls' ? { tls: 7.25 } : {}), total: 10 + i * 3.7 },
      observedAt: 0,
      ...(type === 'http' ? { httpStatus: down ? 503 : 200 } : {}),
      ...(type === 'tls' ? { tlsCertExpiry: 1_800_000_000 + i } : {}),
    };
    metrics.addCheck(spec, 'UNKNOWN');
    metrics.observeProbe(spec, result);
    metrics.setCheckState(spec, down ? 'DOWN' : 'UP');
    checks.push({ spec, result });
  }
  return { metrics, checks };
}

async function serve(metrics: Metrics): Promise<AgentServer> {
  const server = await startServer('127.0.0.1', 0, {
    log: createLogger({ level: 'silent' }),
    authToken: () => undefined,
    metrics: () => ({ contentType: metrics.registry.contentType, chunks: metrics.renderChunks() }),
    readiness: () => ({ ready: true, reasons: [] }),
    api: () => undefined,
  });
  closers.push(() => server.close());
  return server;
}

async function page(server: AgentServer): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/** Samples per family name in the page's text. */
function samplesByName(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** A PromQL string literal (Go's escapes). */
const promqlString = (s: string) => JSON.stringify(s);

async function vector(prom: PrometheusServer, expr: string): Promise<PromSample[]> {
  const r = await prom.query(expr);
  return r.result as PromSample[];
}

describe('/metrics as Prometheus reads it', () => {
  it('passes promtool check metrics: it parses, and every family lints clean', async () => {
    const { metrics } = agentMetrics();
    const text = await page(await serve(metrics));
    expect(text).toContain('raqib_probe_phase_seconds{');
    expect(text).toContain('raqib_probe_duration_seconds_bucket{');
    if (!PROMTOOL) throw new Error("promtool not found: install Debian's prometheus package, as .ci/run does");
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('is scraped whole by Prometheus, with the label values and numbers it was given', async () => {
    const { metrics, checks } = agentMetrics();
    const server = await serve(metrics);
    const prom = await startPrometheus({ dir: await tempDir('raqib-exposition-'), target: `127.0.0.1:${server.address.port}`, ruleFiles: [] });
    closers.push(() => prom.stop());
    // Until Prometheus has scraped once (it scrapes every second).
    let scraped: PromSample[] = [];
    while (scraped.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      scraped = await vector(prom, 'scrape_samples_scraped{job="raqib"}');
    }
    expect((await vector(prom, 'up{job="raqib"}'))[0]!.value[1]).toBe('1');

    // Every sample of the page, and per family as many series as the page has lines.
    const expected = samplesByName(await page(server));
    expect(Number(scraped[0]!.value[1])).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    const families = await vector(prom, 'count by (__name__) ({job="raqib", __name__=~"raqib_.+"})');
    expect(new Map(families.map((s) => [s.metric['__name__']!, Number(s.value[1])]))).toEqual(expected);

    // The odd check id comes back as it was, in the per-check families and with its values.
    const odd = checks.find((c) => c.spec.checkId === ODD_CHECK)!;
    const phases = await vector(prom, `raqib_probe_phase_seconds{check=${promqlString(ODD_CHECK)}}`);
    expect(Object.fromEntries(phases.map((s) => [s.metric['phase'], Number(s.value[1])]))).toEqual(
      Object.fromEntries(Object.entries(odd.result.phases).map(([phase, ms]) => [phase, Number((ms / 1000).toFixed(9))])), // written to the nanosecond
    );
    expect((await vector(prom, `raqib_check_state{check=${promqlString(ODD_CHECK)}} == 1`)).map((s) => s.metric['state'])).toEqual(['UP']);

    // The per-check families and the Registry's agree on what was probed.
    const success = await vector(prom, 'sum(raqib_probe_success)');
    expect(Number(success[0]!.value[1])).toBe(checks.filter((c) => c.result.status !== 'down').length);
    const probed = await vector(prom, 'sum(raqib_probe_duration_seconds_count)');
    expect(Number(probed[0]!.value[1])).toBe(checks.length);
    const expiry = await vector(prom, 'max(raqib_probe_tls_cert_expiry_timestamp_seconds)');
    expect(Number(expiry[0]!.value[1])).toBe(Math.max(...checks.map((c) => c.result.tlsCertExpiry ?? 0)));
    const failing = await vector(prom, 'count(raqib_probe_http_status_code == 503)');
    expect(Number(failing[0]!.value[1])).toBe(checks.filter((c) => c.result.httpStatus === 503).length);
  }, 60_000);
});
