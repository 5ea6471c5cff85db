/**
 * Keep flushing until everything changed so far is on disk. Used where something must not go on
 * before it is durable (an incident before anyone hears of it, an outbox entry before it is sent):
 * a failing disk then holds that work back, with one error logged, until a write succeeds.
 */
import type { Clock } from '../clock.js';
import type { StateStore } from './types.js';

/** Waits between attempts grow by 500 ms up to 30 s, on `clock`'s timers (a test's manual clock). */
export async function flushUntilDurable(store: StateStore, clock: Pick<Clock, 'setTimer'>, onFirstFailure: (err: unknown) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.flush();
      return;
    } catch (err) {
      if (attempt === 1) onFirstFailure(err);
      await new Promise<void>((resolve) => clock.setTimer(resolve, Math.min(30_000, 500 * attempt)));
    }
  }
}
