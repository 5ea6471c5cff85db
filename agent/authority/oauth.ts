/**
 * OAuth 2.0 against the authority: the Device Authorization Grant (RFC 8628) that stands in for
 * the National SSO sign-in a person approves on their phone, and the refresh_token grant.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { describeError } from '../errors.js';
import { DEVICE_GRANT, deviceAuthorization, SCOPE, tokenAnswer, tokenError, type DeviceAuthorization, type TokenAnswer } from './contract.js';
import { AuthorityError } from './errors.js';

export interface OAuthEndpoint {
  baseUrl: string;
  clientId: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
}

async function post(ep: OAuthEndpoint, path: string, form: Record<string, string>): Promise<{ status: number; json: unknown }> {
  try {
    const res = await request(new URL(path, ep.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
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
    return { status: res.statusCode, json };
  } catch (err) {
    throw new AuthorityError('network', `POST ${path}: no answer from the authority (${describeError(err)})`, { cause: err });
  }
}

export async function startDeviceAuthorization(ep: OAuthEndpoint, loginHint: string): Promise<DeviceAuthorization> {
  const { status, json } = await post(ep, '/oauth/device_authorization', { client_id: ep.clientId, scope: SCOPE, login_hint: loginHint });
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
    const { status, json } = await post(ep, '/oauth/token', { grant_type: DEVICE_GRANT, device_code: auth.device_code, client_id: ep.clientId });
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
  const { status, json } = await post(ep, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: ep.clientId });
  const ok = tokenAnswer.safeParse(json);
  if (status === 200 && ok.success) return ok.data;
  const err = tokenError.safeParse(json);
  if (status === 400 || status === 401) {
    throw new AuthorityError('auth', `the authority no longer accepts this sign-in (${err.success ? err.data.error : status}); a crisis team manager or alternate must run raqib login`, { status });
  }
  throw new AuthorityError(status >= 500 || status === 429 ? 'http' : 'invalid_answer', `token refresh failed with HTTP ${status}`, { status });
}
