import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpAuthorityClient, type RequestEvent } from '../../agent/authority/client.js';
import { AuthorityError, isAuthorityError } from '../../agent/authority/errors.js';
import { finalBody, reportBody, teamBody, updateBody } from '../sandbox/helpers.js';
import { closedPortUrl, fixedTokens, onCleanup, scriptedServer, sendJson, signedIn, type SignedIn } from './helpers.js';

async function failure(promise: Promise<unknown>): Promise<AuthorityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAuthorityError(err)) throw new Error(`expected an AuthorityError, got ${String(err)}`);
  return err;
}

/** Signed in with the manager's crisis team registered. */
async function withTeam(): Promise<SignedIn & { teamId: string }> {
  const a = await signedIn();
  const team = await a.client.registerTeam(teamBody());
  return { ...a, teamId: team.id };
}

function client(baseUrl: string, token = 'test-token', events: RequestEvent[] = []) {
  const tokens = fixedTokens(token);
  const c = new HttpAuthorityClient({ baseUrl, tokens, timeoutMs: 2_000, userAgent: 'raqib-test', onRequest: (e) => events.push(e) });
  onCleanup(() => c.close());
  return { client: c, tokens, events };
}

describe('HttpAuthorityClient against the sandbox authority', () => {
  it('files a report, and a replay under the same idempotency key returns the same report without filing twice', async () => {
    const a = await withTeam();
    const body = reportBody(a.teamId);
    const first = await a.client.createReport('raqib:MOH:appointments-1:report', body);
    expect(first).toMatchObject({ id: expect.stringMatching(/^rpt_/), reference: expect.stringMatching(/^DGA-/), status: 'submitted' });
    const again = await a.client.createReport('raqib:MOH:appointments-1:report', body);
    expect(again).toEqual(first);
    expect(a.sandbox.state.reports).toHaveLength(1);
    expect(a.count('POST /api/v1/reports', 201)).toBe(2);

    const got = await a.client.getReport(first.id);
    expect(got).toMatchObject({ id: first.id, reference: first.reference, body: { title: body.title } });
  });

  it('adds an update and files the final report, each answer checked against the contract', async () => {
    const a = await withTeam();
    const { id } = await a.client.createReport('k/report', reportBody(a.teamId));
    const update = await a.client.addUpdate(id, 'k/update/1', updateBody('ongoing'));
    expect(update).toMatchObject({ id: expect.stringMatching(/^upd_/), status: 'ongoing' });
    expect(await a.client.addUpdate(id, 'k/update/1', updateBody('ongoing'))).toEqual(update);
    const final = await a.client.fileFinalReport(id, 'k/final/1', finalBody(false));
    expect(final.status).toBe('closed');
    expect(await a.client.findTeam('MOH')).toMatchObject({ id: a.teamId });
    expect(await a.client.findTeam('NIC')).toBeUndefined();
  });

  it('turns a changed body under a used key into a non-retryable 409 carrying the problem document', async () => {
    const a = await withTeam();
    await a.client.createReport('raqib:MOH:x:report', reportBody(a.teamId));
    const err = await failure(a.client.createReport('raqib:MOH:x:report', reportBody(a.teamId, { impact: 'partial' })));
    expect(err).toMatchObject({ kind: 'http', status: 409, retryable: false });
    expect(err.problem).toMatchObject({ status: 409, type: expect.stringMatching(/\/idempotency-key-reused$/), title: expect.any(String) });
    expect(err.message).toContain('409');
    expect(a.sandbox.state.reports).toHaveLength(1);
  });

  it('gives a 422 with the validation errors of the problem document, not retryable', async () => {
    const a = await withTeam();
    const err = await failure(a.client.createReport('k/report', reportBody('team_wrong')));
    expect(err).toMatchObject({ kind: 'http', status: 422, retryable: false });
    expect(err.problem?.type).toMatch(/\/validation-failed$/);
    expect(err.problem?.errors).toEqual([{ path: 'submitted_by.crisis_team_id', message: expect.stringContaining(a.teamId) }]);
  });

  it('reads Retry-After of a 429 into retryAfterMs and calls it retryable', async () => {
    const a = await withTeam();
    await a.control('faults', { rate_limit: { retry_after_seconds: 30 } });
    const err = await failure(a.client.createReport('k/report', reportBody(a.teamId)));
    expect(err).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 30_000, retryable: true });
    expect(err.problem?.type).toMatch(/rate-limited$/);
  });

  it('calls a 503 from an authority that is down retryable', async () => {
    const a = await withTeam();
    await a.control('faults', { down: true });
    const err = await failure(a.client.createReport('k/report', reportBody(a.teamId)));
    expect(err).toMatchObject({ kind: 'http', status: 503, retryable: true, retryAfterMs: undefined });
    expect(a.events.at(-1)).toMatchObject({ endpoint: 'create_report', outcome: 503 });
  });

  it('refreshes the access token exactly once after a 401 and retries the request with the new one', async () => {
    const a = await withTeam();
    const before = a.count('POST /oauth/token', 200);
    const old = await a.tokens.accessToken();
    await a.control('tokens/expire');
    const report = await a.client.createReport('k/report', reportBody(a.teamId));
    expect(report.status).toBe('submitted');
    expect(a.count('POST /oauth/token', 200)).toBe(before + 1);
    expect(await a.tokens.accessToken()).not.toBe(old);
    expect(a.events.filter((e) => e.endpoint === 'create_report').map((e) => e.outcome)).toEqual([401, 201]);
    expect(a.changes).toEqual([true]); // still authorized throughout
  });

  it('ends in an auth error (not a retry loop) when the sign-in was revoked', async () => {
    const a = await withTeam();
    await a.control('tokens/revoke', {});
    const err = await failure(a.client.createReport('k/report', reportBody(a.teamId)));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/raqib login/);
    expect(a.events.filter((e) => e.endpoint === 'create_report').map((e) => e.outcome)).toEqual([401]);
    expect(a.changes).toEqual([true, false]);
  });

  it('retries a 401 once only: a second 401 with a fresh token is an auth error', async () => {
    const server = await scriptedServer((_req, _body, res) =>
      sendJson(
        res,
        401,
        { type: 'https://raqib.invalid/problems/invalid-token', title: 'Invalid access token', status: 401 },
        { 'content-type': 'application/problem+json' },
      ),
    );
    const { client: c, tokens, events } = client(server.url);
    const err = await failure(c.getReport('rpt_1'));
    expect(err).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(err.problem?.title).toBe('Invalid access token');
    expect(server.requests).toHaveLength(2);
    expect(tokens.invalidated).toBe(1);
    expect(tokens.asked).toBe(2);
    expect(events.map((e) => e.outcome)).toEqual([401, 401]);
  });

  it("calls a closed port a 'network' failure, retryable, with a 'network' request event", async () => {
    const { client: c, events } = client(await closedPortUrl());
    const err = await failure(c.createReport('k/report', reportBody('team_x')));
    expect(err).toMatchObject({ kind: 'network', status: undefined, retryable: true });
    expect(err.message).toMatch(/no answer from the authority/);
    expect(events).toMatchObject([{ endpoint: 'create_report', method: 'POST', outcome: 'network', idempotencyKey: 'k/report', error: expect.any(String) }]);
  });

  it("calls an answer that does not match the contract 'invalid_answer' (retryable)", async () => {
    const server = await scriptedServer((req, _body, res) => {
      if (req.url === '/api/v1/reports') return sendJson(res, 201, { id: 42, status: 'filed' });
      if (req.url?.startsWith('/api/v1/crisis-teams')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>a captive portal</html>');
      }
      return sendJson(res, 200, { id: 'rpt_1' });
    });
    const { client: c } = client(server.url);
    const created = await failure(c.createReport('k/report', reportBody('team_x')));
    expect(created).toMatchObject({ kind: 'invalid_answer', retryable: true });
    expect(created.message).toMatch(/does not match Authority API v1/);
    expect((await failure(c.findTeam('MOH'))).kind).toBe('invalid_answer');
    expect((await failure(c.getReport('rpt_1'))).kind).toBe('invalid_answer');
  });

  it('ignores answer fields it does not know (v1 may grow)', async () => {
    const server = await scriptedServer((_req, _body, res) =>
      sendJson(res, 201, { id: 'rpt_1', reference: 'DGA-2026-000001', status: 'submitted', eta: 'soon' }),
    );
    const { client: c } = client(server.url);
    expect(await c.createReport('k/report', reportBody('team_x'))).toEqual({ id: 'rpt_1', reference: 'DGA-2026-000001', status: 'submitted' });
  });

  it('sends the bearer token, the idempotency key and JSON, and reports endpoint, outcome and key without the token', async () => {
    const server = await scriptedServer((_req, _body, res) => sendJson(res, 201, { id: 'rpt_1', reference: 'DGA-2026-000001', status: 'submitted' }));
    const TOKEN = 'tok-7f3a9c-secret';
    const { client: c, events } = client(server.url, TOKEN);
    const body = reportBody('team_x');
    await c.createReport('raqib:MOH:svc-1:report', body);
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', url: '/api/v1/reports' });
    expect(req!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'raqib:MOH:svc-1:report', 'content-type': 'application/json' });
    expect(JSON.parse(req!.body)).toEqual(body);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ endpoint: 'create_report', method: 'POST', outcome: 201, idempotencyKey: 'raqib:MOH:svc-1:report' });
    expect(events[0]!.seconds).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(events)).not.toContain(TOKEN);

    await c.getReport('rpt_1').catch(() => undefined);
    expect(events[1]).not.toHaveProperty('idempotencyKey'); // reads carry no key
  });

  it('keeps the token out of request events and errors even when the far side echoes it back', async () => {
    const TOKEN = 'tok-echoed-0b5e1d';
    const server = await scriptedServer((req, _body, res) =>
      sendJson(res, 502, {
        type: 'about:blank',
        title: `Bad gateway for ${req.headers.authorization}`,
        status: 502,
        detail: `upstream refused ${req.headers.authorization}`,
      }),
    );
    const { client: c, events } = client(server.url, TOKEN);
    const err = await failure(c.createReport('k/report', reportBody('team_x')));
    expect(err.status).toBe(502);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('Retry-After given as a date', () => {
  it('is read against the injected clock, not the machine clock', async () => {
    const far = Date.parse('2041-03-14T09:00:00Z');
    const server = createServer((_req, res) => {
      res.writeHead(503, { 'retry-after': new Date(far + 45_000).toUTCString(), 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'busy', status: 503 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;
    const c = new HttpAuthorityClient({
      baseUrl: `http://127.0.0.1:${port}`,
      tokens: fixedTokens('t'),
      timeoutMs: 2_000,
      userAgent: 'raqib-test',
      now: () => far,
    });
    onCleanup(() => c.close());
    const err = await failure(c.findTeam('MOH'));
    expect(err).toMatchObject({ status: 503, retryable: true, retryAfterMs: 45_000 });
  });
});
