/**
 * The audit log: one JSON line per request to the authority — what, when, on whose behalf, and
 * the outcome — appended to data_dir/audit.log and fsync'd before the next. Kept for the NCA's
 * 12-month event-log rule; never holds a token or a request body (only its idempotency key).
 * The agent and every CLI command that calls the authority write it the same way: requestAuditor.
 */
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { realFs, type StoreFs } from '../store/durable-file.js';
import type { RequestEvent } from './client.js';

export const AUDIT_FILE = 'audit.log';

export interface AuditRecord {
  at: string;
  /** Who the request was made as, and for which crisis team. */
  actor?: string;
  on_behalf_of?: string;
  endpoint: string;
  method: string;
  idempotency_key?: string;
  report_key?: string;
  outcome: number | 'network';
  seconds: number;
  error?: string;
  report_id?: string;
  reference?: string;
}

export class AuditLog {
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly fs: StoreFs = realFs,
  ) {}

  /** Append one record; resolves when it is on disk. Failures are logged, never thrown at callers. */
  append(record: AuditRecord): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        if (!this.handle) {
          // `raqib login` on a new machine audits its first request before anything made data_dir
          await this.fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
          this.handle = await this.fs.open(join(this.dataDir, AUDIT_FILE), 'a', 0o600);
        }
        await this.handle.write(`${JSON.stringify(record)}\n`);
        await this.handle.datasync();
      } catch (err) {
        this.log.error({ err, endpoint: record.endpoint }, 'audit log write failed');
      }
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** Who requests are made as and for which crisis team, read when each request ends. */
export interface AuditSubject {
  /** The person the access token belongs to (as the authority says); undefined before sign-in. */
  actor(): string | undefined;
  /** The registered crisis team's id; undefined until the authority knows it. */
  onBehalfOf(): string | undefined;
}

/** The audit line for one request: what the client told (RequestEvent), as whom, when. */
export function auditRecord(ev: RequestEvent, who: AuditSubject, at: number): AuditRecord {
  const actor = ev.actor ?? who.actor();
  return {
    at: new Date(at).toISOString(),
    ...(actor ? { actor } : {}),
    on_behalf_of: who.onBehalfOf(),
    endpoint: ev.endpoint,
    method: ev.method,
    ...(ev.idempotencyKey ? { idempotency_key: ev.idempotencyKey } : {}),
    outcome: ev.outcome,
    seconds: Math.round(ev.seconds * 1000) / 1000,
    ...(ev.error ? { error: ev.error } : {}),
  };
}

/**
 * The one audit path of the agent and the CLI: an `onRequest` listener (HttpAuthorityClient,
 * OAuthEndpoint) that appends each request's line. Appends are chained and fsync'd in order;
 * `audit.close()` waits for every line told before it.
 */
export function requestAuditor(audit: AuditLog, who: AuditSubject, now: () => number): (ev: RequestEvent) => void {
  return (ev) => void audit.append(auditRecord(ev, who, now()));
}
