/**
 * Crisis teams: one per entity, registered and changed only by its manager or an alternate, and
 * visible only to the people it lists.
 */
import { API_PREFIX, crisisTeamBody, type CrisisTeam } from '../authority/contract.js';
import type { Logger } from '../log.js';
import { json, readJson, type Reply } from './http.js';
import { Idempotency, optionalKey, requestHash } from './idempotency.js';
import { newId } from './ids.js';
import type { Persistence } from './persistence.js';
import { fieldErrors, problems } from './problems.js';
import type { Ctx } from './router.js';
import { roleIn, type SandboxState } from './state.js';
import type { Principal } from './tokens.js';

export class Teams {
  constructor(
    private readonly state: SandboxState,
    private readonly idempotency: Idempotency,
    private readonly persistence: Persistence,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  async register(ctx: Ctx, who: Principal): Promise<Reply> {
    const key = optionalKey(ctx.req);
    const raw = await readJson(ctx.req);
    const body = parseTeam(raw);
    const scope = `team:${body.entity.code}`;
    const hash = requestHash('register-team', raw);
    if (key !== undefined) {
      const replay = this.idempotency.replay(scope, key, hash);
      if (replay) return this.persistence.flush().then(() => replay);
    }
    mustLead(body.members, who, 'register');
    const existing = this.state.teamOfEntity(body.entity.code);
    if (existing) {
      const where = `${API_PREFIX}/crisis-teams/${existing.id}`;
      throw problems.conflict(
        'team-exists',
        'Crisis team already registered',
        `${body.entity.code} already has a registered crisis team (${existing.id}); change it with PUT ${where}`,
        { location: where },
      );
    }
    const at = new Date(this.now()).toISOString();
    const team: CrisisTeam = { id: newId('team'), status: 'registered', registered_at: at, updated_at: at, ...body };
    this.state.teams.set(team.id, team);
    const reply = json(201, team, { location: `${API_PREFIX}/crisis-teams/${team.id}` });
    if (key !== undefined) this.idempotency.remember(scope, key, hash, reply);
    await this.persistence.commit();
    this.log.info({ team: team.id, entity: team.entity.code }, 'crisis team registered');
    return reply;
  }

  async replace(ctx: Ctx, who: Principal): Promise<Reply> {
    const current = this.visible(ctx.params['id']!, who);
    mustLead(current.members, who, 'change');
    const body = parseTeam(await readJson(ctx.req));
    if (body.entity.code !== current.entity.code) {
      throw problems.invalid([{ path: 'entity.code', message: `a crisis team's entity cannot change (it is ${current.entity.code})` }]);
    }
    const team: CrisisTeam = { ...current, ...body, updated_at: new Date(this.now()).toISOString() };
    this.state.teams.set(team.id, team);
    await this.persistence.commit();
    this.log.info({ team: team.id, entity: team.entity.code }, 'crisis team changed');
    return json(200, team);
  }

  get(ctx: Ctx, who: Principal): Reply {
    return json(200, this.visible(ctx.params['id']!, who));
  }

  /** The teams that list the caller, optionally of one entity. */
  list(ctx: Ctx, who: Principal): Reply {
    const entity = ctx.url.searchParams.get('entity');
    const items = [...this.state.teams.values()].filter((t) => roleIn(t, who.subject) && (entity === null || t.entity.code === entity));
    return json(200, { items });
  }

  private visible(id: string, who: Principal): CrisisTeam {
    const team = this.state.teams.get(id);
    if (!team || !roleIn(team, who.subject)) throw problems.notFound(`no crisis team ${id} that lists you`);
    return team;
  }
}

/** The contract refuses teams without exactly one manager, with no alternate, or listing a person twice. */
function parseTeam(raw: unknown) {
  const parsed = crisisTeamBody.safeParse(raw);
  if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error), 'the crisis team is not valid');
  return parsed.data;
}

/** 403 unless the caller is the manager or an alternate among these members. */
function mustLead(members: CrisisTeam['members'], who: Principal, verb: string): void {
  const role = roleIn({ members }, who.subject);
  if (role !== 'manager' && role !== 'alternate') {
    throw problems.forbidden(`only the crisis team's manager or alternate may ${verb} it; you (${who.subject}) are ${role ? `a ${role}` : 'not listed'}`);
  }
}
