/**
 * Access and refresh tokens: random opaque strings bound to the person who approved the sign-in
 * (subject = their email), stored only as SHA-256 hashes. Refresh tokens are not rotated and do not
 * expire; they end when revoked (sandbox control) — see docs/authority-api.md for why.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenAnswer } from '../authority/contract.js';
import { newSecret, sha256 } from './ids.js';
import { problems } from './problems.js';
import { sameEmail, type SandboxState } from './state.js';

export interface Principal {
  subject: string;
  client_id: string;
  scopes: ReadonlySet<string>;
}

export class Tokens {
  constructor(
    private readonly state: SandboxState,
    private readonly now: () => number,
    private readonly accessTtlSeconds: number,
  ) {}

  /** A new access token, and a new refresh token unless `refreshToken` (the one being used) is given. */
  issue(subject: string, clientId: string, scope: string, refreshToken?: string): TokenAnswer {
    this.prune();
    const refresh = refreshToken ?? newSecret();
    const refreshHash = sha256(refresh);
    if (!refreshToken) this.state.refreshTokens.set(refreshHash, { subject, client_id: clientId, scope, issued_at: this.now() });
    const access = newSecret();
    this.state.accessTokens.set(sha256(access), {
      subject,
      client_id: clientId,
      scope,
      expires_at: this.now() + this.accessTtlSeconds * 1000,
      refresh: refreshHash,
    });
    return { access_token: access, token_type: 'Bearer', expires_in: this.accessTtlSeconds, refresh_token: refresh, scope };
  }

  /** What a refresh token grants, or undefined when it is unknown or revoked. */
  refreshGrant(token: string): { subject: string; client_id: string; scope: string } | undefined {
    return this.state.refreshTokens.get(sha256(token));
  }

  /** The caller behind `Authorization: Bearer …`; 401 when missing, unknown, revoked or expired. */
  authenticate(req: IncomingMessage): Principal {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) throw problems.invalidToken('send Authorization: Bearer <access token>');
    const token = this.state.accessTokens.get(sha256(m[1]!));
    if (!token) throw problems.invalidToken('the access token is unknown or revoked');
    if (this.now() >= token.expires_at) throw problems.invalidToken('the access token has expired; use the refresh token');
    return { subject: token.subject, client_id: token.client_id, scopes: new Set(token.scope.split(' ')) };
  }

  /** Ends the refresh and access tokens of one person, or everyone's; returns how many went. */
  revoke(subject?: string): { refresh_tokens: number; access_tokens: number } {
    const match = (s: string) => subject === undefined || sameEmail(s, subject);
    let refresh = 0;
    let access = 0;
    for (const [hash, t] of this.state.refreshTokens)
      if (match(t.subject)) {
        this.state.refreshTokens.delete(hash);
        refresh++;
      }
    for (const [hash, t] of this.state.accessTokens)
      if (match(t.subject)) {
        this.state.accessTokens.delete(hash);
        access++;
      }
    return { refresh_tokens: refresh, access_tokens: access };
  }

  /** Every access token expires now (refresh tokens keep working). */
  expireAll(): number {
    let n = 0;
    for (const t of this.state.accessTokens.values()) {
      if (t.expires_at > this.now()) n++;
      t.expires_at = Math.min(t.expires_at, this.now());
    }
    return n;
  }

  /** Forget access tokens that expired over a day ago, so the data file does not grow without end. */
  private prune(): void {
    const horizon = this.now() - 86_400_000;
    for (const [hash, t] of this.state.accessTokens) if (t.expires_at < horizon) this.state.accessTokens.delete(hash);
  }
}
