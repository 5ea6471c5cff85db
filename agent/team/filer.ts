/**
 * Who files, and for which registered team. Reports go in the name of the crisis team member who
 * signed in (their email is the sign-in's subject), who must be the team's manager or alternate;
 * the authority checks the same and refuses anyone else.
 */
import type { Bilingual, CrisisTeamBody } from '../authority/contract.js';
import { NotReady } from '../outbox/outbox.js';
import type { Config, MemberConfig } from '../config/schema.js';

export interface Filer {
  name: Bilingual;
  role: 'manager' | 'alternate';
  email: string;
  crisisTeamId: string;
}

/** The members allowed to file: the manager first, then the alternates. */
export function filers(config: Config): MemberConfig[] {
  const members = config.crisis_team?.members ?? [];
  return [...members.filter((m) => m.role === 'manager'), ...members.filter((m) => m.role === 'alternate')];
}

/** The filer for `subject`; NotReady (the outbox holds the entry) when that person may not file yet. */
export function filerFor(config: Config, teamId: string | undefined, subject: string | undefined): Filer {
  if (!subject) throw new NotReady('not signed in to the authority: a crisis team manager or alternate must run raqib login');
  const member = filers(config).find((m) => m.email.toLowerCase() === subject.toLowerCase());
  if (!member) {
    throw new NotReady(`signed in as ${subject}, who is not the crisis team's manager or alternate in the config; run raqib login --as <their email>`);
  }
  if (!teamId) throw new NotReady('the crisis team is not registered with the authority yet (raqib registers it once signed in)');
  return { name: member.name, role: member.role as 'manager' | 'alternate', email: member.email, crisisTeamId: teamId };
}

/** The crisis team as the authority registers it: the config's entity and members. */
export function teamBody(config: Config): CrisisTeamBody {
  return {
    entity: { code: config.entity.code, name: config.entity.name },
    members: (config.crisis_team?.members ?? []).map((m) => ({ name: m.name, role: m.role, mobile: m.mobile, email: m.email, on_call: m.on_call })),
  };
}
