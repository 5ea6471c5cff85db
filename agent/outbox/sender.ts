/**
 * Sends one report call. Its body is built at the first attempt from the facts frozen when the
 * call was decided — now that the filer (the signed-in manager or alternate) and the registered
 * team are known — then written durably into the entry, and only then sent; every retry sends
 * the same body.
 */
import type { AuthorityApi } from '../authority/client.js';
import type { FinalReportBody, ReportBody, UpdateBody } from '../authority/contract.js';
import { AuthorityError } from '../authority/errors.js';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../store/types.js';
import { filerFor } from '../team/filer.js';
import { bodyFor } from '../wording/facts.js';
import { NotReady, type Outbox } from './outbox.js';
import type { OutboxEntry } from './types.js';

export interface SenderOptions {
  config: () => Config;
  store: StateStore;
  ledger: Ledger;
  api: AuthorityApi;
  log: Logger;
  /** The email of the member the agent is signed in as, as the authority says; the configured manager in drafts mode. */
  subject(): Promise<string | undefined>;
  /** The crisis team's id at the authority, once registered. */
  teamId(): string | undefined;
  /** The outbox it sends for: its filing refused for good (then updates cannot go either), and where bodies are kept. */
  outbox: Pick<Outbox, 'refused' | 'setBody'>;
}

export class ReportSender {
  constructor(private readonly opts: SenderOptions) {}

  async send(entry: OutboxEntry): Promise<unknown> {
    const rec = entry.reportKey ? this.opts.ledger.get(entry.reportKey) : undefined;
    if (!rec) {
      this.opts.log.warn({ seq: entry.seq, report: entry.reportKey }, 'outbox entry for an unknown report; dropping it');
      return undefined;
    }
    if (entry.op !== 'create_report' && !rec.reportId) {
      const refused = this.opts.outbox.refused(rec.key);
      // Its report will never be filed by raqib: waiting forever would only hide that.
      if (refused)
        throw new AuthorityError('http', `its report was refused by the authority (dead letter #${refused.seq}); file both by hand`, { status: 424 });
      throw new NotReady('waiting for the report itself to be filed first');
    }
    const subject = await this.opts.subject();
    const signer = (entry.body as { submitted_by?: { email?: string } } | null)?.submitted_by?.email;
    if (entry.body && signer && subject && signer.toLowerCase() !== subject.toLowerCase()) {
      // Another manager or alternate signed in since the body was written: the authority would refuse
      // it (403). If the first attempt was filed after all, take that report; else file under the new name.
      if (entry.op === 'create_report') {
        const filed = await this.opts.api.findReportByKey(entry.idempotencyKey);
        if (filed) return { id: filed.id, reference: filed.reference, status: filed.status };
      }
      this.opts.log.warn({ seq: entry.seq, from: signer, to: subject }, 'signed-in person changed; rewording the report in their name');
      await this.materialize(entry, null);
    }
    if (entry.body === null || entry.body === undefined) {
      // Only a raqib 0.1 entry whose incident the state file no longer holds has no facts after start.
      if (!entry.facts)
        throw new AuthorityError('http', 'written by raqib 0.1, and the incident it was to describe is no longer kept; file it by hand', { status: 422 });
      await this.materialize(entry, bodyFor(entry.facts, filerFor(this.opts.config(), this.opts.teamId(), subject)));
    }
    try {
      switch (entry.op) {
        case 'create_report':
          return await this.opts.api.createReport(entry.idempotencyKey, entry.body as ReportBody);
        case 'add_update':
          return await this.opts.api.addUpdate(rec.reportId!, entry.idempotencyKey, entry.body as UpdateBody);
        case 'final_report':
          return await this.opts.api.fileFinalReport(rec.reportId!, entry.idempotencyKey, entry.body as FinalReportBody);
        default:
          throw new Error(`not a report call: ${entry.op}`);
      }
    } catch (err) {
      const outcome = await this.recover(entry, err);
      if ('answer' in outcome) return outcome.answer;
      throw outcome.error;
    }
  }

  /** Write the body into the entry durably before it is ever sent (null forgets it). */
  private async materialize(entry: OutboxEntry, body: unknown): Promise<void> {
    const { store, outbox } = this.opts;
    outbox.setBody(entry, body);
    try {
      await store.flush();
    } catch (err) {
      // Not on disk: forget it, so nothing that was never written can be sent (it is rebuilt later).
      outbox.setBody(entry, null);
      throw new NotReady(`the state file cannot be written (${describeError(err)}); the report waits until it can`);
    }
  }

  /**
   * Some refusals are not the request's fault: a 403 on filing means the signed-in person may not
   * file (hold it until someone who may signs in); a 409 "key reused" on filing may mean the report
   * was filed under this key after all (then that report is the answer). The rest stand.
   */
  private async recover(entry: OutboxEntry, err: unknown): Promise<{ answer: unknown } | { error: unknown }> {
    if (!(err instanceof AuthorityError) || entry.op !== 'create_report') return { error: err };
    if (err.status === 403) {
      const why = err.problem?.detail ?? err.message;
      return {
        error: new AuthorityError(
          'auth',
          `the authority refused the signed-in person (${why}); sign in as the crisis team's manager or an alternate: raqib login --as <email>`,
          { status: 403 },
        ),
      };
    }
    if (err.status === 409 && err.problem?.type.endsWith('/idempotency-key-reused')) {
      const filed = await this.opts.api.findReportByKey(entry.idempotencyKey).catch(() => undefined);
      if (filed) {
        this.opts.log.warn({ seq: entry.seq, report: filed.reference }, 'the authority already holds this report under its key; taking that one');
        return { answer: { id: filed.id, reference: filed.reference, status: filed.status } };
      }
    }
    return { error: err };
  }
}
