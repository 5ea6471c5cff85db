import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { Scheduler, type RunInfo, type SkipReason } from '../../agent/schedule/scheduler.js';
import { phaseOffset } from '../../agent/schedule/spread.js';
import { ManualClock } from '../helpers/manual-clock.js';

const log = createLogger({ level: 'silent' });

/** A scheduler on a manual clock whose runs each take `runMs` of manual time. */
function setup(opts: { runMs?: number | ((key: string) => number); maxConcurrency?: number; coalesceMs?: number } = {}) {
  const clock = new ManualClock();
  const runs: { key: string; info: RunInfo; at: number }[] = [];
  const skips: { key: string; reason: SkipReason; count: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const scheduler = new Scheduler({
    clock,
    log,
    timezone: 'Asia/Riyadh',
    maxConcurrency: opts.maxConcurrency ?? 100,
    ...(opts.coalesceMs !== undefined ? { coalesceMs: opts.coalesceMs } : {}),
    run: (key, info) => {
      runs.push({ key, info, at: clock.monotonic() });
      active++;
      maxActive = Math.max(maxActive, active);
      const ms = typeof opts.runMs === 'function' ? opts.runMs(key) : (opts.runMs ?? 0);
      return new Promise<void>((resolve) =>
        clock.setTimer(() => {
          active--;
          resolve();
        }, ms),
      );
    },
    onSkip: (key, reason, count) => skips.push({ key, reason, count }),
  });
  return { clock, scheduler, runs, skips, maxActive: () => maxActive };
}

describe('fixed-rate scheduler', () => {
  it('runs each check at offset + k × interval, however long the probe takes', async () => {
    const { clock, scheduler, runs } = setup({ runMs: 700 });
    scheduler.add({ key: 'svc/a', intervalMs: 1000 });
    scheduler.start();
    await clock.advance(10_000);
    const offset = phaseOffset('svc/a', 1000);
    expect(runs.map((r) => r.info.scheduledAt)).toEqual(Array.from({ length: 10 }, (_, k) => offset + k * 1000));
    expect(runs.every((r) => r.info.lateMs === 0)).toBe(true);
  });

  it('spreads first runs over the interval, the same way on every start', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `svc/check-${i}`);
    const offsets = keys.map((k) => phaseOffset(k, 30_000));
    expect(offsets.every((o) => o >= 0 && o < 30_000)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(190);
    const firstHalf = offsets.filter((o) => o < 15_000).length;
    expect(firstHalf).toBeGreaterThan(70);
    expect(firstHalf).toBeLessThan(130);
    expect(keys.map((k) => phaseOffset(k, 30_000))).toEqual(offsets);
  });

  it('skips and counts a slot that comes while the previous run is still going', async () => {
    const { clock, scheduler, runs, skips, maxActive } = setup({ runMs: 2500 });
    scheduler.add({ key: 'svc/slow', intervalMs: 1000 });
    scheduler.start();
    await clock.advance(phaseOffset('svc/slow', 1000) + 6_000);
    expect(maxActive()).toBe(1);
    expect(runs.length).toBe(3); // slots 0, 3, 6 run; 1, 2, 4, 5 are skipped
    expect(skips.filter((s) => s.reason === 'overlap').length).toBe(4);
  });

  it('never runs more than max_concurrency probes at once and measures the wait as lateness', async () => {
    const { clock, scheduler, runs, maxActive } = setup({ runMs: 100, maxConcurrency: 2 });
    for (let i = 0; i < 6; i++) scheduler.add({ key: `svc/c${i}`, intervalMs: 1 });
    scheduler.start();
    await clock.advance(0.5);
    await clock.advance(400);
    expect(maxActive()).toBe(2);
    const late = runs.slice(0, 6).map((r) => Math.round(r.info.lateMs));
    expect(late.filter((l) => l >= 100).length).toBeGreaterThanOrEqual(4);
  });

  it('inserts a confirming re-probe without moving the regular slots', async () => {
    const { clock, scheduler, runs } = setup();
    scheduler.add({ key: 'svc/a', intervalMs: 30_000 });
    scheduler.start();
    const offset = phaseOffset('svc/a', 30_000);
    await clock.advance(offset + 1);
    scheduler.runSoon('svc/a', 10_000);
    await clock.advance(40_000);
    expect(runs.map((r) => [r.info.scheduledAt, r.info.extra])).toEqual([
      [offset, false],
      [offset + 1 + 10_000, true],
      [offset + 30_000, false],
    ]);
  });

  it('ignores a re-probe request when the regular slot comes sooner', async () => {
    const { clock, scheduler, runs } = setup();
    scheduler.add({ key: 'svc/a', intervalMs: 10_000 });
    scheduler.start();
    await clock.advance(phaseOffset('svc/a', 10_000) + 9_000);
    scheduler.runSoon('svc/a', 5_000);
    await clock.advance(2_000);
    expect(runs.map((r) => r.info.extra)).toEqual([false, false]);
  });

  it('counts slots missed while the event loop was blocked instead of replaying them', async () => {
    const { clock, scheduler, runs, skips } = setup();
    scheduler.add({ key: 'svc/a', intervalMs: 1000 });
    scheduler.start();
    await clock.advance(phaseOffset('svc/a', 1000));
    clock.jump(5_500);
    await clock.advance(1);
    // Five slots passed while blocked: the oldest runs (late), the other four are counted as missed.
    expect(runs.length).toBe(2);
    expect(runs[1]!.info.lateMs).toBe(4_500);
    expect(skips).toEqual([{ key: 'svc/a', reason: 'missed', count: 4 }]);
  });

  it('stops running a removed check and runs one added later at its own phase', async () => {
    const { clock, scheduler, runs } = setup();
    scheduler.add({ key: 'svc/a', intervalMs: 1000 });
    scheduler.start();
    await clock.advance(2_000);
    const before = runs.length;
    scheduler.remove('svc/a');
    scheduler.add({ key: 'svc/b', intervalMs: 1000 });
    await clock.advance(3_000);
    expect(runs.slice(before).every((r) => r.key === 'svc/b')).toBe(true);
    expect(runs.slice(before).length).toBe(3);
    expect(runs.slice(before).every((r) => r.info.scheduledAt % 1000 === phaseOffset('svc/b', 1000))).toBe(true);
  });

  it('never runs a check twice at once when a reload replaces it mid-run', async () => {
    const { clock, scheduler, runs, maxActive } = setup({ runMs: 5_000 });
    scheduler.add({ key: 'svc/a', intervalMs: 10_000 });
    scheduler.start();
    await clock.advance(phaseOffset('svc/a', 10_000) + 1);
    scheduler.add({ key: 'svc/a', intervalMs: 7_000 }); // reload with a new interval while the run is in flight
    await clock.advance(20_000);
    expect(maxActive()).toBe(1);
    expect(runs.length).toBeGreaterThanOrEqual(3);
  });

  it('does not count a regular slot served by a confirming re-probe still running as skipped', async () => {
    const { clock, scheduler, skips } = setup({ runMs: 6_000 });
    scheduler.add({ key: 'svc/a', intervalMs: 10_000 });
    scheduler.start();
    const offset = phaseOffset('svc/a', 10_000);
    await clock.advance(offset + 6_000); // regular run finished
    scheduler.runSoon('svc/a', 1_000); // re-probe at offset+7 s, running until offset+13 s, over the slot at offset+10 s
    await clock.advance(8_000);
    expect(skips).toEqual([]);
  });

  it('sends cron-fired runs through the same overlap gate', async () => {
    const fires: ((wall: number) => void)[] = [];
    const clock = new ManualClock();
    const started: string[] = [];
    const skips: SkipReason[] = [];
    const scheduler = new Scheduler({
      clock,
      log,
      timezone: 'Asia/Riyadh',
      maxConcurrency: 10,
      run: (key) => {
        started.push(key);
        return new Promise<void>((resolve) => clock.setTimer(resolve, 5_000));
      },
      onSkip: (_key, reason) => skips.push(reason),
      cronTrigger: (_expr, _tz, _log, fire) => {
        fires.push(fire);
        return { stop: () => undefined };
      },
    });
    scheduler.add({ key: 'svc/cron', cron: '*/2 * * * * *' });
    scheduler.start();
    fires[0]!(clock.now());
    await clock.advance(2_000);
    fires[0]!(clock.now());
    await clock.advance(4_000);
    fires[0]!(clock.now());
    expect(started).toEqual(['svc/cron', 'svc/cron']);
    expect(skips).toEqual(['overlap']);
  });

  it('starts runs due within a few ms in one wake-up, early but never late, without moving slots', async () => {
    const { clock, scheduler, runs } = setup({ runMs: 50 });
    const keys = Array.from({ length: 300 }, (_, i) => `svc/c${i}`);
    for (const key of keys) scheduler.add({ key, intervalMs: 1000 });
    scheduler.start();
    await clock.advance(3_000);
    const wakeups = new Set(runs.map((r) => r.at));
    // 300 phases in one second are ~3 ms apart: a 10 ms window takes several per wake-up.
    expect(wakeups.size).toBeLessThan((runs.length * 2) / 3);
    expect(runs.every((r) => r.info.lateMs === 0 && r.at <= r.info.scheduledAt && r.info.scheduledAt - r.at <= 10)).toBe(true);
    // Each wake-up is on time for its first run: batching never delays a run.
    const firstOf = new Map<number, number>();
    for (const r of runs) firstOf.set(r.at, Math.min(firstOf.get(r.at) ?? Infinity, r.info.scheduledAt));
    expect([...firstOf].every(([at, first]) => at === first)).toBe(true);
    for (const key of keys) {
      const slots = runs.filter((r) => r.key === key).map((r) => r.info.scheduledAt);
      const offset = phaseOffset(key, 1000);
      expect(slots).toEqual(slots.map((_, k) => offset + k * 1000));
    }
  });

  it('wakes once per run when coalescing is off, and never starts a short-interval run more than a quarter interval early', async () => {
    const off = setup({ coalesceMs: 0 });
    for (let i = 0; i < 50; i++) off.scheduler.add({ key: `svc/c${i}`, intervalMs: 1000 });
    off.scheduler.start();
    await off.clock.advance(1_000);
    expect(off.runs.every((r) => r.at === r.info.scheduledAt)).toBe(true);

    const short = setup({ coalesceMs: 10 });
    for (let i = 0; i < 20; i++) short.scheduler.add({ key: `svc/s${i}`, intervalMs: 8 });
    short.scheduler.start();
    await short.clock.advance(200);
    expect(short.runs.length).toBeGreaterThan(0);
    expect(short.runs.every((r) => r.info.scheduledAt - r.at <= 2)).toBe(true);
    expect(short.skips).toEqual([]);
  });

  it('waits for runs in flight when stopped, then fires nothing more', async () => {
    const { clock, scheduler, runs } = setup({ runMs: 500 });
    scheduler.add({ key: 'svc/a', intervalMs: 1000 });
    scheduler.start();
    await clock.advance(phaseOffset('svc/a', 1000));
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await clock.advance(100);
    expect(stopped).toBe(false);
    await clock.advance(500);
    await stopping;
    expect(stopped).toBe(true);
    const count = runs.length;
    await clock.advance(5_000);
    expect(runs.length).toBe(count);
  });
});

describe('node-cron trigger', () => {
  it('fires a real cron schedule with seconds', async () => {
    const { createCronTrigger } = await import('../../agent/schedule/cron.js');
    const fired: number[] = [];
    const trigger = createCronTrigger('* * * * * *', 'Asia/Riyadh', log, (wall) => fired.push(wall));
    await new Promise((resolve) => setTimeout(resolve, 2300));
    await trigger.stop();
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired.every((t) => t % 1000 === 0)).toBe(true);
  });
});
