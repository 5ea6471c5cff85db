/**
 * Everything the sandbox authority remembers, in memory, and its on-disk form. Secrets are kept
 * only as SHA-256 hashes (tokens, device codes), so the data file never holds a usable credential.
 */
import * as z from 'zod';
import { crisisTeam, report, type CrisisTeam, type Report } from '../authority/contract.js';

const device = z.object({
  user_code: z.string(),
  client_id: z.string(),
  scope: z.string(),
  login_hint: z.string().optional(),
  expires_at: z.number(),
  interval: z.number().int().positive(),
  last_poll_at: z.number().optional(),
  status: z.enum(['pending', 'approved', 'denied', 'used']),
  subject: z.string().optional(),
});
export type DeviceGrant = z.infer<typeof device>;

const accessToken = z.object({ subject: z.string(), client_id: z.string(), scope: z.string(), expires_at: z.number(), refresh: z.string() });
export type AccessToken = z.infer<typeof accessToken>;

const refreshToken = z.object({ subject: z.string(), client_id: z.string(), scope: z.string(), issued_at: z.number() });
export type RefreshToken = z.infer<typeof refreshToken>;

const idempotencyRecord = z.object({ hash: z.string(), status: z.number().int(), body: z.unknown(), at: z.string() });
export type IdempotencyRecord = z.infer<typeof idempotencyRecord>;

/** The data file: version 1. */
export const sandboxData = z.object({
  version: z.literal(1),
  teams: z.array(crisisTeam),
  /** Oldest first. */
  reports: z.array(report),
  idempotency: z.record(z.string(), idempotencyRecord),
  devices: z.record(z.string(), device),
  access_tokens: z.record(z.string(), accessToken),
  refresh_tokens: z.record(z.string(), refreshToken),
  /** Last reference number given, per year. */
  sequences: z.record(z.string(), z.number().int().nonnegative()),
});
export type SandboxData = z.infer<typeof sandboxData>;

export class SandboxState {
  readonly teams = new Map<string, CrisisTeam>();
  /** Insertion order is filing order. */
  readonly reports = new Map<string, Report>();
  /** By `<scope>\u0000<key>`. */
  readonly idempotency = new Map<string, IdempotencyRecord>();
  /** By sha256 of the device code. */
  readonly devices = new Map<string, DeviceGrant>();
  /** By sha256 of the token. */
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly sequences = new Map<string, number>();

  static fromData(data: SandboxData): SandboxState {
    const s = new SandboxState();
    for (const t of data.teams) s.teams.set(t.id, t);
    for (const r of data.reports) s.reports.set(r.id, r);
    for (const [k, v] of Object.entries(data.idempotency)) s.idempotency.set(k, v);
    for (const [k, v] of Object.entries(data.devices)) s.devices.set(k, v);
    for (const [k, v] of Object.entries(data.access_tokens)) s.accessTokens.set(k, v);
    for (const [k, v] of Object.entries(data.refresh_tokens)) s.refreshTokens.set(k, v);
    for (const [k, v] of Object.entries(data.sequences)) s.sequences.set(k, v);
    return s;
  }

  toData(): SandboxData {
    return {
      version: 1,
      teams: [...this.teams.values()],
      reports: [...this.reports.values()],
      idempotency: Object.fromEntries(this.idempotency),
      devices: Object.fromEntries(this.devices),
      access_tokens: Object.fromEntries(this.accessTokens),
      refresh_tokens: Object.fromEntries(this.refreshTokens),
      sequences: Object.fromEntries(this.sequences),
    };
  }

  /**
   * The id of the report a path names: its id (`rpt_…`), or its public reference
   * (`DGA-2026-000042`, any case) as people quote it. Anything else comes back as given, so the
   * handler answers 404 naming what was asked for.
   */
  reportIdOf(idOrReference: string): string {
    if (this.reports.has(idOrReference) || !REFERENCE.test(idOrReference)) return idOrReference;
    const reference = idOrReference.toUpperCase();
    for (const r of this.reports.values()) if (r.reference === reference) return r.id;
    return idOrReference;
  }

  teamOfEntity(code: string): CrisisTeam | undefined {
    for (const t of this.teams.values()) if (t.entity.code === code) return t;
    return undefined;
  }

  /** Entity codes whose crisis team lists this person, in any role. */
  entitiesOf(subject: string): Set<string> {
    const codes = new Set<string>();
    for (const t of this.teams.values()) if (t.members.some((m) => sameEmail(m.email, subject))) codes.add(t.entity.code);
    return codes;
  }
}

const REFERENCE = /^DGA-\d{4}-\d{6}$/i;

export function sameEmail(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The role this person holds in the team, if listed. */
export function roleIn(team: Pick<CrisisTeam, 'members'>, subject: string): CrisisTeam['members'][number]['role'] | undefined {
  return team.members.find((m) => sameEmail(m.email, subject))?.role;
}
