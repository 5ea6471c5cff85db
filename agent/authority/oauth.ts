/**
 * OAuth 2.0 against the authority: the Device Authorization Grant (RFC 8628) that stands in for
 * the National SSO sign-in a person approves on their phone, the refresh_token grant, and the
 * OpenID Connect UserInfo endpoint that says whom a token belongs to.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { describeError } from '../errors.js';
import type { RequestEvent } from './client.js';
import {
  DEVICE_GRANT,
  deviceAuthorization,
  problem,
  SCOPE,
  tokenAnswer,
  tokenError,
  USERINFO_PATH,
  userInfo,
  type DeviceAuthorization,
  type TokenAnswer,
  type UserInfo,
} from './contract.js';
import { AuthorityError } from './errors.js';

export interface OAuthEndpoint {
  baseUrl: string;
  clientId: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Told of every request, as HttpAuthorityClient tells of its own: the audit log and metrics listen. */
  onRequest?(event: RequestEvent): void;
}

/** How the OAuth requests are named in the audit log and metrics (beside client.ts's `create_report`, …). */
export const OAUTH_ENDPOINTS = {
  deviceAuthorization: 'oauth_device_authorization',
  deviceToken: 'oauth_device_token',
  refresh: 'oauth_refresh',
  userinfo: 'oauth_userinfo',
} as const;

type Answer = { status: number; json: unknown };

/**
 * One request to the authority's OAuth endpoints, told to `onRequest` with its outcome. The event
 * names the endpoint and at most the OAuth error code (`authorization_pending`) or the problem's
 * title: never a form field, a token or a code.
 */
