/**
 * A Clock whose time moves only when a test says so. Timers fire in due order inside
 * `advance`, with pending promise callbacks run between them, so async code scheduled by
 * a timer settles before the next timer fires.
 */
import type { Clock } from '../../agent/clock.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private mono = 0;
  private wall: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(wallStart = Date.UTC(2026, 10, 28, 9, 0, 0)) {
    this.wall = wallStart;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, due: this.mono + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      if (next.due > this.mono) this.jump(next.due - this.mono);
      next.fn();
    }
    this.jump(end - this.mono);
    await settle();
  }

  /** Move time without firing timers, as when the event loop is blocked or the VM paused. */
  jump(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
