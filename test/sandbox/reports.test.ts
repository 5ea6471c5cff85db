import { describe, expect, it } from 'vitest';
import { report, reportCreated, reportList } from '../../agent/authority/contract.js';
import { ALTERNATE, MANAGER, MEMBER, STRANGER, maintenanceBody, reportBody, sandbox, signIn, teamBody, withTeam } from './helpers.js';

describe('filing a report', () => {
  it('creates an outage report with an id, a DGA reference and status submitted', async () => {
    const { t, manager, teamId } = await withTeam();
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reportBody(teamId) });
    expect(res.status).toBe(201);
    const created = reportCreated.parse(res.body);
    expect(created.id).toMatch(/^rpt_[a-z0-9]+$/);
    expect(created).toMatchObject({ reference: 'DGA-2026-000001', status: 'submitted' });
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    const got = await t.call('GET', `/api/v1/reports/${created.id}`, { token: manager.access_token });
    const stored = report.parse(got.body);
    expect(stored).toMatchObject({ type: 'own_service_outage', status: 'submitted', updates: [], guidance: [] });
    expect(stored.status_history).toEqual([{ status: 'submitted', at: '2026-11-28T06:00:00.000Z' }]);
    expect(stored.body.title.ar).toBe('بوابة المواعيد غير متاحة');
    const second = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-2', json: reportBody(teamId) });
    expect(second.body.reference).toBe('DGA-2026-000002');
  });

  it('starts scheduled maintenance as scheduled', async () => {
    const { t, manager, teamId } = await withTeam();
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'mnt-1', json: maintenanceBody(teamId) });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('scheduled');
  });

  it('replays the first answer to the same Idempotency-Key and body, and files only once', async () => {
    const { t, manager, teamId } = await withTeam();
    const body = reportBody(teamId);
    const first = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: body });
    // the same content with its keys in another order is the same request
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reordered });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(t.sb.state.reports).toHaveLength(1);
  });

  it('answers 409 to a reused Idempotency-Key with a different body', async () => {
    const { t, manager, teamId } = await withTeam();
    await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reportBody(teamId) });
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reportBody(teamId, { impact: 'partial' }) });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('https://raqib.invalid/problems/idempotency-key-reused');
    expect(t.sb.state.reports).toHaveLength(1);
  });

  it('answers 400 without an Idempotency-Key', async () => {
    const { t, manager, teamId } = await withTeam();
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, json: reportBody(teamId) });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('https://raqib.invalid/problems/idempotency-key-missing');
    expect(t.sb.state.reports).toHaveLength(0);
  });

  it('answers 422 with the path of every problem in an invalid report', async () => {
    const { t, manager, teamId } = await withTeam();
    const body = { ...reportBody(teamId), type: 'consumed_service_outage', impact: 'huge', extra: 1 };
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'bad-1', json: body });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['', 'impact']);
    const missing = await t.call('POST', '/api/v1/reports', {
      token: manager.access_token,
      key: 'bad-2',
      json: { ...reportBody(teamId), submitted_by: { email: 'x' } },
    });
    expect((missing.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'submitted_by.crisis_team_id',
      'submitted_by.email',
      'submitted_by.name',
      'submitted_by.role',
    ]);
    // rules across fields: a consumed service names its provider; maintenance is planned and gives its end
    const rules = await t.call('POST', '/api/v1/reports', {
      token: manager.access_token,
      key: 'bad-3',
      json: { ...reportBody(teamId), type: 'consumed_service_outage', cause: 'planned' },
    });
    expect(rules.status).toBe(422);
    expect((rules.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['cause', 'provider']);
    expect(t.sb.state.reports).toHaveLength(0);
  });

  it('asks an entity without a registered team to register it first (422)', async () => {
    const t = await sandbox();
    const manager = await signIn(t, MANAGER);
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody('team_unknown') });
    expect(res.status).toBe(422);
    expect(res.body.detail).toBe('register the crisis team first');
    expect(res.body.errors[0].path).toBe('entity.code');
  });

  it('refuses (422) a report naming another crisis team id', async () => {
    const { t, manager } = await withTeam();
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody('team_other') });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('submitted_by.crisis_team_id');
  });

  it('refuses (403) a team member who is not manager or alternate', async () => {
    const { t, teamId } = await withTeam();
    const member = await signIn(t, MEMBER);
    const body = reportBody(teamId, { submitted_by: { name: { ar: 'هدى', en: 'Huda' }, role: 'alternate', email: MEMBER, crisis_team_id: teamId } });
    const res = await t.call('POST', '/api/v1/reports', { token: member.access_token, key: 'k', json: body });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe("only the crisis team's manager or alternate may file");
  });

  it('refuses (403) a report whose submitter is not the person signed in', async () => {
    const { t, teamId } = await withTeam();
    const alternate = await signIn(t, ALTERNATE);
    const res = await t.call('POST', '/api/v1/reports', { token: alternate.access_token, key: 'k', json: reportBody(teamId) });
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/signed-in person/);
  });

  it('lets the alternate file in their own name, with their registered role', async () => {
    const { t, teamId } = await withTeam();
    const alternate = await signIn(t, ALTERNATE);
    const as = (role: 'manager' | 'alternate') =>
      reportBody(teamId, { submitted_by: { name: { ar: 'عمر', en: 'Omar' }, role, email: ALTERNATE, crisis_team_id: teamId } });
    const wrongRole = await t.call('POST', '/api/v1/reports', { token: alternate.access_token, key: 'k1', json: as('manager') });
    expect(wrongRole.status).toBe(422);
    expect(wrongRole.body.errors[0].path).toBe('submitted_by.role');
    expect((await t.call('POST', '/api/v1/reports', { token: alternate.access_token, key: 'k2', json: as('alternate') })).status).toBe(201);
  });
});

