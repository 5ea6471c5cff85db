import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isAuthorityError } from '../../agent/authority/errors.js';
import { deviceSignIn } from '../../agent/authority/login.js';
import { readSignIn, saveSignIn, signInPath } from '../../agent/authority/sign-in.js';
import { REFRESH_MARGIN_MS, TokenManager } from '../../agent/authority/tokens.js';
import { tempDir } from '../helpers/tmp.js';
import { log, MANAGER, testAuthority, type TestAuthority } from './helpers.js';

const REFRESH = 'POST /oauth/token';

async function setUp(options: { authorityUrl?: (url: string) => string } = {}) {
  const a = await testAuthority({ autoApprove: true });
  const dataDir = await tempDir();
  const signIn = () => deviceSignIn({ endpoint: a.endpoint, subject: MANAGER, dataDir, onPrompt: () => undefined, sleep: async () => undefined });
  await signIn();
  const clock = { now: Date.parse('2026-11-28T06:00:00Z') };
  const changes: [boolean, string][] = [];
  const tokens = new TokenManager({
    endpoint: a.endpoint,
    dataDir,
    log,
    now: () => clock.now,
    authorityUrl: options.authorityUrl ? options.authorityUrl(a.url) : a.url,
    onAuthorizedChange: (ok, reason) => changes.push([ok, reason]),
  });
  return { a, dataDir, tokens, clock, changes, signIn, refreshes: () => a.count(REFRESH, 200) };
}

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('TokenManager', () => {
  it(`refreshes ${REFRESH_MARGIN_MS / 1000} s before the access token expires, not earlier`, async () => {
    const t = await setUp();
    const afterSignIn = t.refreshes(); // the device-code exchange
    const first = await t.tokens.accessToken();
    expect(t.refreshes()).toBe(afterSignIn + 1);
    expect(t.tokens.authorized).toBe(true);

    t.clock.now += 3_600_000 - REFRESH_MARGIN_MS - 1; // the sandbox's tokens live an hour
    expect(await t.tokens.accessToken()).toBe(first);
    expect(t.refreshes()).toBe(afterSignIn + 1);

    t.clock.now += 1;
    const second = await t.tokens.accessToken();
    expect(second).not.toBe(first);
    expect(t.refreshes()).toBe(afterSignIn + 2);
  });

  it('refreshes at once after invalidate() (the authority refused the token)', async () => {
    const t = await setUp();
    const first = await t.tokens.accessToken();
    t.tokens.invalidate();
    expect(await t.tokens.accessToken()).not.toBe(first);
  });

  it('shares one refresh between concurrent callers', async () => {
    const t = await setUp();
    const before = t.refreshes();
    const got = await Promise.all(Array.from({ length: 8 }, () => t.tokens.accessToken()));
    expect(new Set(got).size).toBe(1);
    expect(t.refreshes()).toBe(before + 1);
  });

  it('shares one failing refresh too: every caller gets the auth error, one request is made, one change is told', async () => {
    const t = await setUp();
    await t.a.control('tokens/revoke', {});
    const before = t.a.count(REFRESH);
    const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(t.tokens.accessToken())));
    expect(errors.every((e) => isAuthorityError(e) && e.kind === 'auth')).toBe(true);
    expect(t.a.count(REFRESH)).toBe(before + 1);
    expect(t.changes.map(([ok]) => ok)).toEqual([false]);
  });

  it('does not count a sign-in made against another authority', async () => {
    const t = await setUp({ authorityUrl: () => 'https://authority.example.sa' });
    const before = t.a.count(REFRESH);
    const err = await rejection(t.tokens.accessToken());
    expect(isAuthorityError(err) && err.kind).toBe('auth');
    expect((err as Error).message).toMatch(/not signed in to the authority.*raqib login/);
    expect(t.a.count(REFRESH)).toBe(before); // its refresh token is never sent elsewhere
    expect(await t.tokens.subject()).toBeUndefined();
    expect(t.tokens.authorized).toBe(false);
    expect(t.changes).toEqual([
      [false, expect.stringMatching(/the saved sign-in is for http:\/\/127\.0\.0\.1:\d+, not https:\/\/authority\.example\.sa; run raqib login again/)],
    ]);
  });

  it('treats the same authority url with a trailing slash as the same authority', async () => {
    const t = await setUp({ authorityUrl: (url) => `${url}/` });
    expect(await t.tokens.accessToken()).toEqual(expect.any(String));
    expect(await t.tokens.subject()).toBe(MANAGER);
  });

  it('tells each change of the authorized state once: not again on every failed refresh, nor on a down authority', async () => {
    const t = await setUp();
    await t.tokens.accessToken();
    expect(t.changes).toEqual([[true, `signed in as ${MANAGER}`]]);

    await t.a.control('faults', { down: true }); // a passing outage is not a lost sign-in
    t.tokens.invalidate();
    const down = await rejection(t.tokens.accessToken());
    expect(isAuthorityError(down) && down.kind).toBe('http');
    expect(t.tokens.authorized).toBe(true);
    await t.a.control('faults', {}, 'DELETE');

    await t.a.control('tokens/revoke', { subject: MANAGER });
    for (let i = 0; i < 3; i++) {
      t.tokens.invalidate();
      await rejection(t.tokens.accessToken());
    }
    expect(t.changes.map(([ok]) => ok)).toEqual([true, false]);
    expect(t.changes[1]![1]).toMatch(/no longer accepts this sign-in/);

    await t.signIn(); // someone runs raqib login while the agent runs: picked up at the next refresh
    await t.tokens.accessToken();
    await t.tokens.accessToken();
    expect(t.changes.map(([ok]) => ok)).toEqual([true, false, true]);
    expect(t.tokens.authorized).toBe(true);
  });

  it('is not authorized without any sign-in file, and says so once', async () => {
    const a: TestAuthority = await testAuthority();
    const changes: boolean[] = [];
    const tokens = new TokenManager({ endpoint: a.endpoint, dataDir: await tempDir(), log, authorityUrl: a.url, onAuthorizedChange: (ok) => changes.push(ok) });
    expect(tokens.authorized).toBeUndefined();
    await rejection(tokens.accessToken());
    await rejection(tokens.accessToken());
    expect(changes).toEqual([false]);
  });

  it('ignores a sign-in file that is not a sign-in', async () => {
    const dataDir = await tempDir();
    await saveSignIn(dataDir, { authority_url: 'http://x', client_id: 'raqib', subject: MANAGER, refresh_token: 'rt', obtained_at: 'now' });
    expect(await readSignIn(dataDir)).toMatchObject({ subject: MANAGER });
    await writeFile(signInPath(dataDir), JSON.stringify({ subject: MANAGER }));
    expect(await readSignIn(dataDir)).toBeUndefined();
    await writeFile(signInPath(dataDir), '{ not json');
    expect(await readSignIn(dataDir)).toBeUndefined();
  });
});
