/**
 * The lowdb-backed StateStore: one JSON file in data_dir, written durably, with changes
 * coalesced so a burst of transitions costs one write and a quiet agent writes nothing.
 *
 * A sustained burst (the first interval, when every check leaves UNKNOWN: ~70 transitions per
 * 200 ms at 10,000 checks) would otherwise rewrite the whole state five times a second; while
 * writes keep carrying many changes, they are spaced by maxCoalesceMs instead. Only the coalesced
 * writes wait: flush() (incidents, outbox entries, report bodies) still writes at once.
 */
import { join } from 'node:path';
import { Low } from 'lowdb';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { describeError, StoreError } from '../errors.js';
import { DurableJsonFile, realFs, type StoreFs } from './durable-file.js';
import { acquireLock, type DataDirLock } from './lock.js';
import { emptyState, STATE_VERSION, upgradeState, type StateData, type StateStore } from './types.js';

export interface StoreHooks {
  onWrite?(ok: boolean, seconds: number): void;
}

export interface OpenStoreOptions {
  dataDir: string;
  log: Logger;
  fs?: StoreFs;
  /** Delay that gathers changes into one write. */
  coalesceMs?: number;
  /**
   * In a burst (the last write carried at least burstChanges changes), the time from the start of
   * one coalesced write to the next; never less than coalesceMs. Default 1 s.
   */
  maxCoalesceMs?: number;
  /** Changes in one write that make it a burst. Default 50. */
  burstChanges?: number;
  /** First delay before retrying a failed write; doubles up to 30 s. */
  retryMs?: number;
  hooks?: StoreHooks;
  /** Another agent took over data_dir (this one was paused too long): stop at once. */
  onLockLost?(reason: string): void;
  /** Times the coalescing and retry timers and the lock's heartbeat; the system's when absent. */
  clock?: Clock;
}

export const STATE_FILE = 'state.json';

function isStateData(v: unknown): v is StateData {
  const d = v as Partial<StateData> | null;
  return typeof d === 'object' && d !== null && d.version === STATE_VERSION && typeof d.checks === 'object' && d.checks !== null && Array.isArray(d.incidents);
}

export async function openJsonStore(options: OpenStoreOptions): Promise<JsonStore> {
  const fs = options.fs ?? realFs;
  try {
    await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StoreError('RAQIB_STORE_IO', `cannot create data_dir ${options.dataDir}: ${describeError(err)}`, err);
  }
  const lock = await acquireLock(fs, options.dataDir, { onLost: options.onLockLost, clock: options.clock });
  try {
    const adapter = new DurableJsonFile<StateData>(join(options.dataDir, STATE_FILE), isStateData, fs);
    const existing = await adapter.read();
    const db = new Low<StateData>(adapter, existing ? upgradeState(existing) : emptyState());
    if (existing) {
      // The backup is a convenience for recovering from later corruption: failing to write it
      // (a full disk) must not keep the agent from watching services.
      await adapter
        .backup(existing)
        .catch((err: unknown) => options.log.warn({ err, file: adapter.backupFile }, 'could not write the state backup; continuing without it'));
    }
    return new JsonStore(db, lock, options);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

export class JsonStore implements StateStore {
  private dirty = false;
  /** Changes since the last write began, and how many that write carried. */
  private changes = 0;
  private lastBatch = 0;
  /** clock.monotonic() at the start of the last write. */
  private lastWriteAt = -Infinity;
  private timer: unknown;
  private writing: Promise<void> | undefined;
  private failures = 0;
  private lastError: unknown;
  private closed = false;
  private readonly log: Logger;
  private readonly coalesceMs: number;
  private readonly maxCoalesceMs: number;
  private readonly burstChanges: number;
  private readonly retryMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly db: Low<StateData>,
    private readonly lock: DataDirLock,
    private readonly options: OpenStoreOptions,
  ) {
    this.log = options.log.child({ module: 'store' });
    this.coalesceMs = options.coalesceMs ?? 200;
    this.maxCoalesceMs = Math.max(this.coalesceMs, options.maxCoalesceMs ?? 1000);
    this.burstChanges = options.burstChanges ?? 50;
    this.retryMs = options.retryMs ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  get data(): StateData {
    return this.db.data;
  }

  get writable(): boolean {
    return this.failures === 0;
  }

  update(mutate: (data: StateData) => void): void {
    mutate(this.db.data);
    this.dirty = true;
    this.changes++;
    if (this.timer === undefined) this.schedule(this.coalesceDelay()); // a burst's later changes join the write already due
  }

  /** coalesceMs, or in a burst whatever is left of maxCoalesceMs since the last write began. */
  private coalesceDelay(): number {
    if (this.lastBatch < this.burstChanges) return this.coalesceMs;
    return Math.max(this.coalesceMs, this.lastWriteAt + this.maxCoalesceMs - this.clock.monotonic());
  }

  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.dirty || this.writing) {
      if (!this.writing) this.writing = this.writeOnce();
      await this.writing;
      if (this.dirty && this.failures > 0) throw this.lastError;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.cancelTimer();
      await this.lock.release();
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      if (!this.writing) this.writing = this.writeOnce();
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** One write of the current state; on failure keeps `dirty` and schedules a retry. */
  private async writeOnce(): Promise<void> {
    this.dirty = false;
    this.lastWriteAt = this.clock.monotonic();
    // The write's duration (a metric of the disk) is timed on the high-resolution timer: it
    // measures real I/O, which a test's clock does not see.
    const started = performance.now();
    this.lastBatch = this.changes;
    this.changes = 0;
    try {
      await this.db.write();
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'state write recovered');
      this.failures = 0;
      this.options.hooks?.onWrite?.(true, (performance.now() - started) / 1000);
    } catch (err) {
      this.dirty = true;
      this.failures++;
      this.lastError = new StoreError('RAQIB_STORE_IO', `cannot write state: ${describeError(err)}`, err);
      this.options.hooks?.onWrite?.(false, (performance.now() - started) / 1000);
      this.log.error({ err, failures: this.failures }, 'state write failed');
    } finally {
      this.writing = undefined;
    }
    if (this.dirty) {
      this.schedule(this.failures > 0 ? Math.min(30_000, this.retryMs * 2 ** (this.failures - 1)) : this.coalesceDelay());
    }
  }
}
