/**
 * requestAuditor: the one path from a request (RequestEvent) to its audit line, shared by the
 * agent and the CLI.
 */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_FILE, AuditLog, auditRecord, requestAuditor } from '../../agent/authority/audit.js';
import { HttpAuthorityClient } from '../../agent/authority/client.js';
import { tempDir } from '../helpers/tmp.js';
import { teamBody } from '../sandbox/helpers.js';
import { log, MANAGER, onCleanup, signedIn } from './helpers.js';

const AT = Date.parse('2026-11-28T06:30:00Z');

async function lines(dir: string): Promise<Record<string, unknown>[]> {
  const text = await fsp.readFile(join(dir, AUDIT_FILE), 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('auditRecord', () => {
  it("writes the fields in the agent's order: at, actor, on_behalf_of, endpoint, method, idempotency_key, outcome, seconds (to the ms), error", () => {
    const line = JSON.stringify(
      auditRecord(
        { endpoint: 'create_report', method: 'POST', outcome: 503, seconds: 0.123456, idempotencyKey: 'raqib:MOH:svc:report', error: 'Unavailable' },
        { actor: () => MANAGER, onBehalfOf: () => 'team_1' },
        AT,
      ),
    );
    expect(line).toBe(
      '{"at":"2026-11-28T06:30:00.000Z","actor":"manager@moh.gov.sa","on_behalf_of":"team_1","endpoint":"create_report","method":"POST",' +
        '"idempotency_key":"raqib:MOH:svc:report","outcome":503,"seconds":0.123,"error":"Unavailable"}',
    );
  });

  it("leaves out who and the key when there are none, and takes the actor the answer named (userinfo) over the listener's", () => {
    const who = { actor: () => undefined, onBehalfOf: () => undefined };
    expect(JSON.stringify(auditRecord({ endpoint: 'oauth_device_token', method: 'POST', outcome: 'network', seconds: 1 }, who, AT))).toBe(
      '{"at":"2026-11-28T06:30:00.000Z","endpoint":"oauth_device_token","method":"POST","outcome":"network","seconds":1}',
    );
    const named = auditRecord(
      { endpoint: 'oauth_userinfo', method: 'GET', outcome: 200, seconds: 0, actor: 'alternate@moh.gov.sa' },
      { ...who, actor: () => MANAGER },
      AT,
    );
    expect(named.actor).toBe('alternate@moh.gov.sa');
  });
});

describe('requestAuditor', () => {
  it("appends one fsync'd line per request the client makes, readable once the log is closed", async () => {
    const a = await signedIn();
    const audit = new AuditLog(a.dataDir, log);
    let team: string | undefined;
    const onRequest = requestAuditor(audit, { actor: () => a.tokens.currentSubject, onBehalfOf: () => team }, () => AT);
    const client = new HttpAuthorityClient({ baseUrl: a.url, tokens: a.tokens, timeoutMs: 2_000, userAgent: 'raqib-test', onRequest });
    onCleanup(() => client.close());
    team = (await client.registerTeam(teamBody())).id;
    await client.findTeam('MOH');
    await audit.close();
    expect(await lines(a.dataDir)).toEqual([
      { at: '2026-11-28T06:30:00.000Z', actor: MANAGER, endpoint: 'register_team', method: 'POST', outcome: 201, seconds: expect.any(Number) },
      { at: '2026-11-28T06:30:00.000Z', actor: MANAGER, on_behalf_of: team, endpoint: 'find_team', method: 'GET', outcome: 200, seconds: expect.any(Number) },
    ]);
  });
});

describe('AuditLog', () => {
  it('makes data_dir (0700) when nothing made it yet, so the first request of raqib login is audited', async () => {
    const dataDir = join(await tempDir(), 'data');
    const audit = new AuditLog(dataDir, log);
    await audit.append({ at: new Date(AT).toISOString(), endpoint: 'oauth_device_authorization', method: 'POST', outcome: 200, seconds: 0.01 });
    await audit.close();
    expect(await lines(dataDir)).toHaveLength(1);
    expect((await fsp.stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await fsp.stat(join(dataDir, AUDIT_FILE))).mode & 0o777).toBe(0o600);
  });
});
