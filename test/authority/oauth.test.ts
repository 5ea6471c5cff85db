import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import type { DeviceAuthorization } from '../../agent/authority/contract.js';
import { AuthorityError, isAuthorityError } from '../../agent/authority/errors.js';
import { deviceSignIn } from '../../agent/authority/login.js';
import { pollDeviceToken, refreshAccessToken, startDeviceAuthorization, type OAuthEndpoint } from '../../agent/authority/oauth.js';
import { readSignIn, SIGN_IN_FILE } from '../../agent/authority/sign-in.js';
import { tempDir } from '../helpers/tmp.js';
import { MANAGER, onCleanup, scriptedServer, sendJson, testAuthority, type TestAuthority } from './helpers.js';

async function failure(promise: Promise<unknown>): Promise<AuthorityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAuthorityError(err)) throw new Error(`expected an AuthorityError, got ${String(err)}`);
  return err;
}

function endpointFor(baseUrl: string): OAuthEndpoint {
  const dispatcher = new Agent();
  onCleanup(() => dispatcher.close());
  return { baseUrl, clientId: 'raqib', dispatcher, timeoutMs: 2_000 };
}

/** A sleep that records each wait and moves the sandbox's clock by it instead of waiting. */
function recordingSleep(a: TestAuthority, onWait: (n: number) => void | Promise<void> = () => undefined) {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    a.clock.now += ms;
    await onWait(waits.length);
  };
  return { waits, sleep };
}

const TOKENS = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1', scope: 'reports:write teams:write' };

/** A token endpoint that answers the given OAuth errors in turn, then tokens. */
async function scriptedTokenEndpoint(errors: string[]) {
  const server = await scriptedServer((req, _body, res) => {
    if (req.url !== '/oauth/token') return sendJson(res, 404, {});
    const error = errors.shift();
    if (error === undefined) return sendJson(res, 200, TOKENS);
    if (error.startsWith('HTTP ')) return sendJson(res, Number(error.slice(5)), { type: 'about:blank', title: 'x', status: Number(error.slice(5)) });
    return sendJson(res, 400, { error, error_description: `scripted ${error}` });
  });
  return { server, endpoint: endpointFor(server.url) };
}

const auth = (interval: number): DeviceAuthorization => ({
  device_code: 'dc-1',
  user_code: 'BCDF-GHJK',
  verification_uri: 'http://x/device',
  expires_in: 600,
  interval,
});

describe('pollDeviceToken', () => {
  it('waits the interval before each poll and adds 5 s for this and every later poll on slow_down', async () => {
    const { server, endpoint } = await scriptedTokenEndpoint([
      'authorization_pending',
      'slow_down',
      'authorization_pending',
      'slow_down',
      'authorization_pending',
    ]);
    const waits: number[] = [];
    const tokens = await pollDeviceToken(endpoint, auth(2), { sleep: async (ms) => void waits.push(ms) });
    expect(tokens).toEqual(TOKENS);
    expect(waits).toEqual([2_000, 2_000, 7_000, 7_000, 12_000, 12_000]);
    expect(server.requests).toHaveLength(6);
    const form = new URLSearchParams(server.requests[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'dc-1', client_id: 'raqib' });
  });

  it('polls the sandbox at its pace: pending until approved, slowed down when too quick', async () => {
    const a = await testAuthority();
    const endpoint = endpointFor(a.url);
    const started = await startDeviceAuthorization(endpoint, MANAGER);
    expect(started.interval).toBe(5);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      // the second wait comes up 2 s short (a clock running fast): the authority says slow_down
      a.clock.now += waits.length === 2 ? ms - 2_000 : ms;
      if (waits.length === 4) await a.control('device/approve', { user_code: started.user_code, subject: MANAGER });
    };
    const tokens = await pollDeviceToken(endpoint, started, { sleep });
    expect(tokens).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String) });
    expect(waits).toEqual([5_000, 5_000, 10_000, 10_000]);
    expect(a.count('POST /oauth/token', 400)).toBe(3); // pending, slow_down, pending
  });

  it('ends with "declined" when the person refuses', async () => {
    const a = await testAuthority();
    const endpoint = endpointFor(a.url);
    const started = await startDeviceAuthorization(endpoint, MANAGER);
    const { sleep } = recordingSleep(a, async (n) => {
      if (n === 2) await a.control('device/deny', { user_code: started.user_code });
    });
    const err = await failure(pollDeviceToken(endpoint, started, { sleep }));
    expect(err.kind).toBe('auth');
    expect(err.message).toBe('the sign-in was declined');
  });

  it('ends with "expired … run raqib login again" when nobody approves before the code expires', async () => {
    const a = await testAuthority({ deviceCodeTtlSeconds: 20 });
    const endpoint = endpointFor(a.url);
    const started = await startDeviceAuthorization(endpoint, MANAGER);
    const { sleep, waits } = recordingSleep(a);
    const err = await failure(pollDeviceToken(endpoint, started, { sleep }));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/sign-in code expired before it was approved; run raqib login again/);
    expect(waits).toEqual([5_000, 5_000, 5_000, 5_000]); // the 4th poll, at 20 s, finds it expired
  });

  it.each([
    ['invalid_grant', 'auth', /sign-in failed: invalid_grant/],
    ['invalid_scope', 'auth', /sign-in failed: invalid_scope/],
  ])('stops on %s with an error of kind %s', async (answer, kind, message) => {
    const { endpoint } = await scriptedTokenEndpoint([answer]);
    const err = await failure(pollDeviceToken(endpoint, auth(1), { sleep: async () => undefined }));
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  it('keeps polling through a busy (429) or briefly failing (503) authority: the code is still valid', async () => {
    const { server, endpoint } = await scriptedTokenEndpoint(['HTTP 503', 'HTTP 429', 'authorization_pending']);
    const tokens = await pollDeviceToken(endpoint, auth(1), { sleep: async () => undefined });
    expect(tokens).toEqual(TOKENS);
    expect(server.requests).toHaveLength(4);
  });

  it('stops waiting when its signal is aborted', async () => {
    const { server, endpoint } = await scriptedTokenEndpoint([]);
    const controller = new AbortController();
    const polling = pollDeviceToken(endpoint, auth(60), { signal: controller.signal });
    controller.abort(new Error('stopped by the operator'));
    await expect(polling).rejects.toThrow('stopped by the operator');
    expect(server.requests).toEqual([]);
  });

  it('does not poll at all when its signal was aborted before it started', async () => {
    const { server, endpoint } = await scriptedTokenEndpoint([]);
    const started = Date.now();
    await expect(pollDeviceToken(endpoint, auth(2), { signal: AbortSignal.abort(new Error('already stopped')) })).rejects.toThrow('already stopped');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.requests).toEqual([]);
  });
});