describe('reading reports', () => {
  it('lists the entity’s reports newest first, filtered, a page at a time', async () => {
    const { t, manager, teamId } = await withTeam();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = i === 2 ? maintenanceBody(teamId) : reportBody(teamId);
      ids.push((await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: `k${i}`, json: body })).body.id);
    }
    const all = reportList.parse((await t.call('GET', '/api/v1/reports', { token: manager.access_token })).body);
    expect(all.items.map((r) => r.id)).toEqual([...ids].reverse());
    expect(all.next_cursor).toBeUndefined();

    const first = reportList.parse((await t.call('GET', '/api/v1/reports?limit=2', { token: manager.access_token })).body);
    expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const next = await t.call('GET', `/api/v1/reports?limit=2&cursor=${first.next_cursor}`, { token: manager.access_token });
    expect(next.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);

    const maintenance = await t.call('GET', '/api/v1/reports?type=scheduled_maintenance', { token: manager.access_token });
    expect(maintenance.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
    const submitted = await t.call('GET', '/api/v1/reports?status=submitted', { token: manager.access_token });
    expect(submitted.body.items).toHaveLength(4);

    const bad = await t.call('GET', '/api/v1/reports?status=lost&limit=1000', { token: manager.access_token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['limit', 'status']);
  });

  it('shows other entities neither the report (404) nor it in their list', async () => {
    const { t, manager, teamId } = await withTeam();
    const filed = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) });
    const nic = 'manager@nic.gov.sa';
    const other = await signIn(t, nic);
    const nicTeam = teamBody({ entity: { code: 'NIC', name: { ar: 'مركز المعلومات الوطني', en: 'National Information Center' } } });
    nicTeam.members = nicTeam.members.map((m, i) => ({ ...m, email: i === 0 ? nic : `p${i}@nic.gov.sa` }));
    expect((await t.call('POST', '/api/v1/crisis-teams', { token: other.access_token, json: nicTeam })).status).toBe(201);
    expect((await t.call('GET', `/api/v1/reports/${filed.body.id}`, { token: other.access_token })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/reports', { token: other.access_token })).body.items).toEqual([]);
    const stranger = await signIn(t, STRANGER);
    expect((await t.call('GET', `/api/v1/reports/${filed.body.id}`, { token: stranger.access_token })).status).toBe(404);
  });
});
