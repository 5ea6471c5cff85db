/**
 * Registering the crisis team before any outage, and keeping the registration in step with the
 * config: register when the authority has none, update when the members changed, and leave it
 * alone when the fingerprint of what was registered matches.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorityError } from '../../agent/authority/errors.js';
import { teamBody } from '../../agent/team/filer.js';
import { ensureTeam, teamFingerprint } from '../../agent/team/registration.js';
import { ALTERNATE, MANAGER } from '../helpers/reporting.js';
import { FakeAuthority, MEMBER, reportingHarness, type Harness } from '../helpers/chain.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function setup() {
  const h = await reportingHarness({ start: false });
  open.push(h);
  return { h, api: new FakeAuthority() };
}

describe('ensureTeam', () => {
  it('registers the team when the authority has none, and remembers it durably', async () => {
    const { h, api } = await setup();
    const team = await ensureTeam(api, h.config, h.store, h.log, 1_000);
    expect(api.ops()).toEqual(['find_team', 'register_team']);
    expect(api.calls[1]!.body).toEqual(teamBody(h.config));
    expect(teamBody(h.config).members.map((m) => [m.email, m.role, m.on_call])).toEqual([
      [MANAGER.email, 'manager', false],
      [ALTERNATE.email, 'alternate', false],
      [MEMBER.email, 'member', false],
    ]);
    expect(h.store.data.team).toEqual({ id: team.id, fingerprint: teamFingerprint(h.config), registeredAt: 1_000 });
    const onDisk = JSON.parse(await readFile(join(h.dir, 'state.json'), 'utf8'));
    expect(onDisk.team).toEqual(h.store.data.team);
  });

  it('does nothing more than look when the registered team matches the config', async () => {
    const { h, api } = await setup();
    const first = await ensureTeam(api, h.config, h.store, h.log, 1_000);
    api.calls = [];
    const again = await ensureTeam(api, h.config, h.store, h.log, 2_000);
    expect(api.ops()).toEqual(['find_team']);
    expect(again.id).toBe(first.id);
    expect(h.store.data.team!.registeredAt).toBe(1_000);
  });

  it('updates the registration when the members changed', async () => {
    const { h, api } = await setup();
    const first = await ensureTeam(api, h.config, h.store, h.log, 1_000);
    const before = teamFingerprint(h.config);
    h.setConfig({ members: [MANAGER, { ...ALTERNATE, mobile: '+966500000099' }] });
    api.calls = [];
    await ensureTeam(api, h.config, h.store, h.log, 2_000);
    expect(api.ops()).toEqual(['find_team', 'update_team']);
    expect(api.calls[1]).toMatchObject({ reportId: first.id, body: teamBody(h.config) });
    expect(h.store.data.team).toEqual({ id: first.id, fingerprint: teamFingerprint(h.config), registeredAt: 2_000 });
    expect(h.store.data.team!.fingerprint).not.toBe(before);
    expect(api.teams).toHaveLength(1);
  });

  it('updates rather than registers again when the authority has the team but the state forgot it', async () => {
    const { h, api } = await setup();
    await ensureTeam(api, h.config, h.store, h.log, 1_000);
    h.store.update((d) => delete d.team);
    api.calls = [];
    await ensureTeam(api, h.config, h.store, h.log, 3_000);
    expect(api.ops()).toEqual(['find_team', 'update_team']);
    expect(api.teams).toHaveLength(1);
    expect(h.store.data.team?.fingerprint).toBe(teamFingerprint(h.config));
  });

  it('throws and records nothing when the authority refuses', async () => {
    const { h, api } = await setup();
    api.failNext = new AuthorityError('http', 'HTTP 403', { status: 403 });
    await expect(ensureTeam(api, h.config, h.store, h.log, 1_000)).rejects.toThrow('HTTP 403');
    expect(h.store.data.team).toBeUndefined();
  });
});
