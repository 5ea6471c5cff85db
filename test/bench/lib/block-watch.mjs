// The benchmark's event-loop watch, loaded into the agent's main thread with `node --import` (the
// main run only; `--no-watch` leaves it out). Plain JavaScript so that node loads it as it is.
// Why the agent's own nodejs_eventloop_lag_max_seconds is not enough: docs/performance.md, "The
// figures and how they are measured" (it reads a block as up to 10 ms longer than it was).
//
// A 1 ms JavaScript timer keeps the longest gap between two of its ticks: a block of B ms reads
// as B to B + 1 ms, an upper bound. Not monitorEventLoopDelay at 1 ms: its reset() forgets when it
// last ticked, so a block that ended just before a read was lost (a 60 ms block inside a timer
// callback read 1.1 ms). This resets no clock.
//
// Written to the file named by RAQIB_BENCH_BLOCK_WATCH (BLOCK_WATCH_ENV in block-log.ts, which
// reads it), a line at a time, in ms of the machine's monotonic clock (process.hrtime, which the
// benchmark's process reads too):
//   B <from> <to> <max> <end>  every 100 ms: the longest gap between two 1 ms ticks that ended
//                              between <from> and <to>, and when it ended
//   G <start> <ms> <kind>      each main-thread GC pause of 1 ms or more (major, minor,
//                              incremental, weakcb)
// Cost: ~2.5% of a core when the agent is idle (1,000 short callbacks a second), less when busy.
import { openSync, writeSync } from 'node:fs';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.RAQIB_BENCH_BLOCK_WATCH;
// Workers run --import too (the agent loads its config in one): only the main thread is watched.
if (file && isMainThread) {
  const fd = openSync(file, 'a');
  // The ticks read performance.now(), which allocates no BigInt 1,000 times a second; it runs with
  // the monotonic clock, and this offset turns its times (and GC entries') into that clock's.
  const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  const stamp = (t) => (offset + t).toFixed(1);
  let failed = false;
  const write = (text) => {
    if (failed) return;
    try {
      writeSync(fd, text);
    } catch {
      failed = true; // a full disk ends the watch, never the agent it watches
    }
  };
  let tick = performance.now();
  let max = 0;
  let end = tick;
  setInterval(() => {
    const now = performance.now();
    if (now - tick > max) {
      max = now - tick;
      end = now;
    }
    tick = now;
  }, 1).unref();
  let from = performance.now();
  setInterval(() => {
    const to = performance.now();
    write(`B ${stamp(from)} ${stamp(to)} ${max.toFixed(2)} ${stamp(max > 0 ? end : to)}\n`);
    max = 0;
    from = to;
  }, 100).unref();
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    const lines = list
      .getEntries()
      .filter((e) => e.duration >= 1)
      .map((e) => `G ${stamp(e.startTime)} ${e.duration.toFixed(2)} ${kinds[e.detail?.kind] ?? 'other'}\n`);
    if (lines.length) write(lines.join(''));
  }).observe({ entryTypes: ['gc'] });
}
