import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { startSandbox } from '../../agent/sandbox/server.js';
import { realFs, type StoreFs } from '../../agent/store/durable-file.js';
import { tempDir } from '../helpers/tmp.js';
import { finalBody, reportBody, sandbox, teamBody, updateBody, withTeam } from './helpers.js';

const log = createLogger({ level: 'silent' });

describe('persistence', () => {
  it('keeps teams, reports, tokens, idempotency keys and the reference sequence across a restart', async () => {
    const dataFile = join(await tempDir(), 'nested', 'sandbox.json');
    const first = await withTeam({ dataFile });
    const { manager, teamId } = first;
    const filed = await first.t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reportBody(teamId) });
    await first.t.call('POST', `/api/v1/reports/${filed.body.id}/updates`, { token: manager.access_token, key: 'u-1', json: updateBody('ongoing') });
    await first.t.call('POST', `/sandbox/reports/${filed.body.id}/guidance`, { json: { text: { ar: 'تابعوا', en: 'Keep us posted' } } });
    const before = first.t.sb.state;
    await first.t.sb.close();

    const second = await sandbox({ dataFile });
    const after = second.sb.state;
    expect(after.teams).toEqual(before.teams);
    expect(after.reports).toEqual(before.reports);
    // the access token and refresh token still work
    expect((await second.call('GET', `/api/v1/reports/${filed.body.id}`, { token: manager.access_token })).body.status).toBe('ongoing');
    const refreshed = await second.call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: manager.refresh_token! } });
    expect(refreshed.status).toBe(200);
    // a retry after the restart is a replay, not a second report
    const replay = await second.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-1', json: reportBody(teamId) });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(filed.body);
    const next = await second.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'inc-2', json: reportBody(teamId) });
    expect(next.body.reference).toBe('DGA-2026-000002');
    expect((await second.call('POST', '/api/v1/crisis-teams', { token: manager.access_token, json: teamBody() })).status).toBe(409);
  });

  it('writes each change to the data file before answering', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    const { t, manager, teamId } = await withTeam({ dataFile });
    const filed = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) });
    let data = JSON.parse(await readFile(dataFile, 'utf8'));
    expect(data.reports.map((r: { id: string }) => r.id)).toEqual([filed.body.id]);
    await t.call('POST', `/api/v1/reports/${filed.body.id}/final-report`, { token: manager.access_token, key: 'f', json: finalBody(false) });
    data = JSON.parse(await readFile(dataFile, 'utf8'));
    expect(data.reports[0].status).toBe('closed');
  });

  it('has the report on disk while answer_delay_ms holds back the answer', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    const { t, manager, teamId } = await withTeam({ dataFile });
    await t.call('POST', '/sandbox/faults', { json: { answer_delay_ms: 800 } });
    let answered = false;
    const answer = t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) }).finally(() => (answered = true));
    let onDisk = 0;
    while (onDisk === 0 && !answered) {
      await new Promise((r) => setTimeout(r, 10));
      onDisk = JSON.parse(await readFile(dataFile, 'utf8')).reports.length;
    }
    expect(answered).toBe(false);
    expect(onDisk).toBe(1);
    expect((await answer).status).toBe(201);
  });

  it('never writes a usable token to the data file', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    const { manager } = await withTeam({ dataFile });
    const text = await readFile(dataFile, 'utf8');
    expect(text).not.toContain(manager.access_token);
    expect(text).not.toContain(manager.refresh_token);
  });

  it('refuses to start on a corrupt data file, naming it, and leaves it as it was', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    await writeFile(dataFile, '{"version": 1, "teams": [');
    await expect(startSandbox({ log, dataFile })).rejects.toThrow(`sandbox data file ${dataFile} is not valid JSON`);
    await writeFile(dataFile, JSON.stringify({ version: 7 }));
    await expect(startSandbox({ log, dataFile })).rejects.toMatchObject({ code: 'RAQIB_SANDBOX_DATA', message: expect.stringContaining('move') });
    expect(await readFile(dataFile, 'utf8')).toBe('{"version":7}');
  });

  it('answers 500 when the change cannot be written, and the retry is answered once the disk recovers', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    let failing = false;
    const fs: StoreFs = {
      ...realFs,
      open: (async (...args: Parameters<typeof realFs.open>) => {
        if (failing && String(args[0]).endsWith('.tmp')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return realFs.open(...args);
      }) as typeof realFs.open,
    };
    const { t, manager, teamId } = await withTeam({ dataFile, fs });
    failing = true;
    const res = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    failing = false;
    const retry = await t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'k', json: reportBody(teamId) });
    expect(retry.status).toBe(201);
    expect(JSON.parse(await readFile(dataFile, 'utf8')).reports).toHaveLength(1);
  });

  it('files once when the same request arrives many times at once, answering each with the same report', async () => {
    const dataFile = join(await tempDir(), 'sandbox.json');
    const { t, manager, teamId } = await withTeam({ dataFile });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.call('POST', '/api/v1/reports', { token: manager.access_token, key: 'storm', json: reportBody(teamId) })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(JSON.parse(await readFile(dataFile, 'utf8')).reports).toHaveLength(1);
  });
});
