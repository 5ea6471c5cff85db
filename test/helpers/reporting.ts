/**
 * Reporting end-to-end helpers: a sandbox authority in the test process (so tests can inject
 * faults and read what it holds), and agent configs that file with it on behalf of a crisis team.
 */
import { join } from 'node:path';
import { createLogger } from '../../agent/log.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../agent/sandbox/server.js';
import { configYaml } from './config.js';
import { tempDir } from './tmp.js';

export const MANAGER = { name: { ar: 'سارة العتيبي', en: 'Sara Alotaibi' }, role: 'manager', mobile: '+966500000001', email: 'sara@moh.example.sa' };
export const ALTERNATE = { name: { ar: 'خالد الحربي', en: 'Khalid Alharbi' }, role: 'alternate', mobile: '+966500000002', email: 'khalid@moh.example.sa' };

const sandboxes: Sandbox[] = [];

export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox & { dataFile: string }> {
  const dir = await tempDir('raqib-sandbox-');
  const dataFile = join(dir, 'sandbox.json');
  const sandbox = await startSandbox({
    dataFile,
    autoApprove: true,
    ackDelayMs: 200,
    pollIntervalSeconds: 1,
    log: createLogger({ level: 'silent' }),
    ...options,
  });
  sandboxes.push(sandbox);
  return Object.assign(sandbox, { dataFile });
}

export async function closeSandboxes(): Promise<void> {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
}

/** POST a control request to the sandbox (faults, guidance, status, tokens). */
export async function control(sandbox: Sandbox, path: string, body: unknown = {}, method = 'POST'): Promise<unknown> {
  const res = await fetch(`${sandbox.url}/sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'DELETE' ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox control ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** One service watched every 500 ms (2 failures confirm, 2 successes recover), filing with `sandboxUrl`. */
export function reportingConfig(targetUrl: string, sandboxUrl: string, authority: Record<string, unknown> = {}, service: Record<string, unknown> = {}): string {
  return configYaml(
    [{ id: 'appointments', beneficiaries_per_day: 48000, checks: [{ id: 'portal', type: 'http', url: targetUrl }], ...service }],
    { data_dir: './data' },
    {
      defaults: { interval: '500ms', timeout: '400ms', retry_interval: '200ms', failure_threshold: 2, success_threshold: 2 },
      authority: {
        mode: 'sandbox',
        url: sandboxUrl,
        update_interval: '2s',
        followup_interval: '500ms',
        final_report_deadline: '1h',
        retry_max_delay: '1s',
        ...authority,
      },
      crisis_team: { members: [MANAGER, ALTERNATE] },
    },
  );
}
