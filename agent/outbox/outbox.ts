/**
 * The durable outbox: every outbound call is written to the state file (and fsync'd) before it is
 * first sent, and leaves the outbox only when the far side has answered. A crash at any moment
 * therefore means "send again under the same idempotency key", which the authority answers with
 * the original result: exactly one report per incident.
 *
 * Lanes keep order (an update never overtakes its report); lanes run side by side. Failures that
 * can heal are retried with capped, jittered backoff that honours Retry-After; a refused sign-in
 * holds the lane without counting an attempt; anything else the far side refuses becomes a dead
 * letter — kept, counted, logged and told to the team, never dropped.
 */
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StateData, StateStore } from '../store/types.js';
import { flushUntilDurable } from '../store/until-durable.js';
import { isAuthorityError } from '../authority/errors.js';
import type { OutboxEntry } from './types.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';

/** The outbox's entries in a state read from disk (the CLI's view when no agent runs): pending and dead. */
export function entriesIn(data: Pick<StateData, 'outbox'>): readonly OutboxEntry[] {
  return data.outbox;
}

/** Wait while a lane cannot be sent: not signed in, or its report is not filed yet. */
export const HOLD_MS = 30_000;
/** Lanes sent at the same time. */
export const LANES_IN_FLIGHT = 4;
/** The longest delay a Node timer holds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Sends one entry; resolves with the answer, or throws (AuthorityError to be classified). */
export type EntrySender = (entry: OutboxEntry) => Promise<unknown>;

/** Thrown by a sender when the entry cannot go yet (e.g. its report has no authority id). */
export class NotReady extends Error {
  override name = 'NotReady';
}

/**
 * Thrown by a sender when the far side refused the entry for good in a protocol other than HTTP (an
 * SMTP 5xx reply): a dead letter at once. `status` is that protocol's reply code.
 */
export class Refused extends Error {
  override name = 'Refused';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the next stage hears of a delivery. Hooks only pass news on; they never call back in. */
export interface OutboxHooks {
  onSent?(entry: OutboxEntry, answer: unknown): void;
  onDead?(entry: OutboxEntry): void;
  onAttemptFailed?(entry: OutboxEntry, err: unknown): void;
}

export interface OutboxOptions {
  store: StateStore;
  clock: Clock;
  log: Logger;
  send: EntrySender;
  retry?: RetryPolicy;
  random?: () => number;
  hooks?: OutboxHooks;
  /**
   * The entries of the state file's outbox this instance delivers (default: all). The reports to
   * the authority and the team's notifications are two instances over one list, each with its
   * own sender and lanes in flight, so a hanging chat webhook never delays a report.
   */
  owns?: (entry: OutboxEntry) => boolean;
}

export type NewEntry = Pick<OutboxEntry, 'lane' | 'op' | 'idempotencyKey' | 'body' | 'summary'> & Partial<Pick<OutboxEntry, 'reportKey' | 'channel' | 'facts'>>;

export class Outbox {
  private readonly inFlight = new Set<string>();
  /** Entries in memory whose write has not been confirmed yet: never sent until it is. */
  private readonly unflushed = new Set<number>();
  private timer: unknown;
  private running = false;
  private readonly log: Logger;

  constructor(private readonly opts: OutboxOptions) {
    this.log = opts.log.child({ module: 'outbox' });
  }

  private mine(): OutboxEntry[] {
    const owns = this.opts.owns;
    return owns ? this.opts.store.data.outbox.filter(owns) : this.opts.store.data.outbox;
  }

  /** Entries still to deliver (oldest first). */
  pending(): OutboxEntry[] {
    return this.mine().filter((e) => !e.dead);
  }

  dead(): OutboxEntry[] {
    return this.mine().filter((e) => e.dead);
  }

  /** Every entry, pending or dead, of one report. */
  entriesFor(reportKey: string): OutboxEntry[] {
    return this.mine().filter((e) => e.reportKey === reportKey);
  }

  /** The dead letter of a report the authority refused to take, if it did (not one left with another authority). */
  refused(reportKey: string): OutboxEntry | undefined {
    return this.mine().find((e) => e.reportKey === reportKey && e.op === 'create_report' && e.dead && !e.dead.abandoned);
  }

