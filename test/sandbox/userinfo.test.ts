/**
 * GET /oauth/userinfo (OpenID Connect UserInfo): whom an access token belongs to — the person who
 * approved the code, whoever the client asked for with login_hint.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT, userInfo } from '../../agent/authority/contract.js';
import { ALTERNATE, MANAGER, sandbox, signIn } from './helpers.js';

describe('GET /oauth/userinfo', () => {
  it('names the person who approved the code, not the one the client hinted at', async () => {
    const t = await sandbox();
    const start = await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib', login_hint: MANAGER } });
    await t.call('POST', '/sandbox/device/approve', { json: { user_code: start.body.user_code, subject: ALTERNATE } });
    const token = await t.call('POST', '/oauth/token', { form: { grant_type: DEVICE_GRANT, device_code: start.body.device_code, client_id: 'raqib' } });

    const res = await t.call('GET', '/oauth/userinfo', { token: token.body.access_token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(userInfo.parse(res.body)).toEqual({ sub: ALTERNATE, email: ALTERNATE });
  });

  it('names the same person for an access token got by refresh', async () => {
    const t = await sandbox();
    const first = await signIn(t, MANAGER);
    const refreshed = await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token! } });
    expect((await t.call('GET', '/oauth/userinfo', { token: refreshed.body.access_token })).body).toEqual({ sub: MANAGER, email: MANAGER });
  });

  it('answers 401 invalid_token without a token, with an unknown one, and once the sign-in is revoked', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    const none = await t.call('GET', '/oauth/userinfo');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect((await t.call('GET', '/oauth/userinfo', { token: 'not-a-token' })).status).toBe(401);
    await t.call('POST', '/sandbox/tokens/revoke', { json: { subject: MANAGER } });
    expect((await t.call('GET', '/oauth/userinfo', { token: tokens.access_token })).status).toBe(401);
  });

  it('is a client-facing route: answers 503 while the authority is down, and again once it is back', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    await t.call('POST', '/sandbox/faults', { json: { down: true } });
    expect((await t.call('GET', '/oauth/userinfo', { token: tokens.access_token })).status).toBe(503);
    await t.call('DELETE', '/sandbox/faults');
    expect((await t.call('GET', '/oauth/userinfo', { token: tokens.access_token })).status).toBe(200);
  });
});
