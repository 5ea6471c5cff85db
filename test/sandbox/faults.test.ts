import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../agent/sandbox/ids.js';
import { MANAGER, reportBody, sandbox, signIn, withTeam } from './helpers.js';

describe('faults', () => {
  it('answers 503 to every /oauth and /api request while down, but not to /sandbox, until cleared', async () => {
    const { t, manager } = await withTeam();
    expect((await t.call('POST', '/sandbox/faults', { json: { down: true } })).status).toBe(200);
    const api = await t.call('GET', '/api/v1/reports', { token: manager.access_token });
    expect(api.status).toBe(503);
    expect(api.headers.get('content-type')).toBe('application/problem+json');
    expect(api.body.type).toBe('https://raqib.invalid/problems/unavailable');
    expect((await t.call('POST', '/oauth/device_authorization', { form: { client_id: 'raqib' } })).status).toBe(503);
    expect((await t.call('GET', '/api/v1/nothing-here')).status).toBe(503);
    expect((await t.call('GET', '/sandbox/state')).status).toBe(200);
    expect((await t.call('GET', '/sandbox/faults')).body).toEqual({ down: true });
    expect((await t.call('DELETE', '/sandbox/faults')).body).toEqual({});
    expect((await t.call('GET', '/api/v1/reports', { token: manager.access_token })).status).toBe(200);
    expect(t.sb.state.requests['GET /api/v1/reports']).toEqual({ '503': 1, '200': 1 });
  });

  it('answers 429 with Retry-After while rate limited', async () => {
    const { t, manager } = await withTeam();
    await t.call('POST', '/sandbox/faults', { json: { rate_limit: { retry_after_seconds: 7 } } });
    const res = await t.call('GET', '/api/v1/reports', { token: manager.access_token });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.type).toBe('https://raqib.invalid/problems/rate-limited');
    expect((await t.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: 'x' } })).status).toBe(429);
  });

  it('delays the handling of each request by latency_ms, but not control requests', async () => {
    const { t, manager } = await withTeam();
    await t.call('POST', '/sandbox/faults', { json: { latency_ms: 5_000 } });
    const control = performance.now();
    expect((await t.call('GET', '/sandbox/state')).status).toBe(200);
    expect(performance.now() - control).toBeLessThan(2_500);
    await t.call('POST', '/sandbox/faults', { json: { latency_ms: 150 } });
    const started = performance.now();
    expect((await t.call('GET', '/api/v1/reports', { token: manager.access_token })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('files the report before answer_delay_ms runs out, so a client that gives up has still filed', async () => {
    const { t, manager, teamId } = await withTeam();
    await t.call('POST', '/sandbox/faults', { json: { answer_delay_ms: 800 } });
    let answered = false;
    const answer = t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) }).finally(() => (answered = true));
    while (t.sb.state.reports.length === 0 && !answered) await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(false);
    expect(t.sb.state.reports).toHaveLength(1);
    expect((await answer).status).toBe(201);
  });

  it('rejects filing with the configured 4xx problem while reject_reports is set', async () => {
    const { t, manager, teamId } = await withTeam();
    await t.call('POST', '/sandbox/faults', { json: { reject_reports: { status: 422, detail: 'service id not in the national catalogue' } } });
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: 'https://raqib.invalid/problems/report-rejected', detail: 'service id not in the national catalogue' });
    expect(t.sb.state.reports).toHaveLength(0);
    expect((await t.call('GET', '/api/v1/reports', { token: manager.access_token })).status).toBe(200);
    const bad = await t.call('POST', '/sandbox/faults', { json: { reject_reports: { status: 503, detail: 'x' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('reject_reports.status');
  });

  it('fails the same requests at random for the same seed', async () => {
    const t = await sandbox();
    const tokens = await signIn(t, MANAGER);
    const pattern = async () => {
      await t.call('POST', '/sandbox/faults', { json: { error_rate: 0.5, seed: 42 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await t.call('GET', '/api/v1/reports', { token: tokens.access_token })).status);
      return out;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    const rng = seededRandom(42);
    expect(first).toEqual(Array.from({ length: 20 }, () => (rng() < 0.5 ? 503 : 200)));
    expect(first).toContain(503);
    expect(first).toContain(200);
  });

  it('uses the injected random for error_rate when no seed is given', async () => {
    const t = await sandbox({ random: () => 0.3 });
    await t.call('POST', '/sandbox/faults', { json: { error_rate: 0.25 } });
    expect((await t.call('GET', '/api/v1/reports')).status).toBe(401);
    await t.call('POST', '/sandbox/faults', { json: { error_rate: 0.35 } });
    expect((await t.call('GET', '/api/v1/reports')).status).toBe(503);
  });

  it('refuses an unknown fault with 422', async () => {
    const t = await sandbox();
    const res = await t.call('POST', '/sandbox/faults', { json: { explode: true, error_rate: 2 } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['', 'error_rate']);
  });

  it('closes promptly while an answer is held back, dropping the connection', async () => {
    const { t, manager } = await withTeam();
    await t.call('POST', '/sandbox/faults', { json: { answer_delay_ms: 10_000 } });
    const answer = t.call('GET', '/api/v1/reports', { token: manager.access_token });
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await t.sb.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(answer).rejects.toThrow();
  });
});
