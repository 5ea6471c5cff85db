/**
 * A report is named in paths by its id (`rpt_…`) or by its public reference (`DGA-2026-000001`,
 * what `raqib reports list` shows and people quote): every sandbox route that names a report —
 * API and control alike — takes both and acts on the same report.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT } from '../../agent/authority/contract.js';
import { buildRoutes } from '../../agent/sandbox/routes.js';
import { MAIN } from '../helpers/agent-process.js';
import { call, finalBody, reportBody, teamBody, updateBody, withTeam, type CallOptions } from './helpers.js';

type Filed = Awaited<ReturnType<typeof fileOne>>;

async function fileOne() {
  const s = await withTeam();
  const filed = await s.t.call('POST', '/api/v1/reports', { token: s.manager.access_token, key: 'k-report', json: reportBody(s.teamId) });
  expect(filed.status).toBe(201);
  return { ...s, id: filed.body.id as string, reference: filed.body.reference as string };
}

/** How to call each route that names a report, and what it answers when it found the report. */
const CALLS: Record<string, { ok: number; opts: (f: Filed, n: number) => CallOptions }> = {
  'GET /api/v1/reports/{id}': { ok: 200, opts: (f) => ({ token: f.manager.access_token }) },
  'POST /api/v1/reports/{id}/updates': { ok: 201, opts: (f, n) => ({ token: f.manager.access_token, key: `k-update-${n}`, json: updateBody('ongoing') }) },
  'POST /api/v1/reports/{id}/final-report': { ok: 201, opts: (f, n) => ({ token: f.manager.access_token, key: `k-final-${n}`, json: finalBody(true) }) },
  'POST /sandbox/reports/{id}/status': { ok: 200, opts: () => ({ json: { status: 'returned_for_info' } }) },
  'POST /sandbox/reports/{id}/guidance': { ok: 201, opts: () => ({ json: { text: { ar: 'فعّلوا خطة التعافي', en: 'Activate the recovery plan' } } }) },
};

/** Every route that names a report, from the sandbox's own list: a new one without a CALLS entry fails below. */
const NAMING = buildRoutes({} as never)
  .filter((r) => r.pattern.includes('/reports/{id}'))
  .map((r) => `${r.method} ${r.pattern}`);

describe('a report named by its public reference', () => {
  it.each(NAMING)('%s takes the reference, in any case, and acts on the report it names', async (route) => {
    expect(Object.keys(CALLS), `say in CALLS how to call ${route}`).toContain(route);
    const f = await fileOne();
    const [method, pattern] = route.split(' ') as [string, string];
    const { ok, opts } = CALLS[route]!;
    const byReference = await f.t.call(method, pattern.replace('{id}', f.reference), opts(f, 1));
    expect(byReference.status, byReference.text).toBe(ok);
    const lower = await f.t.call(method, pattern.replace('{id}', f.reference.toLowerCase()), opts(f, 2));
    expect(lower.status, lower.text).toBe(ok);
    const byId = await f.t.call(method, pattern.replace('{id}', f.id), opts(f, 3));
    expect(byId.status, byId.text).toBe(ok);

    const report = (await f.t.call('GET', `/api/v1/reports/${f.id}`, { token: f.manager.access_token })).body;
    if (route === 'GET /api/v1/reports/{id}') expect(byReference.body).toEqual(report);
    if (route.endsWith('/updates')) expect(report.updates).toHaveLength(3);
    if (route.endsWith('/final-report')) expect(report.final_report).toBeDefined();
    if (route.endsWith('/status')) expect(report.status).toBe('returned_for_info');
    if (route.endsWith('/guidance')) expect(report.guidance.map((g: { id: string }) => g.id)).toEqual([byReference.body.id, lower.body.id, byId.body.id]);
  });

  it("shows a report by its reference to its entity only: another entity's person gets 404, as for its id, and so does an unknown reference", async () => {
    const f = await fileOne();
    expect((await f.t.call('GET', `/api/v1/reports/${f.reference}`, { token: f.manager.access_token })).body.id).toBe(f.id);
    const missing = await f.t.call('POST', '/sandbox/reports/DGA-2026-999999/guidance', CALLS['POST /sandbox/reports/{id}/guidance']!.opts(f, 1));
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain('DGA-2026-999999');

    // a person of another entity cannot reach MOH's report by quoting its reference
    const other = await f.t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib' } });
    await f.t.call('POST', '/sandbox/device/approve', { json: { user_code: other.body.user_code, subject: 'manager@nic.gov.sa' } });
    const token = (await f.t.call('POST', '/oauth/token', { form: { grant_type: DEVICE_GRANT, device_code: other.body.device_code, client_id: 'raqib' } })).body
      .access_token as string;
    const nic = teamBody({ entity: { code: 'NIC', name: { ar: 'مركز المعلومات', en: 'NIC' } } });
    nic.members = nic.members.map((m, i) => ({ ...m, email: `${['manager', 'alternate', 'member'][i]}@nic.gov.sa` }));
    expect((await f.t.call('POST', '/api/v1/crisis-teams', { token, json: nic })).status).toBe(201);
    for (const name of [f.reference, f.id]) expect((await f.t.call('GET', `/api/v1/reports/${name}`, { token })).status).toBe(404);
  });
});

describe("the README's drill", () => {
  it('posts guidance to a running raqib sandbox with the curl line, naming the report by its DGA reference', async () => {
    const child = spawn(process.execPath, [MAIN, 'sandbox', '--listen', '127.0.0.1:0', '--auto-approve', '--ack-delay', 'never', '--poll-interval', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"sandbox listening"/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`raqib sandbox exited ${code}: ${out}`)));
      });
      // the manager signs in (auto-approved), registers the team and files a report, as the agent would
      const start = await call(url, 'POST', '/oauth/device_authorization', { form: { client_id: 'raqib', login_hint: 'manager@moh.gov.sa' } });
      const token = (await call(url, 'POST', '/oauth/token', { form: { grant_type: DEVICE_GRANT, device_code: start.body.device_code, client_id: 'raqib' } }))
        .body.access_token as string;
      const team = await call(url, 'POST', '/api/v1/crisis-teams', { token, json: teamBody() });
      const filed = await call(url, 'POST', '/api/v1/reports', { token, key: 'drill', json: reportBody(team.body.id) });
      expect(filed.body.reference).toMatch(/^DGA-\d{4}-000001$/);

      // README: curl -X POST localhost:8787/sandbox/reports/DGA-2026-000001/guidance -H … -d …
      const port = new URL(url).port;
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-X',
        'POST',
        `localhost:${port}/sandbox/reports/${filed.body.reference}/guidance`,
        '-H',
        'content-type: application/json',
        '-d',
        '{"text":{"ar":"…","en":"Activate the recovery plan"}}',
      ]);
      expect(JSON.parse(stdout)).toMatchObject({ id: expect.stringMatching(/^gdn_/), text: { en: 'Activate the recovery plan' } });
      const report = await call(url, 'GET', `/api/v1/reports/${filed.body.id}`, { token });
      expect(report.body.guidance).toEqual([JSON.parse(stdout)]);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
