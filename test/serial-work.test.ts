import { describe, expect, it } from 'vitest';
import { createLogger } from '../agent/log.js';
import { SerialWork } from '../agent/serial-work.js';
import { ManualClock } from './helpers/manual-clock.js';

describe('SerialWork', () => {
  it('runs steps one at a time in the order queued, and goes on after a step that fails', async () => {
    const lines: string[] = [];
    const work = new SerialWork(new ManualClock(), createLogger({ level: 'error', destination: { write: (s: string) => void lines.push(s) } }), 'step failed');
    const seen: string[] = [];
    const slow = (name: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => (seen.push(name), r()), ms));
    void work.run(slow('a', 20));
    void work.run(async () => {
      throw new Error('boom');
    });
    await work.run(slow('b', 1));
    expect(seen).toEqual(['a', 'b']);
    expect(lines.some((l) => l.includes('step failed'))).toBe(true);
  });

  it('queues its time-driven step every period on the clock it is given, until stopped', async () => {
    const clock = new ManualClock();
    const work = new SerialWork(clock, createLogger({ level: 'silent' }), 'tick failed');
    let ticks = 0;
    work.every(
      () => 1_000,
      async () => void ticks++,
    );
    await clock.advance(3_500);
    await work.idle();
    expect(ticks).toBe(3);
    work.stop();
    await clock.advance(5_000);
    await work.idle();
    expect(ticks).toBe(3);
  });
});
