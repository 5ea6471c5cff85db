/**
 * "drafts" mode: instead of calling an API, each report, update and final report is written to
 * data_dir/drafts as a bilingual document for a crisis team member to paste into the authority's
 * portal, plus its JSON. Everything upstream (detection, outbox, lifecycle) runs unchanged, so an
 * entity can adopt raqib before any API exists and switch to live by changing one line. A draft
 * names the incident and the draft's reference, never the idempotency key it was asked under, and
 * the filer with the title configured for them.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AuthorityApi } from './client.js';
import type { Bilingual, CrisisTeam, CrisisTeamBody, FinalReportBody, Report, ReportBody, ReportCreated, ReportUpdate, UpdateBody } from './contract.js';
import { AuthorityError } from './errors.js';
import { recordKeyOf, renderDraft, type DraftMeta } from '../wording/draft.js';
import { memberTitle } from '../wording/templates-draft.js';
import { realFs, writeFileDurably, type StoreFs } from '../store/durable-file.js';

export const DRAFTS_DIR = 'drafts';

/** What a draft needs of a crisis-team member: who they are and the title they go by. */
export interface DraftMember {
  email: string;
  role: 'manager' | 'alternate' | 'member';
  title?: Bilingual | undefined;
}

export class DraftsAuthority implements AuthorityApi {
  private readonly dir: string;

  /** `members`: the configured crisis team, read at each draft so a reload's titles are used. */
  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
    private readonly fs: StoreFs = realFs,
    private readonly members: () => readonly DraftMember[] = () => [],
  ) {
    this.dir = join(dataDir, DRAFTS_DIR);
  }

  private async write(name: string, kind: 'report' | 'update' | 'final', body: unknown, key: string, draftReference: string): Promise<void> {
    const meta: DraftMeta = { draftReference };
    const incidentId = recordKeyOf(key);
    if (incidentId) meta.incidentId = incidentId;
    const email = (body as Partial<ReportBody>).submitted_by?.email?.toLowerCase();
    const member = email ? this.members().find((m) => m.email.toLowerCase() === email) : undefined;
    if (member) meta.submitterTitle = memberTitle(member);
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileDurably(this.fs, join(this.dir, `${name}.md`), renderDraft(kind, body as never, meta));
    await writeFileDurably(this.fs, join(this.dir, `${name}.json`), JSON.stringify(body, null, 2));
  }

  private static idFor(key: string): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 10).toUpperCase();
  }

  async createReport(key: string, body: ReportBody): Promise<ReportCreated> {
    const id = DraftsAuthority.idFor(key);
    const reference = `DRAFT-${id}`;
    await this.write(`${reference}-report`, 'report', body, key, reference);
    return { id: `draft-${id}`, reference, status: 'submitted' };
  }

  async addUpdate(reportId: string, key: string, body: UpdateBody): Promise<ReportUpdate> {
    const reference = `DRAFT-${reportId.replace(/^draft-/, '')}`;
    const n = key.slice(key.lastIndexOf(':') + 1);
    await this.write(`${reference}-${body.status}-${n}`, 'update', body, key, reference);
    return { id: `${reportId}-${n}`, received_at: new Date(this.now()).toISOString(), ...body };
  }

  async fileFinalReport(reportId: string, key: string, body: FinalReportBody): Promise<Pick<Report, 'status'>> {
    const reference = `DRAFT-${reportId.replace(/^draft-/, '')}`;
    await this.write(`${reference}-final-${key.slice(key.lastIndexOf(':') + 1)}`, 'final', body, key, reference);
    return { status: body.actions_pending ? 'awaiting_final_report' : 'closed' };
  }

  async getReport(): Promise<Report> {
    throw new AuthorityError('http', 'drafts mode has no authority to ask', { status: 501 });
  }

  async findReportByKey(): Promise<Report | undefined> {
    return undefined;
  }

  async findTeam(): Promise<CrisisTeam | undefined> {
    return undefined;
  }

  async registerTeam(body: CrisisTeamBody): Promise<CrisisTeam> {
    const at = new Date(this.now()).toISOString();
    return { id: 'draft-team', status: 'registered', registered_at: at, updated_at: at, ...body };
  }

  async updateTeam(_id: string, body: CrisisTeamBody): Promise<CrisisTeam> {
    return this.registerTeam(body);
  }
}
