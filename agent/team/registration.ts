/**
 * Registers the crisis team with the authority before any outage, as the service requires, and
 * keeps the registration in step with the config: find the entity's team, create it if missing,
 * update it when the members changed.
 */
import { createHash } from 'node:crypto';
import type { AuthorityApi } from '../authority/client.js';
import type { CrisisTeam } from '../authority/contract.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../store/types.js';
import { teamBody } from './filer.js';

/** The team's id at the authority, once registered. */
export function registeredTeamId(store: StateStore): string | undefined {
  return store.data.team?.id;
}

/** Whether the registration matches this fingerprint of the configured team. */
export function registeredAs(store: StateStore, fingerprint: string): boolean {
  return store.data.team?.fingerprint === fingerprint;
}

/** The registration is made for one authority: forget it when raqib moves to another. */
export function forgetTeam(store: StateStore): void {
  store.update((d) => delete d.team);
}

/** Drafts mode has no far side: the team is "registered" locally so drafts can name it. */
export function draftTeam(store: StateStore, config: Config, now: number): void {
  store.update((d) => (d.team = { id: 'draft-team', fingerprint: teamFingerprint(config), registeredAt: now }));
}

export function teamFingerprint(config: Config): string {
  return createHash('sha256')
    .update(JSON.stringify(teamBody(config)))
    .digest('hex');
}

/** Make the authority's registration match the config; returns the team. Throws on failure. */
export async function ensureTeam(api: AuthorityApi, config: Config, store: StateStore, log: Logger, now: number): Promise<CrisisTeam> {
  const body = teamBody(config);
  const fingerprint = teamFingerprint(config);
  const existing = await api.findTeam(config.entity.code);
  let team: CrisisTeam;
  if (!existing) {
    team = await api.registerTeam(body);
    log.info({ team: team.id, members: team.members.length }, 'crisis team registered with the authority');
  } else if (store.data.team?.id === existing.id && store.data.team.fingerprint === fingerprint) {
    return existing;
  } else {
    team = await api.updateTeam(existing.id, body);
    log.info({ team: team.id, members: team.members.length }, 'crisis team registration updated');
  }
  store.update((d) => {
    d.team = { id: team.id, fingerprint, registeredAt: now };
  });
  await store.flush();
  return team;
}
