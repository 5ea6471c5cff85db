/**
 * The Prometheus rules under dashboards/prometheus: `promtool check rules` and `check config`
 * pass, and `promtool test rules` runs one test file per alert group in which every alert is
 * shown both firing and silent. Needs promtool (Debian's prometheus package; .ci/run installs it).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULES_DIR } from './grafana.js';
import { promtool } from './prometheus.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}
interface TestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertTest[]; promql_expr_test?: unknown[] }[];
}

const ruleFiles = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.rules.yml'))
  .sort();
const testFiles = readdirSync(join(RULES_DIR, 'tests'))
  .filter((f) => f.endsWith('.test.yml'))
  .sort();
const load = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const alertGroups = ruleFiles.flatMap((f) => load<RuleFile>(join(RULES_DIR, f)).groups).filter((g) => g.rules.some((r) => r.alert));
const ARABIC = /[\u0600-\u06FF]/;

describe('Prometheus rules', () => {
  it('alert on everything the issue lists, with a severity and annotations in English and Arabic', () => {
    const alerts = alertGroups.flatMap((g) => g.rules).filter((r) => r.alert);
    const names = new Set(alerts.map((r) => r.alert));
    for (const name of [
      'RaqibServiceDown',
      'RaqibReportNotDelivered',
      'RaqibDeadLetter',
      'RaqibAuthoritySignInLost',
      'RaqibAgentBlind',
      'RaqibCertificateExpiring',
      'RaqibSchedulerLagging',
      'RaqibConfigReloadFailed',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    for (const r of alerts) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.['severity']);
      expect(Object.keys(r.annotations ?? {}).sort(), r.alert).toEqual(['description', 'description_ar', 'summary', 'summary_ar']);
      expect(r.annotations!['summary_ar'], r.alert).toMatch(ARABIC);
      expect(r.annotations!['description_ar'], r.alert).toMatch(ARABIC);
    }
  });

  it('record availability ratios and error-budget burn rates against each service objective', () => {
    const records = ruleFiles
      .flatMap((f) => load<RuleFile>(join(RULES_DIR, f)).groups)
      .flatMap((g) => g.rules)
      .filter((r) => r.record);
    const byName = new Map(records.map((r) => [r.record!, r.expr]));
    for (const w of ['5m', '30m', '1h', '6h', '1d', '3d', '30d']) {
      expect(byName.get(`service:raqib_availability:ratio_${w}`), w).toMatch(/^avg_over_time\((raqib_service_up|service:raqib_availability:ratio_5m)\[/);
      expect(byName.get(`service:raqib_error_budget_burn:rate${w}`), w).toContain('(1 - raqib_service_slo_objective)');
    }
    expect(byName.get('service:raqib_error_budget_remaining:ratio_30d')).toBeDefined();
  });

  it('have one promtool test file per alert group, showing every alert firing and silent', () => {
    const tested = new Map<string, { firing: boolean; silent: boolean }>();
    for (const g of alertGroups) {
      const file = `${g.name.replace(/^raqib-/, '')}.test.yml`;
      expect(testFiles, `tests/${file} for the group ${g.name}`).toContain(file);
      const doc = load<TestFile>(join(RULES_DIR, 'tests', file));
      for (const r of g.rules.filter((r) => r.alert)) {
        const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === r.alert);
        tested.set(r.alert!, { firing: cases.some((c) => c.exp_alerts.length > 0), silent: cases.some((c) => c.exp_alerts.length === 0) });
      }
    }
    for (const [alert, seen] of tested) expect(seen, alert).toEqual({ firing: true, silent: true });
  });

  describe('with promtool', () => {
    it('promtool check rules passes', () => {
      const r = promtool(['check', 'rules', ...ruleFiles], RULES_DIR);
      expect(r.out).toMatch(/SUCCESS/);
      expect(r.code, r.out).toBe(0);
    });

    it('promtool check config passes on the example prometheus.yml (with its rule files)', () => {
      const r = promtool(['check', 'config', 'prometheus.yml'], RULES_DIR);
      expect(r.code, r.out).toBe(0);
      for (const f of ruleFiles) expect(r.out).toContain(f);
    });

    it('promtool test rules passes', () => {
      const r = promtool(['test', 'rules', ...testFiles.map((f) => join('tests', f))], RULES_DIR);
      expect(r.code, r.out).toBe(0);
      expect(r.out.match(/SUCCESS/g)).toHaveLength(testFiles.length);
    });
  });
});
