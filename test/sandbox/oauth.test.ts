import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT, deviceAuthorization, tokenAnswer, tokenError } from '../../agent/authority/contract.js';
import { MANAGER, sandbox, signIn, type TestSandbox } from './helpers.js';

async function start(t: TestSandbox, form: Record<string, string> = {}) {
  const res = await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib', ...form } });
  expect(res.status).toBe(200);
  return deviceAuthorization.parse(res.body);
}

const poll = (t: TestSandbox, deviceCode: string, clientId = 'raqib') =>
  t.call('POST', '/oauth/token', { form: { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId } });

describe('device authorization grant', () => {
  it('gives a device code, a user code like WDJB-MJHT, the verification page, a lifetime and an interval', async () => {
    const t = await sandbox();
    const res = await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib', scope: 'reports:write teams:write' } });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const d = deviceAuthorization.parse(res.body);
    expect(d.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(d.verification_uri).toBe(`${t.url}/sandbox/device`);
    expect(d.verification_uri_complete).toBe(`${t.url}/sandbox/device?user_code=${d.user_code}`);
    expect(d).toMatchObject({ expires_in: 600, interval: 5 });
    const page = await t.call('GET', `/sandbox/device?user_code=${d.user_code}`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain(d.user_code);
  });

  it('answers authorization_pending until the person approves, then Bearer tokens bound to them', async () => {
    const t = await sandbox();
    const d = await start(t);
    const pending = await poll(t, d.device_code);
    expect(pending.status).toBe(400);
    expect(tokenError.parse(pending.body).error).toBe('authorization_pending');
    expect(pending.headers.get('cache-control')).toBe('no-store');

    const approved = await t.call('POST', '/sandbox/device/approve', { json: { user_code: d.user_code.toLowerCase(), subject: MANAGER } });
    expect(approved.status).toBe(200);
    t.advance(5_000);
    const res = await poll(t, d.device_code);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = tokenAnswer.parse(res.body);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'reports:write teams:write' });
    expect(tokens.access_token).not.toBe(tokens.refresh_token);
    // the device code is used up: a second exchange is refused
    expect((await poll(t, d.device_code)).body.error).toBe('invalid_grant');
  });

  it('answers slow_down to a client that polls faster than the interval, and adds 5 seconds to it', async () => {
    const t = await sandbox();
    const d = await start(t);
    expect((await poll(t, d.device_code)).body.error).toBe('authorization_pending');
    t.advance(4_000);
    expect((await poll(t, d.device_code)).body.error).toBe('slow_down');
    t.advance(6_000); // 6 s is now too fast: the interval became 10 s
    expect((await poll(t, d.device_code)).body.error).toBe('slow_down');
    t.advance(15_000);
    expect((await poll(t, d.device_code)).body.error).toBe('authorization_pending');
  });

  it('answers access_denied when the person refuses', async () => {
    const t = await sandbox();
    const d = await start(t);
    expect((await t.call('POST', '/sandbox/device/deny', { json: { user_code: d.user_code } })).status).toBe(200);
    const res = await poll(t, d.device_code);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('access_denied');
    expect((await t.call('POST', '/sandbox/device/approve', { json: { user_code: d.user_code, subject: MANAGER } })).status).toBe(409);
  });

  it('answers expired_token once the device code outlives expires_in', async () => {
    const t = await sandbox();
    const d = await start(t);
    t.advance(601_000);
    expect((await poll(t, d.device_code)).body.error).toBe('expired_token');
    expect((await t.call('POST', '/sandbox/device/approve', { json: { user_code: d.user_code, subject: MANAGER } })).status).toBe(404);
  });

  it('with autoApprove, signs in the login_hint at the first poll, and refuses a sign-in without one', async () => {
    const t = await sandbox({ autoApprove: true, pollIntervalSeconds: 2 });
    const hinted = await start(t, { login_hint: MANAGER });
    expect(hinted.interval).toBe(2);
    const res = await poll(t, hinted.device_code);
    expect(res.status).toBe(200);
    const me = await t.call('GET', '/api/v1/crisis-teams', { token: res.body.access_token });
    expect(me.status).toBe(200);
    const anonymous = await start(t);
    expect((await poll(t, anonymous.device_code)).body.error).toBe('access_denied');
  });

  it('refuses a device code used by another client, an unknown grant type and an unknown scope', async () => {
    const t = await sandbox();
    const d = await start(t);
    expect((await poll(t, d.device_code, 'someone-else')).body.error).toBe('invalid_grant');
    const grant = await t.call('POST', '/oauth/token', { form: { grant_type: 'password', username: 'x', password: 'y' } });
    expect(grant.body.error).toBe('unsupported_grant_type');
    const scope = await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib', scope: 'admin' } });
    expect(scope.status).toBe(400);
    expect(scope.body).toMatchObject({ error: 'invalid_scope', error_description: expect.stringContaining('scope admin') });
    const missing = await t.call('POST', '/oauth/device_authorization', { form: { scope: 'reports:write' } });
    expect(missing.body.error).toBe('invalid_request');
  });
});

