/**
 * Keeps a valid access token for the agent: refreshes it shortly before it expires (or at once
 * after the authority refused it), re-reading the saved sign-in each time so a new `raqib login`
 * is picked up live. When the refresh grant is refused, the agent is "not authorized": it keeps
 * detecting and queuing, and says so (metric, log, team notification) — once per loss.
 */
import type { Logger } from '../log.js';
import { AuthorityError } from './errors.js';
import { refreshAccessToken, type OAuthEndpoint } from './oauth.js';
import { readSignIn } from './sign-in.js';
import type { TokenSource } from './client.js';

/** Refresh this long before the access token's expiry, so a request never carries a dying token. */
export const REFRESH_MARGIN_MS = 60_000;

export interface TokenManagerOptions {
  endpoint: OAuthEndpoint;
  dataDir: string;
  log: Logger;
  now?: () => number;
  /** The authority this agent files with: a sign-in made against another one does not count. */
  authorityUrl: string;
  /** Called when the authorized state changes (true ↔ false). */
  onAuthorizedChange?(authorized: boolean, reason: string): void;
}

/** Whether two authority URLs (or identities ending in one) name the same authority: a trailing `/` aside. */
export function sameAuthority(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export class TokenManager implements TokenSource {
  private access: { token: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;
  private state: boolean | undefined;
  private subjectOfToken: string | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: TokenManagerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** undefined until the first attempt; then whether the agent can file. */
  get authorized(): boolean | undefined {
    return this.state;
  }

  /** The member reports are filed in the name of (from the saved sign-in). */
  async subject(): Promise<string | undefined> {
    return (await this.signIn())?.subject;
  }

  /** Who the current access token was issued for (the audit log's actor). */
  get currentSubject(): string | undefined {
    return this.subjectOfToken;
  }

  private async signIn(why?: (reason: string) => void) {
    const saved = await readSignIn(this.opts.dataDir, why);
    if (saved && !sameAuthority(saved.authority_url, this.opts.authorityUrl)) {
      why?.(`the saved sign-in is for ${saved.authority_url}, not ${this.opts.authorityUrl}; run raqib login again`);
      return undefined;
    }
    return saved;
  }

  invalidate(): void {
    this.access = undefined;
  }

  async accessToken(): Promise<string> {
    if (this.access && this.access.expiresAt - REFRESH_MARGIN_MS > this.now()) return this.access.token;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    let problem: string | undefined;
    const signIn = await this.signIn((reason) => (problem = reason));
    if (!signIn) {
      const reason = problem ?? 'no sign-in: a crisis team manager or alternate must run raqib login';
      this.set(false, reason);
      throw new AuthorityError('auth', `not signed in to the authority: ${reason}`);
    }
    try {
      const answer = await refreshAccessToken(this.opts.endpoint, signIn.refresh_token);
      this.access = { token: answer.access_token, expiresAt: this.now() + answer.expires_in * 1000 };
      this.subjectOfToken = signIn.subject;
      this.set(true, `signed in as ${signIn.subject}`);
      return answer.access_token;
    } catch (err) {
      if (err instanceof AuthorityError && err.kind === 'auth') this.set(false, err.message);
      throw err;
    }
  }

  private set(authorized: boolean, reason: string): void {
    if (this.state === authorized) return;
    this.state = authorized;
    if (authorized) this.opts.log.info({ reason }, 'authority sign-in valid');
    else this.opts.log.error({ reason }, 'authority sign-in lost; reports are queued until someone signs in');
    this.opts.onAuthorizedChange?.(authorized, reason);
  }
}
