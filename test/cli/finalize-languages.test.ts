/**
 * `raqib reports finalize` asks for the team's words in both languages and sends them as given;
 * one language is sent as typed (the report then says which language it was given in), never
 * copied into the other.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalizeBody } from '../../agent/cli/reports.js';
import { UsageError } from '../../agent/errors.js';
import { runCli } from '../helpers/agent-process.js';
import { configYaml } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

describe('finalizeBody', () => {
  it('sends both languages as {ar, en}', () => {
    expect(
      finalizeBody({
        'actions-ar': ' أُعيد تشغيل الخوادم ',
        'actions-en': 'Restarted the servers',
        'root-cause-ar': 'امتلاء القرص',
        'root-cause-en': 'Disk full',
      }),
    ).toEqual({
      actions: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' },
      root_cause: { ar: 'امتلاء القرص', en: 'Disk full' },
    });
  });

  it('takes --actions as the language it is written in beside the other language', () => {
    expect(finalizeBody({ actions: 'Restarted the servers', 'actions-ar': 'أُعيد تشغيل الخوادم' })).toEqual({
      actions: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' },
    });
    expect(finalizeBody({ actions: 'أُعيد تشغيل الخوادم', 'actions-en': 'Restarted the servers', 'root-cause': 'Disk full' })).toEqual({
      actions: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' },
      root_cause: 'Disk full',
    });
  });

  it('sends one language as given, without filling the other', () => {
    expect(finalizeBody({ 'actions-ar': 'أُعيد تشغيل الخوادم' })).toEqual({ actions: { ar: 'أُعيد تشغيل الخوادم' } });
    expect(finalizeBody({ actions: 'Restarted the servers' })).toEqual({ actions: 'Restarted the servers' });
  });

  it('refuses missing actions and two texts in one language', () => {
    expect(() => finalizeBody({ 'root-cause': 'Disk full', actions: '  ' })).toThrow(UsageError);
    expect(() => finalizeBody({ actions: 'Restarted', 'actions-en': 'Restarted the servers' })).toThrow(
      /--actions reads as English, and --actions-en gives English too; give the other language with --actions-ar/,
    );
  });
});

describe('raqib reports finalize', () => {
  it('posts both languages to the running agent', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        bodies.push({ url: req.url, body: JSON.parse(data) });
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ reference: 'DGA-2026-000001' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = await tempDir('raqib-finalize-');
      const dataDir = join(dir, 'data');
      const file = join(dir, 'raqib.yaml');
      await writeFile(file, configYaml([{ id: 'portal', checks: [{ id: 'home', type: 'http', url: 'https://portal.example.sa/' }] }], { data_dir: dataDir }));
      await mkdir(dataDir, { recursive: true });
      await writeFile(join(dataDir, 'agent.json'), JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      const r = await runCli([
        'reports',
        'finalize',
        'DGA-2026-000001',
        '--config',
        file,
        '--actions-ar',
        'أُعيد تشغيل الخوادم',
        '--actions-en',
        'Restarted the servers',
        '--root-cause',
        'Disk full',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(bodies).toEqual([
        {
          url: '/api/v1/reports/DGA-2026-000001/finalize',
          body: { actions: { ar: 'أُعيد تشغيل الخوادم', en: 'Restarted the servers' }, root_cause: 'Disk full' },
        },
      ]);
    } finally {
      server.close();
    }
  });
});
