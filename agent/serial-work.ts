/**
 * One stage's work, one step at a time (two steps never race on the same record), and its
 * time-driven step every so often on the injected clock. A failed step is logged and the next
 * one runs.
 */
import type { Clock } from './clock.js';
import type { Logger } from './log.js';

export class SerialWork {
  private chain: Promise<void> = Promise.resolve();
  private timer: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** What a failed step is logged as. */
    private readonly failed: string,
  ) {}

  /** Queue a step; resolves once it (and every step before it) has run. */
  run(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error({ err }, this.failed));
    return this.chain;
  }

  /** Queue `step` every `ms()` from now until stop(). */
  every(ms: () => number, step: () => Promise<void>): void {
    this.timer = this.clock.setTimer(() => {
      void this.run(step);
      this.every(ms, step);
    }, ms());
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Waits for the steps queued so far. */
  idle(): Promise<void> {
    return this.chain;
  }
}
