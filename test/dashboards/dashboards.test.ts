/**
 * The Grafana dashboards as files: importable as they are (the data source an input and a
 * variable, never a hard-coded uid), the service variable, units on every panel, English with
 * Arabic alongside, a layout without overlaps, and expressions that only name metrics raqib
 * exports or the recording rules define. live.test.ts then runs every expression against a real
 * Prometheus scraping a real agent.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EVENT_LOOP_PRECISION_MS } from '../../agent/metrics/metrics.js';
import { ROOT } from '../helpers/agent-process.js';
import { allPanels, loadDashboards, panelQueries, parseLabelValues, RULES_DIR, variableQuery, type Dashboard } from './grafana.js';

const dashboards = loadDashboards();
const ARABIC = /[\u0600-\u06FF]/;
/** The dashboards a crisis team reads: every title and description in both languages. */
const CRISIS_TEAM = ['raqib-overview', 'raqib-service', 'raqib-reporting'];

/**
 * Metric names raqib declares in agent/metrics/*.ts (every `name: 'raqib_…'`), with a histogram's
 * _bucket, _sum and _count.
 */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const dir = join(ROOT, 'agent/metrics');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/\bname: ['"](raqib_\w+)['"]/g)) names.add(m[1]!);
    for (const m of text.matchAll(/new (?:Histogram|Summary)\(\{\s*name: ['"](raqib_\w+)['"]/g))
      for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

function recordedSeries(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith('.rules.yml'))) {
    const doc = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as { groups: { rules: { record?: string }[] }[] };
    for (const g of doc.groups) for (const r of g.rules) if (r.record) names.add(r.record);
  }
  return names;
}

const byUid = (uid: string): Dashboard => dashboards.find((d) => d.uid === uid)!;

describe('Grafana dashboards', () => {
  it('are the four the issue lists, each with a unique uid', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['raqib-agent', 'raqib-overview', 'raqib-reporting', 'raqib-service']);
    for (const d of dashboards) {
      expect(d.schemaVersion, d.file).toBeGreaterThanOrEqual(39);
      expect(d.title, d.file).toMatch(ARABIC);
      expect(d.tags, d.file).toContain('raqib');
    }
  });

  it('take the data source as an import input and a variable, never a hard-coded uid', () => {
    for (const d of dashboards) {
      expect(d.__inputs, d.file).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
      const dsVar = d.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
      expect(dsVar, `${d.file}: a datasource variable DS_PROMETHEUS, so provisioning works too`).toMatchObject({ type: 'datasource', query: 'prometheus' });
      // Every data source reference anywhere in the file is the input, or Grafana's built-in annotations.
      const uids: string[] = [];
      const walk = (node: unknown, key = ''): void => {
        if (Array.isArray(node)) node.forEach((n) => walk(n, key));
        else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
        else if (key === 'uid' && typeof node === 'string') uids.push(node);
      };
      walk(d.panels);
      walk(d.templating);
      expect(new Set(uids), d.file).toEqual(new Set(['${DS_PROMETHEUS}']));
      for (const p of allPanels(d).filter((p) => p.type !== 'row')) {
        expect(p.datasource, `${d.file}: ${p.title}`).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
        for (const t of p.targets ?? []) expect(t.datasource, `${d.file}: ${p.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      }
    }
  });

  it('have a service variable from label_values(raqib_service_up, service), and an agent variable', () => {
    for (const d of dashboards) {
      const service = d.templating.list.find((v) => v.name === 'service');
      expect(service, d.file).toBeDefined();
      expect(parseLabelValues(variableQuery(service!))).toEqual({ selector: 'raqib_service_up{instance=~"$instance"}', label: 'service' });
      const instance = d.templating.list.find((v) => v.name === 'instance');
      expect(parseLabelValues(variableQuery(instance!))).toEqual({ selector: 'raqib_build_info', label: 'instance' });
      for (const v of d.templating.list.filter((x) => x.includeAll)) expect(v.allValue, `${d.file} ${v.name}`).toBe('.*');
    }
    expect(byUid('raqib-service').templating.list.find((v) => v.name === 'service')).toMatchObject({ multi: false, includeAll: false });
  });

  it('set a unit, a title and a description on every panel, and a query on every target', () => {
    for (const d of dashboards) {
      for (const p of allPanels(d).filter((p) => p.type !== 'row')) {
        const where = `${d.file}: ${p.title ?? p.id}`;
        expect(p.title, where).toBeTruthy();
        expect(p.description, where).toBeTruthy();
        expect(p.fieldConfig?.defaults?.unit, `${where}: unit`).toEqual(expect.any(String));
        expect(p.fieldConfig!.defaults!.unit!.length, `${where}: unit`).toBeGreaterThan(0);
        expect(p.targets?.length, where).toBeGreaterThan(0);
        for (const t of p.targets!) expect(t.expr?.trim(), `${where} ${t.refId}`).toBeTruthy();
      }
    }
  });

  it('write titles in English with Arabic alongside, and descriptions too where a crisis team reads them', () => {
    for (const d of dashboards) {
      for (const p of allPanels(d)) expect(p.title, `${d.file}: ${p.title}`).toMatch(ARABIC);
      if (!CRISIS_TEAM.includes(d.uid)) continue;
      expect(d.description, d.file).toMatch(ARABIC);
      for (const p of allPanels(d).filter((p) => p.type !== 'row')) expect(p.description, `${d.file}: ${p.title}`).toMatch(ARABIC);
    }
  });

  it('lay panels out on the 24-column grid without overlaps, with unique ids', () => {
    for (const d of dashboards) {
      const panels = allPanels(d);
      expect(new Set(panels.map((p) => p.id)).size, d.file).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        const g = p.gridPos!;
        expect(g.x + g.w, `${d.file}: ${p.title}`).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${d.file}: ${p.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    }
  });

  it('query only metrics raqib exports and series the recording rules define', () => {
    const known = new Set([...exportedMetrics(), ...recordedSeries()]);
    expect(known.has('raqib_service_up')).toBe(true);
    const unknown: string[] = [];
    for (const d of dashboards) {
      const exprs = [...panelQueries(d).map((q) => q.expr), ...d.templating.list.filter((v) => v.type === 'query').map(variableQuery)];
      for (const expr of exprs) for (const m of expr.matchAll(/\b(?:\w+:)?raqib_\w+(?::\w+)?/g)) if (!known.has(m[0])) unknown.push(`${d.file}: ${m[0]}`);
    }
    expect(unknown).toEqual([]);
  });

  it('cover what the issue asks of each dashboard', () => {
    const exprs = (uid: string) =>
      panelQueries(byUid(uid))
        .map((q) => q.expr)
        .join('\n');
    const overview = exprs('raqib-overview');
    for (const m of [
      'raqib_service_state',
      'raqib_service_up',
      'service:raqib_availability:ratio_1d',
      'service:raqib_availability:ratio_30d',
      'raqib_service_slo_objective',
      'raqib_incidents_open',
      'raqib_reports_status',
      'raqib_authority_authorized',
    ])
      expect(overview).toContain(m);
    const service = exprs('raqib-service');
    for (const m of [
      'raqib_probe_phase_seconds',
      'raqib_probe_http_status_code',
      'raqib_probe_tls_cert_expiry_timestamp_seconds',
      'raqib_check_state',
      'raqib_service_state',
    ])
      expect(service).toContain(m);
    const reporting = exprs('raqib-reporting');
    for (const m of [
      'raqib_reports_total',
      'raqib_outbox_pending',
      'raqib_outbox_oldest_age_seconds',
      'raqib_dead_letters',
      'raqib_authority_request_duration_seconds_bucket',
      'code!~"2.."',
      'raqib_report_ack_seconds_bucket',
      'raqib_guidance_total',
      'raqib_authority_authorized',
    ])
      expect(reporting).toContain(m);
    const agent = exprs('raqib-agent');
    for (const m of [
      'raqib_schedule_lateness_seconds_bucket',
      'raqib_probes_skipped_total',
      'nodejs_eventloop_lag',
      'process_resident_memory_bytes',
      'raqib_config_last_reload_successful',
      'raqib_agent_blind',
    ])
      expect(agent).toContain(m);
    // prom-client's lag figures include its timer's period; the panel takes exactly that period off.
    const lag = panelQueries(byUid('raqib-agent')).filter((q) => q.expr.includes('nodejs_eventloop_lag'));
    expect(lag.map((q) => q.expr.match(/nodejs_eventloop_lag_(\w+)_seconds\{[^}]*\} - ([\d.]+)/)?.slice(1))).toEqual(
      ['p50', 'p99', 'max'].map((q) => [q, String(EVENT_LOOP_PRECISION_MS / 1000)]),
    );
    // Rates follow Grafana's $__rate_interval, so short ranges (and the live test) get data.
    for (const d of dashboards)
      for (const q of panelQueries(d))
        for (const m of q.expr.matchAll(/\b(rate|increase)\([^[]*\[([^\]]+)\]/g)) expect(m[2], `${d.file}: ${q.panel}`).toMatch(/^\$__(rate_interval|range)$/);
  });

  it('are provisioned by the Grafana folder compose.yaml mounts', () => {
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { volumes?: string[]; image?: string; build?: string }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'prometheus', 'raqib']);
    for (const svc of Object.values(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const [src] = v.split(':');
        if (src!.startsWith('./')) expect(existsSync(join(ROOT, src!)), v).toBe(true);
      }
    }
    const ds = parse(readFileSync(join(ROOT, 'dashboards/grafana/provisioning/datasources/raqib.yaml'), 'utf8')) as {
      datasources: { type: string; url: string }[];
    };
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(readFileSync(join(ROOT, 'dashboards/grafana/provisioning/dashboards/raqib.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(provider.providers[0]).toMatchObject({ type: 'file' });
    expect(compose.services['grafana']!.volumes).toContain(`./dashboards:${provider.providers[0]!.options.path}:ro`);
  });
});