  /** The report's filing, while it is still waiting to be answered. */
  waitingToFile(reportKey: string): OutboxEntry | undefined {
    return this.mine().find((e) => e.reportKey === reportKey && e.op === 'create_report' && !e.dead);
  }

  /** Pending entries a person no longer wants sent: their report is handled by hand. */
  dropPending(reportKey: string): void {
    this.opts.store.update(
      (d) => (d.outbox = d.outbox.filter((e) => e.reportKey !== reportKey || e.dead !== undefined || (this.opts.owns !== undefined && !this.opts.owns(e)))),
    );
  }

  /**
   * Every pending entry becomes a dead letter that says why: they were made for another authority.
   * Such a letter is kept for people to see; it is never sent again and says nothing of the reports
   * filed afresh with the new authority.
   */
  abandon(reason: string): number {
    const now = this.opts.clock.now();
    const pending = this.pending();
    this.opts.store.update(() => {
      for (const e of pending) e.dead = { at: now, reason, abandoned: true };
    });
    return pending.length;
  }

  /** Entries written by raqib 0.1 (a build spec instead of facts), pending or dead. */
  withoutFacts(): OutboxEntry[] {
    return this.mine().filter((e) => e.build !== undefined && e.facts === undefined);
  }

  /** Give an entry written without its facts the facts it says (upgrading a raqib 0.1 entry). */
  setFacts(entry: OutboxEntry, facts: OutboxEntry['facts']): void {
    this.opts.store.update(() => {
      entry.facts = facts;
      delete entry.build;
    });
  }

  /** The sender's body for an entry, in memory until the next durable write (null forgets it). */
  setBody(entry: OutboxEntry, body: unknown): void {
    this.opts.store.update(() => (entry.body = body));
  }

  /** Age of the oldest undelivered entry, in ms (0 when none). */
  oldestAgeMs(): number {
    const oldest = this.pending()[0];
    return oldest ? Math.max(0, this.opts.clock.now() - oldest.createdAt) : 0;
  }

  /**
   * Add entries and write them durably; they become sendable only once the write is confirmed.
   * Resolves when they are on disk (or, if the disk fails, once a retried write has succeeded).
   */
  async enqueue(entries: NewEntry[]): Promise<OutboxEntry[]> {
    const now = this.opts.clock.now();
    const made: OutboxEntry[] = [];
    this.opts.store.update((d) => {
      for (const e of entries) {
        const entry: OutboxEntry = { ...e, seq: ++d.outboxSeq, createdAt: now, attempts: 0, nextAttemptAt: now };
        d.outbox.push(entry);
        made.push(entry);
        this.unflushed.add(entry.seq);
      }
    });
    for (const e of made) this.log.info({ seq: e.seq, lane: e.lane, op: e.op, summary: e.summary }, 'queued');
    await this.confirmDurable();
    this.pump();
    return made;
  }

