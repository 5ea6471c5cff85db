/**
 * OAuth 2.0 Device Authorization Grant (RFC 8628), standing in for the National SSO sign-in that a
 * person approves on their phone: the client asks for a device code, shows the user code, and
 * polls the token endpoint until the person approves (sandbox control, or `autoApprove`).
 */
import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { DEVICE_GRANT, SCOPE, type DeviceAuthorization, type UserInfo } from '../authority/contract.js';
import type { Logger } from '../log.js';
import { json, type Reply } from './http.js';
import { maskEmail, newSecret, newUserCode, normalizeUserCode, sha256 } from './ids.js';
import type { Persistence } from './persistence.js';
import { OAuthError, problems } from './problems.js';
import type { SandboxState, DeviceGrant } from './state.js';
import type { Tokens } from './tokens.js';

export const KNOWN_SCOPES: readonly string[] = SCOPE.split(' ');
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export interface OAuthOptions {
  now: () => number;
  baseUrl: () => string;
  pollIntervalSeconds: number;
  deviceCodeTtlSeconds: number;
  autoApprove: boolean;
}

export class OAuth {
  constructor(
    private readonly state: SandboxState,
    private readonly tokens: Tokens,
    private readonly persistence: Persistence,
    private readonly options: OAuthOptions,
    private readonly log: Logger,
  ) {}

  async deviceAuthorization(form: Record<string, string>): Promise<Reply> {
    const clientId = required(form, 'client_id');
    const scope = grantedScope(form['scope'], KNOWN_SCOPES);
    const hint = form['login_hint'];
    if (hint !== undefined && !z.email().safeParse(hint).success) throw new OAuthError('invalid_request', 'login_hint must be an email address');
    const now = this.options.now();
    for (const [hash, d] of this.state.devices) if (d.expires_at < now) this.state.devices.delete(hash);
    const deviceCode = newSecret();
    let userCode = newUserCode();
    while ([...this.state.devices.values()].some((d) => d.user_code === userCode)) userCode = newUserCode();
    const grant: DeviceGrant = {
      user_code: userCode,
      client_id: clientId,
      scope,
      expires_at: now + this.options.deviceCodeTtlSeconds * 1000,
      interval: this.options.pollIntervalSeconds,
      status: 'pending',
      ...(hint ? { login_hint: hint } : {}),
    };
    this.state.devices.set(sha256(deviceCode), grant);
    await this.persistence.commit();
    const uri = `${this.options.baseUrl()}/sandbox/device`;
    const answer: DeviceAuthorization = {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: uri,
      verification_uri_complete: `${uri}?user_code=${userCode}`,
      expires_in: this.options.deviceCodeTtlSeconds,
      interval: grant.interval,
    };
    this.log.info({ user_code: userCode, client_id: clientId }, 'device authorization started');
    return json(200, answer, NO_STORE);
  }

  async token(form: Record<string, string>): Promise<Reply> {
    const grantType = required(form, 'grant_type');
    if (grantType === DEVICE_GRANT) return this.deviceToken(form);
    if (grantType === 'refresh_token') return this.refresh(form);
    throw new OAuthError('unsupported_grant_type', `grant_type must be ${DEVICE_GRANT} or refresh_token`);
  }

  /**
   * OpenID Connect UserInfo (Core §5.3): who the bearer access token belongs to. The sandbox knows
   * a person by their email, so `sub` and `email` are the same; a real authority's `sub` may be
   * an opaque id, and clients go by `email`. 401 as for /api/v1 when the token is not valid.
   */
  userinfo(req: IncomingMessage): Reply {
    const who = this.tokens.authenticate(req);
    const answer: UserInfo = { sub: who.subject, email: who.subject };
    return json(200, answer, NO_STORE);
  }

  /** The person approved (`subject` = their email) or refused the sign-in shown with this user code. */
  async decide(userCode: string, decision: { subject: string } | 'deny'): Promise<DeviceGrant> {
    const code = normalizeUserCode(userCode);
    const grant = [...this.state.devices.values()].find((d) => d.user_code === code);
    if (!grant || grant.expires_at <= this.options.now()) throw problems.notFound(`no sign-in is waiting for the user code ${code}`);
    if (grant.status !== 'pending') throw problems.conflict('already-decided', 'Already decided', `the sign-in for ${code} was already ${grant.status}`);
    if (decision === 'deny') grant.status = 'denied';
    else Object.assign(grant, { status: 'approved', subject: decision.subject });
    await this.persistence.commit();
    this.log.info({ user_code: code, decision: grant.status, subject: grant.subject && maskEmail(grant.subject) }, 'device sign-in decided');
    return grant;
  }

  private async deviceToken(form: Record<string, string>): Promise<Reply> {
    const deviceCode = required(form, 'device_code');
    const clientId = required(form, 'client_id');
    const grant = this.state.devices.get(sha256(deviceCode));
    if (!grant || grant.status === 'used') throw new OAuthError('invalid_grant', 'the device code is unknown or was already exchanged');
    if (grant.client_id !== clientId) throw new OAuthError('invalid_grant', 'the device code was issued to another client');
    const now = this.options.now();
    if (now >= grant.expires_at) throw new OAuthError('expired_token', 'the device code has expired; start a new sign-in');
    if (grant.status === 'pending' && this.options.autoApprove) {
      if (grant.login_hint) Object.assign(grant, { status: 'approved', subject: grant.login_hint });
      else grant.status = 'denied';
    }
    if (grant.status === 'denied') throw new OAuthError('access_denied', 'the person refused the sign-in');
    if (grant.status === 'pending') {
      const tooSoon = grant.last_poll_at !== undefined && now - grant.last_poll_at < grant.interval * 1000;
      grant.last_poll_at = now;
      if (!tooSoon) throw new OAuthError('authorization_pending', 'the person has not approved the sign-in yet');
      grant.interval += 5;
      await this.persistence.commit();
      throw new OAuthError('slow_down', `polled faster than the interval; wait ${grant.interval} seconds between polls`);
    }
    grant.status = 'used';
    const answer = this.tokens.issue(grant.subject!, grant.client_id, grant.scope);
    await this.persistence.commit();
    this.log.info({ subject: maskEmail(grant.subject!), client_id: clientId }, 'tokens issued');
    return json(200, answer, NO_STORE);
  }

  private async refresh(form: Record<string, string>): Promise<Reply> {
    const refreshToken = required(form, 'refresh_token');
    const grant = this.tokens.refreshGrant(refreshToken);
    if (!grant) throw new OAuthError('invalid_grant', 'the refresh token is unknown or revoked; sign in again');
    if (form['client_id'] !== undefined && form['client_id'] !== grant.client_id)
      throw new OAuthError('invalid_grant', 'the refresh token was issued to another client');
    const scope = form['scope'] === undefined ? grant.scope : grantedScope(form['scope'], grant.scope.split(' '));
    const answer = this.tokens.issue(grant.subject, grant.client_id, scope, refreshToken);
    await this.persistence.commit();
    return json(200, answer, NO_STORE);
  }
}

function required(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (!value) throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

/** The requested scopes (all of `allowed` when none are asked for); an unknown one is invalid_scope (RFC 6749 §5.2). */
function grantedScope(requested: string | undefined, allowed: readonly string[]): string {
  const asked = (requested ?? '').split(' ').filter(Boolean);
  if (asked.length === 0) return allowed.join(' ');
  const unknown = asked.filter((s) => !allowed.includes(s));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `scope ${unknown.join(' ')} is not available; available: ${allowed.join(' ')}`);
  return [...new Set(asked)].join(' ');
}
