/**
 * Fixed-rate scheduling of every check, on one timer and one heap.
 *
 * - The next regular slot is the previous *scheduled* slot plus the interval, so slow probes
 *   never make a check drift.
 * - A check never overlaps itself: a slot that comes while its previous run is still going
 *   (or still waiting for a concurrency slot) is skipped and counted.
 * - At most `maxConcurrency` runs go at once; the rest wait in arrival order, and the wait shows
 *   as lateness (actual start − scheduled start).
 * - `runSoon` inserts one extra run (the confirming re-probe) without moving the regular slots.
 * - Checks with a cron `schedule` are fired by node-cron and then go through the same gate.
 * - Wake-ups are shared: when the timer fires for one run, runs due within the next few
 *   milliseconds (`coalesceMs`, at most a quarter of their interval) start with it, early rather
 *   than late. A wake-up of the process costs more CPU than a probe (test/bench/micro/wakeups.mjs), and
 *   10,000 checks with their own phases would otherwise wake it every 3 ms for one probe each.
 *   Lateness stays actual start − scheduled start, clamped at 0; the slots do not move.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { createCronTrigger, type CronTrigger } from './cron.js';
import { DueHeap } from './heap.js';
import { nextAligned, phaseOffset } from './spread.js';

export interface ScheduleJob {
  key: string;
  /** Fixed-rate interval; undefined for cron jobs. */
  intervalMs?: number;
  cron?: string;
}

export interface RunInfo {
  /** Monotonic ms the run was due. */
  scheduledAt: number;
  lateMs: number;
  /** A confirming re-probe rather than a regular slot. */
  extra: boolean;
}

export type SkipReason = 'overlap' | 'missed';

export interface SchedulerOptions {
  clock: Clock;
  log: Logger;
  maxConcurrency: number;
  timezone: string;
  run(key: string, info: RunInfo): Promise<void>;
  onSkip?(key: string, reason: SkipReason, count: number): void;
  onStart?(key: string, info: RunInfo): void;
  /** Builds cron triggers; node-cron unless a test passes its own. */
  cronTrigger?: typeof createCronTrigger;
  /** Runs due within this many ms of a wake-up start in it (default 10; capped at interval/4). */
  coalesceMs?: number;
}

const DEFAULT_COALESCE_MS = 10;

interface JobState {
  job: ScheduleJob;
  regularDue: number;
  extraDue: number;
  /** How early a run of this job may start to share a wake-up. */
  early: number;
  version: number;
  cron?: CronTrigger;
}

