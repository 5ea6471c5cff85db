/**
 * The audit log: one JSON line per request to the authority — what, when, on whose behalf, and
 * the outcome — appended to data_dir/audit.log and fsync'd before the next. Kept for the NCA's
 * 12-month event-log rule; never holds a token or a request body (only its idempotency key).
 */
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { realFs, type StoreFs } from '../store/durable-file.js';

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

  constructor(private readonly dataDir: string, private readonly log: Logger, private readonly fs: StoreFs = realFs) {}

  /** Append one record; resolves when it is on disk. Failures are logged, never thrown at callers. */
  append(record: AuditRecord): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        this.handle ??= await this.fs.open(join(this.dataDir, AUDIT_FILE), 'a', 0o600);
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
