/**
 * Faults a drill or a test switches on through POST /sandbox/faults. They apply to /oauth and /api
 * requests only, never to /sandbox: latency before handling, then a refusal (down → 503, rate
 * limit → 429, error_rate → 503 at random), and answer_delay after handling and persisting — the
 * window in which the authority has done something the client has not heard of.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { seededRandom } from './ids.js';
import { ProblemError, problems } from './problems.js';

const MAX_DELAY_MS = 10 * 60_000;

export const faultSet = z.strictObject({
  down: z.boolean().optional(),
  error_rate: z.number().min(0).max(1).optional(),
  /** Makes error_rate reproducible: the same seed refuses the same requests. */
  seed: z.number().int().optional(),
  latency_ms: z.number().nonnegative().max(MAX_DELAY_MS).optional(),
  answer_delay_ms: z.number().nonnegative().max(MAX_DELAY_MS).optional(),
  rate_limit: z.strictObject({ retry_after_seconds: z.number().int().nonnegative() }).optional(),
  reject_reports: z.strictObject({ status: z.number().int().min(400).max(499), detail: z.string().min(1).max(2_000) }).optional(),
});
export type FaultSet = z.infer<typeof faultSet>;

export class Faults {
  private faults: FaultSet = {};
  private random: () => number;

  constructor(private readonly baseRandom: () => number) {
    this.random = baseRandom;
  }

  get current(): FaultSet {
    return structuredClone(this.faults);
  }

  /** Replaces the whole fault set. */
  set(faults: FaultSet): void {
    this.faults = structuredClone(faults);
    this.random = faults.seed === undefined ? this.baseRandom : seededRandom(faults.seed);
  }

  clear(): void {
    this.set({});
  }

  /** Waits out latency_ms, then the refusal this request gets, if any. */
  async before(signal: AbortSignal): Promise<ProblemError | undefined> {
    const f = this.faults;
    if (f.latency_ms) await sleep(f.latency_ms, undefined, { signal });
    if (f.down) return problems.unavailable('the authority is down (sandbox fault)');
    if (f.rate_limit) return problems.rateLimited(f.rate_limit.retry_after_seconds);
    if (f.error_rate !== undefined && f.error_rate > 0 && this.random() < f.error_rate) {
      return problems.unavailable('the authority failed this request (sandbox fault error_rate)');
    }
    return undefined;
  }

  /** Waits out answer_delay_ms once the request was handled (and persisted). */
  async after(signal: AbortSignal): Promise<void> {
    if (this.faults.answer_delay_ms) await sleep(this.faults.answer_delay_ms, undefined, { signal });
  }

  /** The refusal POST /api/v1/reports gets under reject_reports. */
  rejectReport(): ProblemError | undefined {
    const r = this.faults.reject_reports;
    return r && new ProblemError(r.status, 'report-rejected', 'Report rejected', r.detail);
  }
}