  private async confirmDurable(): Promise<void> {
    const waiting = [...this.unflushed];
    await flushUntilDurable(this.opts.store, this.opts.clock, (err) =>
      this.log.error({ err: describeError(err), entries: waiting.length }, 'outbox entries not durable yet; holding them until the state file can be written'),
    );
    for (const seq of waiting) this.unflushed.delete(seq);
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /**
   * A person fixed what made the far side refuse an entry (e.g. the signer) and wants it sent again:
   * it becomes pending with a fresh attempt count. Its body is rebuilt at the next attempt if it was
   * never accepted (a refused body was never filed, so rewording cannot duplicate anything).
   */
  retryDead(seq: number): OutboxEntry | undefined {
    const entry = this.mine().find((e) => e.seq === seq && e.dead && !e.dead.abandoned);
    if (!entry) return undefined;
    this.opts.store.update(() => {
      delete entry.dead;
      entry.attempts = 0;
      entry.nextAttemptAt = this.opts.clock.now();
      if (entry.op !== 'notify') entry.body = null;
    });
    this.log.warn({ seq, summary: entry.summary }, "dead letter sent again at a person's request");
    this.pump();
    return entry;
  }

  /** A person handled a dead letter by hand (filed it in the portal): it leaves the outbox. */
  dismissDead(seq: number): OutboxEntry | undefined {
    const entry = this.mine().find((e) => e.seq === seq && e.dead);
    if (!entry) return undefined;
    this.opts.store.update((d) => (d.outbox = d.outbox.filter((e) => e !== entry)));
    this.log.warn({ seq, summary: entry.summary, reason: entry.dead?.reason }, 'dead letter dismissed by a person');
    return entry;
  }

  /** Retry every waiting entry now (after a sign-in, or when told the authority is back). */
  nudge(): void {
    const now = this.opts.clock.now();
    const pending = this.pending();
    this.opts.store.update(() => {
      for (const e of pending) if (e.nextAttemptAt > now) e.nextAttemptAt = now;
    });
    this.pump();
  }

  private pump(): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    const now = this.opts.clock.now();
    const heads = new Map<string, OutboxEntry>();
    for (const e of this.mine()) if (!e.dead && !heads.has(e.lane)) heads.set(e.lane, e);
    for (const [lane, e] of heads) if (this.unflushed.has(e.seq)) heads.delete(lane);
    let next = Infinity;
    for (const [lane, entry] of heads) {
      if (this.inFlight.has(lane)) continue;
      if (entry.nextAttemptAt > now) {
        next = Math.min(next, entry.nextAttemptAt);
        continue;
      }
      if (this.inFlight.size >= LANES_IN_FLIGHT) break;
      this.inFlight.add(lane);
      void this.attempt(entry).finally(() => {
        this.inFlight.delete(lane);
        this.pump();
      });
    }
    // Capped: setTimeout turns a delay over 2^31-1 ms (a Retry-After of weeks) into 1 ms, which would spin.
    if (next !== Infinity) this.timer = this.opts.clock.setTimer(() => this.pump(), Math.min(next - now, MAX_TIMER_MS));
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    let answer: unknown;
    try {
      answer = await this.opts.send(entry);
    } catch (err) {
      this.failed(entry, err);
      return;
    }
    this.opts.store.update((d) => {
      d.outbox = d.outbox.filter((e) => e !== entry);
    });
    this.log.info({ seq: entry.seq, lane: entry.lane, op: entry.op, summary: entry.summary, attempts: entry.attempts + 1 }, 'delivered');
    this.opts.hooks?.onSent?.(entry, answer);
  }

  private failed(entry: OutboxEntry, err: unknown): void {
    const now = this.opts.clock.now();
    const reason = describeError(err);
    if (err instanceof NotReady || (isAuthorityError(err) && err.kind === 'auth')) {
      this.opts.store.update(() => {
        entry.lastError = reason;
        entry.nextAttemptAt = now + HOLD_MS;
      });
      this.log.warn({ seq: entry.seq, summary: entry.summary, reason }, 'held');
      return;
    }
    const retryable = err instanceof Refused ? false : !isAuthorityError(err) || err.retryable;
    const status = isAuthorityError(err) || err instanceof Refused ? err.status : undefined;
    this.opts.store.update(() => {
      entry.attempts++;
      entry.lastError = reason;
      if (retryable) {
        const retryAfter = isAuthorityError(err) ? err.retryAfterMs : undefined;
        entry.nextAttemptAt = now + retryDelay(entry.attempts, this.opts.retry ?? DEFAULT_RETRY, (this.opts.random ?? Math.random)(), retryAfter);
      } else {
        entry.dead = { at: now, reason, ...(status !== undefined ? { status } : {}) };
      }
    });
    this.opts.hooks?.onAttemptFailed?.(entry, err);
    if (entry.dead) {
      this.log.error(
        { seq: entry.seq, lane: entry.lane, op: entry.op, summary: entry.summary, status: entry.dead.status, reason },
        'dead letter: the far side refused this for good',
      );
      this.opts.hooks?.onDead?.(entry);
    } else {
      this.log.warn(
        { seq: entry.seq, summary: entry.summary, attempts: entry.attempts, retryInMs: entry.nextAttemptAt - now, reason },
        'delivery failed; will retry',
      );
    }
  }
}