/** setTimeout overflows above 2^31-1 ms (~24.8 days) and fires at once; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly jobs = new Map<string, JobState>();
  private readonly heap = new DueHeap();
  /** Runs waiting for a concurrency slot, in arrival order (`waitingHead` is the next one). */
  private waiting: { state: JobState; info: Omit<RunInfo, 'lateMs'> }[] = [];
  private waitingHead = 0;
  /**
   * Keys with a run going or waiting, and whether that run is an extra one. Kept per key, not per
   * job, so a reload that replaces a job while its run is in flight cannot start a second run.
   */
  private readonly busy = new Map<string, { extra: boolean }>();
  private ticking = false;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: unknown;
  private timerDue = Infinity;
  private anchor = 0;
  private running = false;
  private active = 0;

  constructor(private readonly opts: SchedulerOptions) {}

  get size(): number {
    return this.jobs.size;
  }

  get activeRuns(): number {
    return this.active;
  }

  set maxConcurrency(n: number) {
    this.opts.maxConcurrency = n;
    this.drainWaiting();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor = this.opts.clock.monotonic();
    for (const state of this.jobs.values()) this.arm(state);
    this.armTimer();
  }

  add(job: ScheduleJob): void {
    this.remove(job.key);
    const coalesce = this.opts.coalesceMs ?? DEFAULT_COALESCE_MS;
    const early = job.intervalMs === undefined ? 0 : Math.max(0, Math.min(coalesce, job.intervalMs / 4));
    const state: JobState = { job, regularDue: Infinity, extraDue: Infinity, early, version: 0 };
    this.jobs.set(job.key, state);
    if (this.running) {
      this.arm(state);
      this.armTimer();
    }
  }

  remove(key: string): void {
    const state = this.jobs.get(key);
    if (!state) return;
    state.version++;
    void state.cron?.stop();
    this.jobs.delete(key);
  }

  /** One extra run after `delayMs`, unless the check is due sooner anyway. */
  runSoon(key: string, delayMs: number): void {
    const state = this.jobs.get(key);
    if (!state || !this.running) return;
    const due = this.opts.clock.monotonic() + delayMs;
    if (due >= state.extraDue || due >= state.regularDue) return;
    state.extraDue = due;
    this.push(state);
  }

  /** Stop scheduling; resolves when runs in flight have finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
    for (const state of this.jobs.values()) void state.cron?.stop();
    this.heap.clear();
    for (const w of this.waiting.slice(this.waitingHead)) this.busy.delete(w.state.job.key);
    this.waiting = [];
    this.waitingHead = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(state: JobState): void {
    const { intervalMs, cron, key } = state.job;
    if (intervalMs !== undefined) {
      state.regularDue = nextAligned(this.opts.clock.monotonic(), this.anchor, intervalMs, phaseOffset(key, intervalMs));
      this.push(state);
    } else if (cron !== undefined) {
      const make = this.opts.cronTrigger ?? createCronTrigger;
      state.cron = make(cron, this.opts.timezone, this.opts.log, (scheduledWallMs) => {
        const { clock } = this.opts;
        const scheduledAt = clock.monotonic() - Math.max(0, clock.now() - scheduledWallMs);
        if (this.jobs.get(key) === state && this.running) this.dispatch(state, { scheduledAt, extra: false });
      });
    }
  }

  private push(state: JobState): void {
    state.version++;
    const due = Math.min(state.regularDue, state.extraDue);
    if (due === Infinity) return;
    this.heap.push({ due, early: state.early, key: state.job.key, version: state.version });
    if (due < this.timerDue && !this.ticking) this.armTimer();
  }

  private armTimer(): void {
    if (!this.running) return;
    const top = this.heap.peek();
    if (!top || top.due >= this.timerDue) return;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    const delay = Math.min(MAX_TIMER_MS, top.due - this.opts.clock.monotonic());
    this.timerDue = this.opts.clock.monotonic() + delay;
    this.timer = this.opts.clock.setTimer(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.ticking = true; // jobs pushed while firing are picked up by the one armTimer below
    try {
      const now = this.opts.clock.monotonic();
      for (let top = this.heap.peek(); top && top.due - top.early <= now; top = this.heap.peek()) {
        this.heap.pop();
        const state = this.jobs.get(top.key);
        if (!state || state.version !== top.version) continue;
        this.fire(state, top.due, now);
      }
    } finally {
      this.ticking = false;
    }
    this.armTimer();
  }

  /** Start the run due at `due`; `now` may be up to `state.early` before it (a shared wake-up). */
  private fire(state: JobState, due: number, now: number): void {
    const extra = state.extraDue <= due && state.extraDue < state.regularDue;
    const horizon = now + state.early;
    if (state.extraDue <= horizon) state.extraDue = Infinity;
    const interval = state.job.intervalMs;
    if (interval !== undefined && state.regularDue <= horizon) {
      // Slots that passed while the process could not run (blocked loop, suspended VM) are counted, not replayed.
      const missed = Math.max(0, Math.floor((now - state.regularDue) / interval));
      if (missed > 0) this.opts.onSkip?.(state.job.key, 'missed', missed);
      state.regularDue += (missed + 1) * interval;
    }
    this.push(state);
    this.dispatch(state, { scheduledAt: due, extra });
  }

  private dispatch(state: JobState, info: Omit<RunInfo, 'lateMs'>): void {
    const key = state.job.key;
    const current = this.busy.get(key);
    if (current) {
      // A slot that meets a confirming re-probe still running is served by that run: not a skip.
      if (!current.extra) this.opts.onSkip?.(key, 'overlap', 1);
      return;
    }
    this.busy.set(key, { extra: info.extra });
    if (this.active < this.opts.maxConcurrency) this.begin(state, info);
    else this.waiting.push({ state, info });
  }

  private begin(state: JobState, info: Omit<RunInfo, 'lateMs'>): void {
    this.active++;
    const full: RunInfo = { scheduledAt: info.scheduledAt, extra: info.extra, lateMs: Math.max(0, this.opts.clock.monotonic() - info.scheduledAt) };
    this.opts.onStart?.(state.job.key, full);
    const run = this.opts
      .run(state.job.key, full)
      .catch((err: unknown) => this.opts.log.error({ err, check: state.job.key }, 'check run failed'))
      .finally(() => {
        this.active--;
        this.busy.delete(state.job.key);
        this.inFlight.delete(run);
        this.drainWaiting();
      });
    this.inFlight.add(run);
  }

  private drainWaiting(): void {
    while (this.running && this.active < this.opts.maxConcurrency && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++]!;
      if (this.jobs.get(next.state.job.key) !== next.state) {
        this.busy.delete(next.state.job.key);
        continue;
      }
      this.begin(next.state, next.info);
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }
}