describe('tokens', () => {
  it('refreshes an access token without rotating the refresh token', async () => {
    const t = await sandbox();
    const first = await signIn(t, MANAGER);
    const res = await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: 'raqib' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const second = tokenAnswer.parse(res.body);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).toBe(first.refresh_token);
    // the same refresh token keeps working (a client that crashed before saving the answer is not locked out)
    const again = await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token! } });
    expect(again.status).toBe(200);
    expect((await t.call('GET', '/api/v1/reports', { token: second.access_token })).status).toBe(200);
  });

  it('answers invalid_grant to a revoked refresh token and 401 to its access tokens', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    const other = await signIn(t, 'other@moh.gov.sa');
    const revoked = await t.call('POST', '/sandbox/tokens/revoke', { json: { subject: MANAGER } });
    expect(revoked.body.revoked).toEqual({ refresh_tokens: 1, access_tokens: 1 });
    const res = await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    const api = await t.call('GET', '/api/v1/reports', { token: tokens.access_token });
    expect(api.status).toBe(401);
    // someone else's tokens are untouched
    expect((await t.call('GET', '/api/v1/reports', { token: other.access_token })).status).toBe(200);
    await t.call('POST', '/sandbox/tokens/revoke');
    expect((await t.call('GET', '/api/v1/reports', { token: other.access_token })).status).toBe(401);
  });

  it('answers 401 with WWW-Authenticate invalid_token for a missing, unknown or expired access token', async () => {
    const t = await sandbox({ accessTokenTtlSeconds: 60 });
    const tokens = await signIn(t, MANAGER);
    for (const token of [undefined, 'not-a-token']) {
      const res = await t.call('GET', '/api/v1/reports', token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    expect((await t.call('GET', '/api/v1/reports', { token: tokens.access_token })).status).toBe(200);
    t.advance(60_000);
    const expired = await t.call('GET', '/api/v1/reports', { token: tokens.access_token });
    expect(expired.status).toBe(401);
    expect(expired.body.type).toBe('https://raqib.invalid/problems/invalid-token');
    expect(expired.body.detail).toMatch(/expired/);
  });

  it('expires every access token on request, while refresh tokens keep working', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    const res = await t.call('POST', '/sandbox/tokens/expire');
    expect(res.body.expired.access_tokens).toBe(1);
    expect((await t.call('GET', '/api/v1/reports', { token: tokens.access_token })).status).toBe(401);
    const refreshed = await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! } });
    expect((await t.call('GET', '/api/v1/reports', { token: refreshed.body.access_token })).status).toBe(200);
  });

  it('refuses a write without its scope with 403 insufficient_scope', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER, 'teams:write');
    expect(tokens.scope).toBe('teams:write');
    const res = await t.call('POST', '/api/v1/reports', { token: tokens.access_token, key: 'k', json: {} });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});
