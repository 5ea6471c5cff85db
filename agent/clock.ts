/**
 * Time, injected: wall-clock for what people read (observedAt, incident times) and a monotonic
 * clock for scheduling, so a wall-clock jump (NTP step) never bunches or skips probe runs.
 */
export interface Clock {
  /** Wall-clock epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin. */
  monotonic(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Lets the process exit while `handle` (from any Clock's setTimer) is pending, for timers that keep
 * watch rather than do work (the data_dir lock's heartbeat). A handle that cannot be unref'd (a
 * manual clock's) is left as it is.
 */
export function unrefTimer(handle: unknown): void {
  (handle as { unref?: () => void } | null | undefined)?.unref?.();
}
