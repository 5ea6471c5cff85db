import { describe, expect, it } from 'vitest';
import { problem } from '../../agent/authority/contract.js';
import { MANAGER, sandbox, signIn, withTeam } from './helpers.js';

describe('HTTP behaviour', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const t = await sandbox();
    const res = await t.call('GET', '/api/v2/reports');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.parse(res.body)).toMatchObject({ type: 'https://raqib.invalid/problems/no-such-route', status: 404, instance: '/api/v2/reports' });
  });

  it('answers a known route with the wrong method 405 and says which are allowed', async () => {
    const t = await sandbox();
    const res = await t.call('DELETE', '/api/v1/reports');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.body.type).toBe('https://raqib.invalid/problems/method-not-allowed');
  });

  it('refuses a body over 1 MiB with 413, announced or streamed', async () => {
    const { t, manager } = await withTeam();
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    const announced = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: JSON.parse(big) });
    expect(announced.status).toBe(413);
    expect(announced.body.type).toBe('https://raqib.invalid/problems/payload-too-large');
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const streamed = await fetch(`${t.url}/api/v1/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manager.access_token}`, 'idempotency-key': 'k', 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // a body of exactly 1 MiB is read (and then judged on its content)
    const exact = await t.call('POST', '/sandbox/faults', { json: { pad: 'x'.repeat(1024 * 1024 - 10) } });
    expect(exact.status).toBe(422);
  });

  it('refuses a body that is not JSON (415) or does not parse (400)', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    const text = await t.call('POST', '/api/v1/crisis-teams', { token: tokens.access_token, headers: { 'content-type': 'text/plain' }, json: {} });
    expect(text.status).toBe(415);
    const broken = await fetch(`${t.url}/api/v1/crisis-teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: '{"entity":',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { type: string }).type).toBe('https://raqib.invalid/problems/malformed-request');
    const form = await t.call('POST', '/oauth/token', { json: { grant_type: 'refresh_token' } });
    expect(form.status).toBe(415);
  });

  it('counts client requests by route and status, and not control requests', async () => {
    const t = await sandbox();
    await t.call('GET', '/api/v1/reports');
    await t.call('GET', '/api/v1/reports');
    await t.call('GET', '/api/v1/unknown');
    await t.call('GET', '/sandbox/state');
    expect(t.sb.state.requests).toEqual({ 'GET /api/v1/reports': { '401': 2 }, 'GET (no route)': { '404': 1 } });
    expect((await t.call('GET', '/sandbox/state')).body.requests).toEqual(t.sb.state.requests);
  });
});
