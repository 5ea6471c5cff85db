// The benchmark's event-loop watch, loaded into the agent's process with `node --import` (the main
// run only). Plain JavaScript so that node loads it as it is, built or not.
//
// Why: the agent's nodejs_eventloop_lag_max_seconds (prom-client's monitorEventLoopDelay at a
// 10 ms resolution) is the longest gap between two ticks of a 10 ms timer, so a block of B ms
// reads as anything from B to B + 10 ms (a 40 ms spin read 42–50 ms). This watch ticks every
// 1 ms: a block reads within ~1 ms of what it was.
//
// It is a JavaScript timer, not monitorEventLoopDelay at 1 ms: that histogram's reset() forgets
// when it last ticked, so a block that ended just before a read-and-reset was lost (a 60 ms block
// inside a timer callback read 1.1 ms). This keeps the gap itself and never resets a clock.
//
// What it writes to the file named by RAQIB_BENCH_BLOCK_WATCH, a line at a time (epoch ms, so the
// benchmark can place them in its window):
//   B <from> <to> <max> <end>  every 100 ms: the longest gap between two 1 ms ticks that ended
//                              between <from> and <to>, less the 1 ms period, and when it ended
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
  const epoch = (ms) => (performance.timeOrigin + ms).toFixed(1);
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
    writeSync(fd, `B ${epoch(from)} ${epoch(to)} ${Math.max(0, max - 1).toFixed(2)} ${epoch(end)}\n`);
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
      .map((e) => `G ${epoch(e.startTime)} ${e.duration.toFixed(2)} ${kinds[e.detail?.kind] ?? 'other'}\n`);
    if (lines.length) writeSync(fd, lines.join(''));
  }).observe({ entryTypes: ['gc'] });
}
