/**
 * Keeps a valid access token for the agent: refreshes it shortly before it expires, at once after
 * the authority refused it, and when a new `raqib login` saved another sign-in (the saved sign-in
 * is re-read at each use, so it is picked up live). Whose the token is comes from the authority (userinfo, once per sign-in), never
 * from the file alone. When the refresh grant is refused, the agent is "not authorized": it keeps
 * detecting and queuing, and says so (metric, log, team notification) — once per loss.
 */
import type { Logger } from '../log.js';
import { AuthorityError } from './errors.js';
import { fetchUserInfo, refreshAccessToken, type OAuthEndpoint } from './oauth.js';
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
  private access: Access | undefined;
  /** The last access token held, kept past invalidate(): it still says whose the refresh token is. */
  private last: Access | undefined;
  private refreshing: Promise<Access> | undefined;
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

  /**
   * The member reports are filed in the name of: whom the authority says the access token belongs
   * to (userinfo), so a report never names someone other than the token's person. When the
   * authority cannot be asked (down, signed out), the saved sign-in's subject — itself what the
   * authority said at `raqib login`.
   */
  async subject(): Promise<string | undefined> {
    const saved = await this.signIn();
    if (!saved) return undefined;
    try {
      return (await this.current()).subject;
    } catch {
      return saved.subject;
    }
  }

  /** Who the current access token was issued for, as the authority says (the audit log's actor). */
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
    return (await this.current()).token;
  }

  /** A valid access token and its person; refreshed when near expiry, or when someone signed in again. */
  private async current(): Promise<Access> {
    const held = this.access;
    if (held && held.expiresAt - REFRESH_MARGIN_MS > this.now() && !(await this.replaced(held))) return held;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** A new `raqib login` saved another sign-in: the token held is the previous person's. */
  private async replaced(held: Access): Promise<boolean> {
    const saved = await this.signIn();
    return saved !== undefined && saved.refresh_token !== held.refreshToken;
  }

  private async refresh(): Promise<Access> {
    let problem: string | undefined;
    const signIn = await this.signIn((reason) => (problem = reason));
    if (!signIn) {
      const reason = problem ?? 'no sign-in: a crisis team manager or alternate must run raqib login';
      this.set(false, reason);
      throw new AuthorityError('auth', `not signed in to the authority: ${reason}`);
    }
    try {
      const answer = await refreshAccessToken(this.opts.endpoint, signIn.refresh_token);
      // A refresh token belongs to one person: ask whose it is once per sign-in, not per refresh.
      const known = this.last?.refreshToken === signIn.refresh_token ? this.last.subject : undefined;
      const subject = known ?? (await this.whoseToken(answer.access_token, signIn.subject));
      const access: Access = { token: answer.access_token, expiresAt: this.now() + answer.expires_in * 1000, refreshToken: signIn.refresh_token, subject };
      this.access = access;
      this.last = access;
      this.subjectOfToken = subject;
      this.set(true, `signed in as ${subject}`);
      return access;
    } catch (err) {
      if (err instanceof AuthorityError && err.kind === 'auth') this.set(false, err.message);
      throw err;
    }
  }

  private async whoseToken(accessToken: string, saved: string): Promise<string> {
    const { email } = await fetchUserInfo(this.opts.endpoint, accessToken);
    if (email.toLowerCase() !== saved.toLowerCase()) {
      this.opts.log.warn({ saved, authority: email }, 'the saved sign-in names someone else than the authority does; acting as the person the authority names');
    }
    return email;
  }

  private set(authorized: boolean, reason: string): void {
    if (this.state === authorized) return;
    this.state = authorized;
    if (authorized) this.opts.log.info({ reason }, 'authority sign-in valid');
    else this.opts.log.error({ reason }, 'authority sign-in lost; reports are queued until someone signs in');
    this.opts.onAuthorizedChange?.(authorized, reason);
  }
}

interface Access {
  token: string;
  expiresAt: number;
  /** The refresh token it came from: a new sign-in replaces it. */
  refreshToken: string;
  /** Whose it is, as the authority says. */
  subject: string;
}
