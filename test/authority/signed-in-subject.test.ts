/**
 * Who signed in is who the authority says (GET /oauth/userinfo), not whom raqib asked for: the
 * device sign-in saves that person, and the TokenManager files and audits in their name.
 */
import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../agent/authority/client.js';
import { deviceSignIn } from '../../agent/authority/login.js';
import { readSignIn, saveSignIn } from '../../agent/authority/sign-in.js';
import { TokenManager } from '../../agent/authority/tokens.js';
import { tempDir } from '../helpers/tmp.js';
import { log, MANAGER, testAuthority, type TestAuthority } from './helpers.js';

const ALTERNATE = 'alternate@moh.gov.sa';
const USERINFO = 'GET /oauth/userinfo';

/**
 * Runs the device flow asking for `hint`; `approver` approves the code (sandbox control) before
 * poll number `approveBefore` (1: before the first, so no poll is pending).
 */
function signInApprovedBy(
  a: TestAuthority,
  dataDir: string,
  hint: string,
  approver: string,
  extra: Partial<Parameters<typeof deviceSignIn>[0]> = {},
  approveBefore = 1,
) {
  let userCode = '';
  let polls = 0;
  return deviceSignIn({
    endpoint: a.endpoint,
    subject: hint,
    dataDir,
    onPrompt: (d) => (userCode = d.user_code),
    sleep: async () => {
      a.clock.now += 5_000;
      if (++polls === approveBefore) await a.control('device/approve', { user_code: userCode, subject: approver });
    },
    ...extra,
  });
}

describe('deviceSignIn', () => {
  it('saves the person the authority says approved the code, not the one it asked for', async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    const saved = await signInApprovedBy(a, dataDir, MANAGER, ALTERNATE);
    expect(saved.subject).toBe(ALTERNATE);
    expect((await readSignIn(dataDir))?.subject).toBe(ALTERNATE);
    expect(a.count(USERINFO, 200)).toBe(1);
  });

  it('saves nothing when accept() refuses the person, and keeps the sign-in saved before', async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    const before = await signInApprovedBy(a, dataDir, MANAGER, MANAGER);
    const refused = await signInApprovedBy(a, dataDir, MANAGER, 'someone@nic.gov.sa', {
      accept: (subject) => {
        if (subject !== MANAGER) throw new Error(`not ${subject}`);
      },
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toBe('not someone@nic.gov.sa');
    expect(await readSignIn(dataDir)).toEqual(before);
  });

  it('tells onRequest of each OAuth request by endpoint name, with who approved on the userinfo line and no code or token', async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    const events: RequestEvent[] = [];
    const saved = await signInApprovedBy(a, dataDir, MANAGER, ALTERNATE, { endpoint: { ...a.endpoint, onRequest: (e) => events.push(e) } }, 2);
    expect(events.map((e) => [e.endpoint, e.method, e.outcome, e.error ?? null, e.actor ?? null])).toEqual([
      ['oauth_device_authorization', 'POST', 200, null, null],
      ['oauth_device_token', 'POST', 400, 'authorization_pending', null],
      ['oauth_device_token', 'POST', 200, null, null],
      ['oauth_userinfo', 'GET', 200, null, ALTERNATE],
    ]);
    const shown = JSON.stringify(events);
    expect(shown).not.toContain(saved.refresh_token);
    expect(shown).not.toMatch(/device_code|access_token|Bearer/i);
  });
});

describe('TokenManager', () => {
  async function managerWith(a: TestAuthority, dataDir: string) {
    const changes: [boolean, string][] = [];
    const tokens = new TokenManager({
      endpoint: a.endpoint,
      dataDir,
      log,
      authorityUrl: a.url,
      now: () => a.clock.now,
      onAuthorizedChange: (ok, why) => changes.push([ok, why]),
    });
    return { tokens, changes };
  }

  it('files in the name the authority gives when the saved sign-in names someone else (a file written before userinfo)', async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    const alternate = await signInApprovedBy(a, dataDir, MANAGER, ALTERNATE);
    await saveSignIn(dataDir, { ...alternate, subject: MANAGER }); // what raqib login used to save
    const { tokens, changes } = await managerWith(a, dataDir);
    expect(await tokens.subject()).toBe(ALTERNATE);
    expect(tokens.currentSubject).toBe(ALTERNATE);
    expect(changes).toEqual([[true, `signed in as ${ALTERNATE}`]]);
  });

  it('asks the authority whose the token is once per sign-in, not at every refresh', async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    await signInApprovedBy(a, dataDir, MANAGER, MANAGER);
    const { tokens } = await managerWith(a, dataDir);
    const asked = a.count(USERINFO);
    await tokens.accessToken();
    tokens.invalidate();
    await tokens.accessToken();
    a.clock.now += 2 * 3_600_000;
    await tokens.accessToken();
    expect(a.count('POST /oauth/token', 200)).toBeGreaterThanOrEqual(3);
    expect(a.count(USERINFO)).toBe(asked + 1);
    expect(tokens.currentSubject).toBe(MANAGER);
  });

  it("takes a new raqib login at once: the next token and the subject are the new person's", async () => {
    const a = await testAuthority();
    const dataDir = await tempDir();
    await signInApprovedBy(a, dataDir, MANAGER, MANAGER);
    const { tokens } = await managerWith(a, dataDir);
    const first = await tokens.accessToken();
    expect(await tokens.subject()).toBe(MANAGER);

    await signInApprovedBy(a, dataDir, ALTERNATE, ALTERNATE); // the alternate signs in while the agent runs
    expect(await tokens.subject()).toBe(ALTERNATE);
    const second = await tokens.accessToken();
    expect(second).not.toBe(first);
    expect(tokens.currentSubject).toBe(ALTERNATE);
  });
});