async function send(
  ep: OAuthEndpoint,
  endpoint: string,
  method: 'GET' | 'POST',
  path: string,
  init: { form?: Record<string, string>; bearer?: string; actorOf?: (json: unknown) => string | undefined },
): Promise<Answer> {
  const started = performance.now();
  const tell = (outcome: number | 'network', error?: string, actor?: string) =>
    ep.onRequest?.({ endpoint, method, outcome, seconds: (performance.now() - started) / 1000, ...(error ? { error } : {}), ...(actor ? { actor } : {}) });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (init.bearer) headers['authorization'] = `Bearer ${init.bearer}`;
  let answer: Answer;
  try {
    const res = await request(new URL(path, ep.baseUrl), {
      method,
      headers,
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
      dispatcher: ep.dispatcher,
      signal: AbortSignal.timeout(ep.timeoutMs),
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    answer = { status: res.statusCode, json };
  } catch (err) {
    tell('network', describeError(err));
    throw new AuthorityError('network', `${method} ${path}: no answer from the authority (${describeError(err)})`, { cause: err });
  }
  tell(answer.status, answer.status >= 400 ? errorName(answer.json) : undefined, answer.status === 200 ? init.actorOf?.(answer.json) : undefined);
  return answer;
}

/** The OAuth error code or the problem's title of an error answer; nothing else of it. */
function errorName(json: unknown): string | undefined {
  const oauth = tokenError.safeParse(json);
  if (oauth.success) return oauth.data.error;
  const p = problem.safeParse(json);
  return p.success ? p.data.title : undefined;
}

function post(ep: OAuthEndpoint, endpoint: string, path: string, form: Record<string, string>): Promise<Answer> {
  return send(ep, endpoint, 'POST', path, { form });
}

export async function startDeviceAuthorization(ep: OAuthEndpoint, loginHint: string): Promise<DeviceAuthorization> {
  const { status, json } = await post(ep, OAUTH_ENDPOINTS.deviceAuthorization, '/oauth/device_authorization', {
    client_id: ep.clientId,
    scope: SCOPE,
    login_hint: loginHint,
  });
  const parsed = deviceAuthorization.safeParse(json);
  if (status !== 200 || !parsed.success) {
    const err = tokenError.safeParse(json);
    throw new AuthorityError('http', `device authorization refused (${status}${err.success ? `: ${err.data.error}` : ''})`, { status });
  }
  return parsed.data;
}

export interface PollOptions {
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // the listener goes with the wait: a long sign-in polls a hundred times on one signal
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Polls the token endpoint as RFC 8628 §3.4–3.5 says: wait `interval` between polls, add 5 s on
 * slow_down, keep going on authorization_pending, stop on access_denied or expired_token.
 */
export async function pollDeviceToken(ep: OAuthEndpoint, auth: DeviceAuthorization, options: PollOptions = {}): Promise<TokenAnswer> {
  const sleep = options.sleep ?? defaultSleep;
  let interval = auth.interval * 1000;
  const deadline = Date.now() + auth.expires_in * 1000;
  for (;;) {
    await sleep(interval, options.signal);
    const { status, json } = await post(ep, OAUTH_ENDPOINTS.deviceToken, '/oauth/token', {
      grant_type: DEVICE_GRANT,
      device_code: auth.device_code,
      client_id: ep.clientId,
    });
    const ok = tokenAnswer.safeParse(json);
    if (status === 200 && ok.success) return ok.data;
    const err = tokenError.safeParse(json);
    const code = err.success ? err.data.error : `HTTP ${status}`;
    if (code === 'authorization_pending') {
      if (Date.now() > deadline) throw new AuthorityError('auth', 'the sign-in code expired before it was approved; run raqib login again');
      continue;
    }
    if (code === 'slow_down') {
      interval += 5_000;
      continue;
    }
    if (status === 429 || status >= 500) {
      // The authority is busy or briefly down: the code is still valid, so keep waiting for it.
      if (Date.now() > deadline) throw new AuthorityError('auth', 'the sign-in code expired before it was approved; run raqib login again');
      continue;
    }
    if (code === 'access_denied') throw new AuthorityError('auth', 'the sign-in was declined');
    if (code === 'expired_token') throw new AuthorityError('auth', 'the sign-in code expired before it was approved; run raqib login again');
    throw new AuthorityError(status >= 500 ? 'http' : 'auth', `sign-in failed: ${code}`, { status });
  }
}

/** A new access token from a refresh token; AuthorityError('auth') when the grant is no longer valid. */
export async function refreshAccessToken(ep: OAuthEndpoint, refreshToken: string): Promise<TokenAnswer> {
  const { status, json } = await post(ep, OAUTH_ENDPOINTS.refresh, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: ep.clientId,
  });
  const ok = tokenAnswer.safeParse(json);
  if (status === 200 && ok.success) return ok.data;
  const err = tokenError.safeParse(json);
  if (status === 400 || status === 401) {
    throw new AuthorityError(
      'auth',
      `the authority no longer accepts this sign-in (${err.success ? err.data.error : status}); a crisis team manager or alternate must run raqib login`,
      { status },
    );
  }
  throw new AuthorityError(status >= 500 || status === 429 ? 'http' : 'invalid_answer', `token refresh failed with HTTP ${status}`, { status });
}

/**
 * Who this access token belongs to, as the authority says (GET /oauth/userinfo). The only source of
 * "who signed in": the person who approves the code may not be the one the client asked for.
 */
export async function fetchUserInfo(ep: OAuthEndpoint, accessToken: string): Promise<UserInfo> {
  const actorOf = (json: unknown) => userInfo.safeParse(json).data?.email;
  const { status, json } = await send(ep, OAUTH_ENDPOINTS.userinfo, 'GET', USERINFO_PATH, { bearer: accessToken, actorOf });
  const ok = userInfo.safeParse(json);
  if (status === 200 && ok.success) return ok.data;
  if (status === 401)
    throw new AuthorityError('auth', 'the authority does not accept the access token it just issued; a crisis team manager or alternate must run raqib login', {
      status,
    });
  if (status === 429 || status >= 500) throw new AuthorityError('http', `${USERINFO_PATH} answered HTTP ${status}`, { status });
  throw new AuthorityError(
    'invalid_answer',
    `${USERINFO_PATH} did not say who signed in (HTTP ${status}); the authority must serve OpenID Connect UserInfo with sub and email`,
    { status },
  );
}
