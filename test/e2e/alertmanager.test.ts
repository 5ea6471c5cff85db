/**
 * Alertmanager as a source of outages, end to end with the real processes an entity runs: Debian's
 * blackbox_exporter probes a local service, Debian's Prometheus evaluates a rule on it, Debian's
 * Alertmanager sends the alert to the built agent, and the agent files with a real sandbox.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrometheus, type PrometheusServer } from '../dashboards/prometheus.js';
import { eventually, runCli, sample, startAgent, stopAllAgents } from '../helpers/agent-process.js';
import { startAlertmanager, startBlackbox, stopDaemons } from '../helpers/alerting.js';
import { configYaml } from '../helpers/config.js';
import { ALTERNATE, closeSandboxes, MANAGER, startTestSandbox } from '../helpers/reporting.js';
import { startSwitchTarget, type SwitchTarget } from '../helpers/switch-target.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'alertmanager-e2e-token-0123456789';
let prometheus: PrometheusServer | undefined;
let target: SwitchTarget | undefined;
afterEach(async () => {
  await prometheus?.stop();
  await stopDaemons();
  await stopAllAgents();
  await closeSandboxes();
  await target?.close();
});

describe('Alertmanager in', () => {
  it('files exactly one report for an alert a blackbox rule raises, and restores it when the target answers again', async () => {
    target = await startSwitchTarget(true);
    const sandbox = await startTestSandbox();
    const dir = await tempDir('raqib-alerting-');
    const yaml = configYaml(
      [
        {
          id: 'appointments',
          checks: [{ id: 'alerts', type: 'alert', matchers: ['alertname="ServiceProbeFailed"', `instance="${target.url}"`], interval: '1s', timeout: '500ms' }],
        },
      ],
      { data_dir: './data', alertmanager: { token: '${RAQIB_ALERTMANAGER_TOKEN}' } },
      {
        authority: { mode: 'sandbox', url: sandbox.url, update_interval: '2s', followup_interval: '500ms', retry_max_delay: '1s' },
        crisis_team: { members: [MANAGER, ALTERNATE] },
      },
    );
    const env = { RAQIB_ALERTMANAGER_TOKEN: TOKEN };
    await writeFile(join(dir, 'raqib.yaml'), yaml);
    expect((await runCli(['login', '--config', join(dir, 'raqib.yaml')], env, dir)).code).toBe(0);
    const agent = await startAgent(yaml, { dir, env });
    await eventually(() => sandbox.state.teams.length === 1);

    const tokenFile = join(dir, 'raqib-token');
    await writeFile(tokenFile, TOKEN);
    await chmod(tokenFile, 0o600);
    const alertmanager = await startAlertmanager(
      dir,
      [
        'route:',
        '  receiver: raqib',
        '  group_by: [alertname, instance]',
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 2s', // repeats arrive while the outage lasts
        'receivers:',
        '  - name: raqib',
        '    webhook_configs:',
        `      - url: ${agent.url}/api/v1/alertmanager`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials_file: ${tokenFile}`,
        '',
      ].join('\n'),
    );
    const blackbox = await startBlackbox(dir);
    const rules = join(dir, 'rules.yml');
    await writeFile(
      rules,
      [
        'groups:',
        '  - name: raqib-e2e',
        '    rules:',
        '      - alert: ServiceProbeFailed',
        '        expr: probe_success{job="blackbox"} == 0',
        '        for: 2s',
        '        annotations:',
        '          summary: "{{ $labels.instance }} does not answer"',
        '',
      ].join('\n'),
    );
    prometheus = await startPrometheus({
      dir,
      ruleFiles: [rules],
      scrapeConfig: [
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: ["${alertmanager.url.slice('http://'.length)}"] }]`,
        'scrape_configs:',
        '  - job_name: blackbox',
        '    metrics_path: /probe',
        '    params: { module: [http_2xx] }',
        `    static_configs: [{ targets: ["${target.url}"] }]`,
        '    relabel_configs:',
        '      - { source_labels: [__address__], target_label: __param_target }',
        '      - { source_labels: [__param_target], target_label: instance }',
        `      - { target_label: __address__, replacement: "${blackbox.url.slice('http://'.length)}" }`,
      ].join('\n'),
    });
    const state = async (s: string) => sample(await agent.metrics(), 'raqib_check_state', { check: 'alerts', state: s }) === 1;
    await eventually(async () => ((await prometheus!.query('probe_success')).result as unknown[]).length > 0 && (await state('UP')), 20_000);

    target.set(false);
    const filed = await eventually(() => sandbox.state.reports[0], 30_000);
    expect(filed.type).toBe('own_service_outage');
    expect(JSON.stringify(filed.body)).toContain('ServiceProbeFailed');
    expect(JSON.stringify(filed.body)).toContain(`${target.url} does not answer`);

    const accepted = async () => sample(await agent.metrics(), 'raqib_alertmanager_deliveries_total', { result: 'accepted' }) ?? 0;
    await eventually(async () => (await accepted()) >= 3, 20_000); // the firing alert and two of its repeats
    expect(sandbox.state.reports).toHaveLength(1); // Alertmanager's repeats file nothing more
    target.set(true);
    await eventually(() => sandbox.state.reports[0]!.updates.some((u) => u.status === 'restored'), 30_000);
    await new Promise((r) => setTimeout(r, 3_000)); // Prometheus's resends of the resolution change nothing either
    expect(sandbox.state.reports).toHaveLength(1);
    expect(sandbox.state.reports[0]!.updates.filter((u) => u.status === 'restored')).toHaveLength(1);
    const metrics = await agent.metrics();
    expect(sample(metrics, 'raqib_alertmanager_deliveries_total', { result: 'accepted' })).toBeGreaterThanOrEqual(4);
    expect(sample(metrics, 'raqib_alertmanager_deliveries_total', { result: 'unauthorized' })).toBe(0);
  }, 120_000);
});