describe('refreshAccessToken', () => {
  it('gets a new access token and keeps the refresh token; a revoked one is an auth error telling to run raqib login', async () => {
    const a = await testAuthority({ autoApprove: true });
    const dataDir = await tempDir();
    const signIn = await deviceSignIn({ endpoint: a.endpoint, subject: MANAGER, dataDir, onPrompt: () => undefined, sleep: async () => undefined });
    const fresh = await refreshAccessToken(a.endpoint, signIn.refresh_token);
    expect(fresh.refresh_token).toBe(signIn.refresh_token);
    await a.control('tokens/revoke', { subject: MANAGER });
    const err = await failure(refreshAccessToken(a.endpoint, signIn.refresh_token));
    expect(err).toMatchObject({ kind: 'auth', status: 400 });
    expect(err.message).toMatch(/invalid_grant.*raqib login/);
  });

  it.each([
    [503, 'http'],
    [429, 'http'],
    [404, 'invalid_answer'],
  ])('calls a %i from the token endpoint %s, not a lost sign-in', async (status, kind) => {
    const server = await scriptedServer((_req, _body, res) => sendJson(res, status, { type: 'about:blank', title: 'x', status }));
    const err = await failure(refreshAccessToken(endpointFor(server.url), 'rt'));
    expect(err).toMatchObject({ kind, status });
  });
});

describe('deviceSignIn', () => {
  it('signs in through the sandbox and saves the sign-in (mode 0600) with the subject and the authority url', async () => {
    const a = await testAuthority({ autoApprove: true });
    const dataDir = join(await tempDir(), 'data');
    const prompts: DeviceAuthorization[] = [];
    const now = Date.parse('2026-11-28T06:00:00Z');
    const waits: number[] = [];
    const saved = await deviceSignIn({
      endpoint: a.endpoint,
      subject: MANAGER,
      dataDir,
      now: () => now,
      onPrompt: (d) => prompts.push(d),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatchObject({ user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/), verification_uri: `${a.url}/sandbox/device` });
    expect(waits).toEqual([5_000]);
    expect(saved).toEqual({
      authority_url: a.url,
      client_id: 'raqib',
      subject: MANAGER,
      refresh_token: expect.any(String),
      obtained_at: '2026-11-28T06:00:00.000Z',
    });

    const file = join(dataDir, SIGN_IN_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(saved);
    expect(await readSignIn(dataDir)).toEqual(saved);
    // the saved refresh token is the real thing
    expect((await refreshAccessToken(a.endpoint, saved.refresh_token)).token_type).toBe('Bearer');
  });

  it('saves nothing when the sign-in is refused', async () => {
    const a = await testAuthority({ autoApprove: false });
    const dataDir = await tempDir();
    let userCode = '';
    const err = await failure(
      deviceSignIn({
        endpoint: a.endpoint,
        subject: MANAGER,
        dataDir,
        onPrompt: (d) => (userCode = d.user_code),
        sleep: async () => {
          a.clock.now += 5_000;
          await a.control('device/deny', { user_code: userCode });
        },
      }),
    );
    expect(err.message).toBe('the sign-in was declined');
    expect(await readSignIn(dataDir)).toBeUndefined();
  });
});
