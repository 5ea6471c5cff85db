import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_FILE, AuditLog, type AuditRecord } from '../../agent/authority/audit.js';
import { HttpAuthorityClient, type RequestEvent } from '../../agent/authority/client.js';
import { readSignIn } from '../../agent/authority/sign-in.js';
import { createLogger } from '../../agent/log.js';
import type { StoreFs } from '../../agent/store/durable-file.js';
import { tempDir } from '../helpers/tmp.js';
import { reportBody, teamBody } from '../sandbox/helpers.js';
import { closedPortUrl, fixedTokens, log, onCleanup, scriptedServer, sendJson, signedIn } from './helpers.js';

const record = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  at: new Date(Date.UTC(2026, 10, 28, 6, 30, n)).toISOString(),
  actor: 'manager@moh.gov.sa',
  endpoint: 'create_report',
  method: 'POST',
  idempotency_key: `raqib:MOH:svc-${n}:report`,
  outcome: 201,
  seconds: 0.05,
  ...extra,
});

async function lines(dir: string): Promise<unknown[]> {
  const text = await fsp.readFile(join(dir, AUDIT_FILE), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

/** What the reporting runtime writes for each request event. */
function auditEvent(audit: AuditLog, actor: string) {
  return (ev: RequestEvent) =>
    void audit.append({
      at: new Date().toISOString(),
      actor,
      endpoint: ev.endpoint,
      method: ev.method,
      ...(ev.idempotencyKey ? { idempotency_key: ev.idempotencyKey } : {}),
      outcome: ev.outcome,
      seconds: ev.seconds,
      ...(ev.error ? { error: ev.error } : {}),
    });
}

describe('AuditLog', () => {
  it('appends one JSON line per record to data_dir/audit.log, mode 0600', async () => {
    const dir = await tempDir();
    const audit = new AuditLog(dir, log);
    await audit.append(record(1));
    await audit.append(record(2, { outcome: 'network', error: 'ECONNREFUSED' }));
    expect(await lines(dir)).toEqual([record(1), record(2, { outcome: 'network', error: 'ECONNREFUSED' })]);
    expect((await fsp.stat(join(dir, AUDIT_FILE))).mode & 0o777).toBe(0o600);
    await audit.close();
  });

  it('keeps every earlier line when the agent restarts and appends after them', async () => {
    const dir = await tempDir();
    const first = new AuditLog(dir, log);
    await first.append(record(1));
    await first.close();
    const second = new AuditLog(dir, log);
    await second.append(record(2));
    await second.close();
    expect(await lines(dir)).toEqual([record(1), record(2)]);
  });

  it('writes concurrent appends whole and in call order', async () => {
    const dir = await tempDir();
    const audit = new AuditLog(dir, log);
    await Promise.all(Array.from({ length: 25 }, (_, i) => audit.append(record(i, { error: 'x'.repeat(i * 100) }))));
    await audit.close();
    const got = (await lines(dir)) as AuditRecord[];
    expect(got.map((r) => r.idempotency_key)).toEqual(Array.from({ length: 25 }, (_, i) => `raqib:MOH:svc-${i}:report`));
  });

  it('logs a failed write instead of throwing at the caller, and writes again once the disk recovers', async () => {
    const dir = await tempDir();
    let fail = true;
    const fs: StoreFs = {
      ...fsp,
      open: (async (path: string, flags?: string, mode?: number) => {
        if (fail) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        return fsp.open(path, flags, mode);
      }) as StoreFs['open'],
    };
    const logged: string[] = [];
    const audit = new AuditLog(dir, createLogger({ level: 'error', destination: { write: (s: string) => void logged.push(s) } }), fs);
    await expect(audit.append(record(1))).resolves.toBeUndefined();
    expect(logged.join('')).toContain('audit log write failed');
    fail = false;
    await audit.append(record(2));
    await audit.close();
    expect(await lines(dir)).toEqual([record(2)]);
  });

  it('never holds a token: requests through the client leave keys and outcomes in the audit file, not secrets', async () => {
    const a = await signedIn();
    const audit = new AuditLog(a.dataDir, log);
    const secrets: string[] = [];
    const onRequest = auditEvent(audit, 'manager@moh.gov.sa');

    // the signed-in agent: its access tokens (before and after a refresh) and its refresh token
    const client = new HttpAuthorityClient({ baseUrl: a.url, tokens: a.tokens, timeoutMs: 2_000, userAgent: 'raqib-test', onRequest });
    onCleanup(() => client.close());
    const team = await client.registerTeam(teamBody());
    secrets.push(await a.tokens.accessToken(), (await readSignIn(a.dataDir))!.refresh_token);
    await client.createReport('raqib:MOH:svc-1:report', reportBody(team.id));
    await a.control('tokens/expire');
    await client.createReport('raqib:MOH:svc-2:report', reportBody(team.id)); // 401, refresh, 201
    secrets.push(await a.tokens.accessToken());
    await client.createReport('raqib:MOH:svc-2:report', reportBody(team.id, { impact: 'partial' })).catch(() => undefined); // 409
    await a.control('faults', { rate_limit: { retry_after_seconds: 5 } });
    await client.getReport('rpt_nope').catch(() => undefined); // 429
    await a.control('faults', {}, 'DELETE');

    // a marker token the authority does not know, one a gateway echoes back, and one that meets a closed port
    const MARKER = 'mF_9.B5f-4.1JqM-marker-secret';
    const echo = await scriptedServer((req, _body, res) =>
      sendJson(res, 403, { type: 'about:blank', title: `Forbidden: ${req.headers.authorization}`, status: 403, detail: String(req.headers.authorization) }),
    );
    for (const baseUrl of [a.url, echo.url, await closedPortUrl()]) {
      const marked = new HttpAuthorityClient({ baseUrl, tokens: fixedTokens(MARKER), timeoutMs: 2_000, userAgent: 'raqib-test', onRequest });
      await marked.createReport('raqib:MOH:svc-3:report', reportBody(team.id)).catch(() => undefined);
      await marked.close();
    }
    secrets.push(MARKER);
    await audit.close();

    const text = await fsp.readFile(join(a.dataDir, AUDIT_FILE), 'utf8');
    for (const secret of secrets) expect(text).not.toContain(secret);
    const got = (await lines(a.dataDir)) as AuditRecord[];
    expect(got.map((r) => [r.endpoint, r.idempotency_key ?? null, r.outcome])).toEqual([
      ['register_team', null, 201],
      ['create_report', 'raqib:MOH:svc-1:report', 201],
      ['create_report', 'raqib:MOH:svc-2:report', 401],
      ['create_report', 'raqib:MOH:svc-2:report', 201],
      ['create_report', 'raqib:MOH:svc-2:report', 409],
      ['get_report', null, 429],
      ['create_report', 'raqib:MOH:svc-3:report', 401],
      ['create_report', 'raqib:MOH:svc-3:report', 401],
      ['create_report', 'raqib:MOH:svc-3:report', 403],
      ['create_report', 'raqib:MOH:svc-3:report', 'network'],
    ]);
    expect(text).not.toMatch(/bearer\s+(?!\[redacted\])\S/i); // an echo shows "Bearer [redacted]" at most
    expect(text).not.toContain('"body"'); // nor a request body
  });
});
