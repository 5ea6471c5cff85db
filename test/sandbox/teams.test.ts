import { describe, expect, it } from 'vitest';
import { crisisTeam } from '../../agent/authority/contract.js';
import { ALTERNATE, MANAGER, MEMBER, STRANGER, sandbox, signIn, teamBody, withTeam } from './helpers.js';

describe('crisis teams', () => {
  it('registers a team for its manager and lets its members find it by entity', async () => {
    const t = await sandbox();
    const manager = await signIn(t, MANAGER);
    const res = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: teamBody() });
    expect(res.status).toBe(201);
    const team = crisisTeam.parse(res.body);
    expect(team.id).toMatch(/^team_[a-z0-9]+$/);
    expect(team).toMatchObject({ status: 'registered', registered_at: '2026-11-28T06:00:00.000Z', entity: { code: 'MOH' } });
    expect(res.headers.get('location')).toBe(`/api/v1/crisis-teams/${team.id}`);

    const member = await signIn(t, MEMBER);
    const found = await t.call('GET', '/api/v1/crisis-teams?entity=MOH', { token: member.access_token });
    expect(found.body.items.map((x: { id: string }) => x.id)).toEqual([team.id]);
    expect((await t.call('GET', '/api/v1/crisis-teams?entity=NIC', { token: member.access_token })).body.items).toEqual([]);
    expect((await t.call('GET', `/api/v1/crisis-teams/${team.id}`, { token: member.access_token })).body).toEqual(team);
  });

  it('lets an alternate register the team too', async () => {
    const t = await sandbox();
    const alternate = await signIn(t, ALTERNATE);
    expect((await t.call('POST', '/api/v1/crisis-teams', { token: alternate.access_token, json: teamBody() })).status).toBe(201);
  });

  it('refuses (403) a registration by someone the team does not list as manager or alternate', async () => {
    const t = await sandbox();
    for (const who of [MEMBER, STRANGER]) {
      const tokens = await signIn(t, who);
      const res = await t.call('POST', '/api/v1/crisis-teams', { token: tokens.access_token, json: teamBody() });
      expect(res.status).toBe(403);
      expect(res.body.detail).toMatch(/manager or alternate/);
    }
    expect(t.sb.state.teams).toEqual([]);
  });

  it('keeps one team per entity: a second registration is 409 and points to PUT', async () => {
    const { t, manager, teamId } = await withTeam();
    const res = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: teamBody() });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('https://raqib.invalid/problems/team-exists');
    expect(res.body.detail).toContain(`PUT /api/v1/crisis-teams/${teamId}`);
    expect(res.headers.get('location')).toBe(`/api/v1/crisis-teams/${teamId}`);
  });

  it('answers 422 with the path of each problem in an invalid team', async () => {
    const t = await sandbox();
    const manager = await signIn(t, MANAGER);
    const body = teamBody();
    body.members[1]!.role = 'manager';
    body.members[2]!.mobile = '0500000000';
    const res = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: body });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'members[2].mobile', message: 'E.164, e.g. +966500000000' },
        { path: 'members', message: 'a crisis team has exactly one manager, got 2' },
      ]),
    );
    const twice = teamBody();
    twice.members[2]!.email = MANAGER.toUpperCase();
    const dup = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: twice });
    expect(dup.status).toBe(422);
    expect(dup.body.errors).toEqual([{ path: 'members[2].email', message: 'the same person as members[0]' }]);
  });

  it('lets the manager or alternate change the team with PUT, but not its entity, and not a member', async () => {
    const { t, teamId } = await withTeam();
    const alternate = await signIn(t, ALTERNATE);
    const changed = teamBody();
    changed.members[2]!.on_call = true;
    t.advance(60_000);
    const res = await t.call('PUT', `/api/v1/crisis-teams/${teamId}`, { token: alternate.access_token, json: changed });
    expect(res.status).toBe(200);
    expect(res.body.members[2].on_call).toBe(true);
    expect(res.body.updated_at).toBe('2026-11-28T06:01:00.000Z');
    expect(res.body.registered_at).toBe('2026-11-28T06:00:00.000Z');

    const moved = teamBody({ entity: { code: 'NIC', name: { ar: 'مركز المعلومات', en: 'NIC' } } });
    const entity = await t.call('PUT', `/api/v1/crisis-teams/${teamId}`, { token: alternate.access_token, json: moved });
    expect(entity.status).toBe(422);
    expect(entity.body.errors[0].path).toBe('entity.code');

    const member = await signIn(t, MEMBER);
    expect((await t.call('PUT', `/api/v1/crisis-teams/${teamId}`, { token: member.access_token, json: changed })).status).toBe(403);
  });

  it('hides a team from people it does not list', async () => {
    const { t, teamId } = await withTeam();
    const stranger = await signIn(t, STRANGER);
    expect((await t.call('GET', `/api/v1/crisis-teams/${teamId}`, { token: stranger.access_token })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/crisis-teams?entity=MOH', { token: stranger.access_token })).body.items).toEqual([]);
    expect((await t.call('PUT', `/api/v1/crisis-teams/${teamId}`, { token: stranger.access_token, json: teamBody() })).status).toBe(404);
  });

  it('replays a registration sent again with the same Idempotency-Key', async () => {
    const t = await sandbox();
    const manager = await signIn(t, MANAGER);
    const first = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, key: 'team-1', json: teamBody() });
    const again = await t.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, key: 'team-1', json: teamBody() });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
  });
});
