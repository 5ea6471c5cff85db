import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAuthorityError } from '../../agent/authority/errors.js';
import { DRAFTS_DIR, DraftsAuthority } from '../../agent/authority/drafts.js';
import { tempDir } from '../helpers/tmp.js';
import { MANAGER, finalBody, reportBody, teamBody, updateBody } from '../sandbox/helpers.js';

const STEM = 'raqib:MOH:appointments-20261128T063000Z';
const NOW = Date.parse('2026-11-28T07:00:00Z');

async function setUp() {
  const dataDir = await tempDir();
  return { dataDir, dir: join(dataDir, DRAFTS_DIR), drafts: new DraftsAuthority(dataDir, () => NOW) };
}

describe('DraftsAuthority', () => {
  it('writes a report draft (.md for people, .json as it would be sent) and answers like the authority would', async () => {
    const { dir, drafts } = await setUp();
    const body = reportBody('team_1');
    const created = await drafts.createReport(`${STEM}:report`, body);
    expect(created).toEqual({
      id: expect.stringMatching(/^draft-[0-9A-F]{10}$/),
      reference: expect.stringMatching(/^DRAFT-[0-9A-F]{10}$/),
      status: 'submitted',
    });
    expect(created.id.slice('draft-'.length)).toBe(created.reference.slice('DRAFT-'.length));

    expect((await readdir(dir)).sort()).toEqual([`${created.reference}-report.json`, `${created.reference}-report.md`]);
    expect(JSON.parse(await readFile(join(dir, `${created.reference}-report.json`), 'utf8'))).toEqual(body);
    const md = await readFile(join(dir, `${created.reference}-report.md`), 'utf8');
    expect(md).toContain(body.title.ar);
    expect(md).toContain(body.title.en);
    for (const f of await readdir(dir)) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
  });

  it('gives the same id for the same idempotency key (a retry rewrites the same draft) and another for another key', async () => {
    const { dir, drafts } = await setUp();
    const a = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    const again = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    expect(again).toEqual(a);
    expect(await readdir(dir)).toHaveLength(2);
    const other = await drafts.createReport('raqib:MOH:portal-20261129T010000Z:report', reportBody('team_1'));
    expect(other.id).not.toBe(a.id);
    // stable across restarts: derived from the key alone
    const { drafts: restarted } = await setUp();
    expect((await restarted.createReport(`${STEM}:report`, reportBody('team_1'))).id).toBe(a.id);
  });

  it('writes numbered update drafts next to their report, with stable ids', async () => {
    const { dir, drafts } = await setUp();
    const { id, reference } = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    const body = updateBody('ongoing', { impact: 'partial' });
    const first = await drafts.addUpdate(id, `${STEM}:update:1`, body);
    expect(first).toEqual({ id: `${id}-1`, received_at: new Date(NOW).toISOString(), ...body });
    expect(await drafts.addUpdate(id, `${STEM}:update:1`, body)).toEqual(first);
    const restored = updateBody('restored', { ended_at: '2026-11-28T10:28:40+03:00' });
    expect((await drafts.addUpdate(id, `${STEM}:update:2`, restored)).id).toBe(`${id}-2`);

    const files = (await readdir(dir)).sort();
    expect(files).toEqual(
      [
        `${reference}-ongoing-1.json`,
        `${reference}-ongoing-1.md`,
        `${reference}-report.json`,
        `${reference}-report.md`,
        `${reference}-restored-2.json`,
        `${reference}-restored-2.md`,
      ].sort(),
    );
    expect(JSON.parse(await readFile(join(dir, `${reference}-restored-2.json`), 'utf8'))).toEqual(restored);
    expect(await readFile(join(dir, `${reference}-ongoing-1.md`), 'utf8')).toContain(reference);
  });

  it('writes final report drafts; actions still pending leave it awaiting the final report, none close it', async () => {
    const { dir, drafts } = await setUp();
    const { id, reference } = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    expect(await drafts.fileFinalReport(id, `${STEM}:final:1`, finalBody(true))).toEqual({ status: 'awaiting_final_report' });
    expect(await drafts.fileFinalReport(id, `${STEM}:final:2`, finalBody(false))).toEqual({ status: 'closed' });
    const finals = (await readdir(dir)).filter((f) => f.includes('-final-')).sort();
    expect(finals).toEqual([`${reference}-final-1.json`, `${reference}-final-1.md`, `${reference}-final-2.json`, `${reference}-final-2.md`]);
    expect(JSON.parse(await readFile(join(dir, `${reference}-final-2.json`), 'utf8'))).toEqual(finalBody(false));
    expect(await readFile(join(dir, `${reference}-final-1.md`), 'utf8')).toContain(finalBody(true).actions_taken.ar);
  });

  it('names the incident and the draft reference for people, never the idempotency key', async () => {
    const { dir, drafts } = await setUp();
    const { id, reference } = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    await drafts.addUpdate(id, `${STEM}:restored`, updateBody('restored', { ended_at: '2026-11-28T10:28:40+03:00' }));
    await drafts.fileFinalReport(id, `${STEM}:final:1`, finalBody(false));
    for (const f of (await readdir(dir)).filter((n) => n.endsWith('.md'))) {
      const md = await readFile(join(dir, f), 'utf8');
      expect(md, f).not.toContain('raqib:MOH');
      expect(md, f).toContain('- رقم الحادثة / Incident: \u2066appointments-20261128T063000Z\u2069\n');
      expect(md, f).toContain(`- مرجع المسودة / Draft reference: \u2066${reference}\u2069\n`);
      expect(md, f).not.toContain('Authority reference');
    }
  });

  it('writes the filer with the title configured for them, else the title of their role', async () => {
    const dataDir = await tempDir();
    const members = [{ email: MANAGER.toUpperCase(), role: 'manager' as const, title: { ar: 'مديرة فريق إدارة الأزمات', en: 'Crisis Team Lead' } }];
    const titled = new DraftsAuthority(
      dataDir,
      () => NOW,
      undefined,
      () => members,
    );
    const { reference } = await titled.createReport(`${STEM}:report`, reportBody('team_1'));
    const md = await readFile(join(dataDir, DRAFTS_DIR, `${reference}-report.md`), 'utf8');
    expect(md).toContain('— مديرة فريق إدارة الأزمات\n');
    expect(md).toContain('— Crisis Team Lead\n');
    const { dir, drafts } = await setUp();
    const plain = await drafts.createReport(`${STEM}:report`, reportBody('team_1'));
    expect(await readFile(join(dir, `${plain.reference}-report.md`), 'utf8')).toContain('— مدير فريق إدارة الأزمات\n');
  });

  it('has no authority to ask about reports, knows no team, and registers one locally', async () => {
    const { drafts } = await setUp();
    const err = await drafts.getReport().catch((e: unknown) => e);
    expect(isAuthorityError(err) && err.status).toBe(501); // drafts mode runs no follow-up; nothing asks
    expect(await drafts.findTeam()).toBeUndefined();
    const team = await drafts.registerTeam(teamBody());
    expect(team).toMatchObject({ id: 'draft-team', status: 'registered', registered_at: new Date(NOW).toISOString(), entity: { code: 'MOH' } });
  });
});
