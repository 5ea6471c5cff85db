// Heap bytes per in-memory history result, for 10^6 results: the object-per-result shape the
// agent used to keep (HistoryEntry, built as Monitor.record built it), and the packed ring it keeps
// now (agent/runner/history.ts HistoryRing: 10,000 rings of 100), counting the rings' ArrayBuffers.
//   npm run build && node --expose-gc test/bench/micro/history-entry.mjs
import { HISTORY_SIZE, HistoryRing } from '../../../dist/agent/runner/history.js';

if (!globalThis.gc) throw new Error('run with node --expose-gc');
const N = 1_000_000;
const keep = [];
const used = () => {
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const measure = (label, make) => {
  const before = used();
  const list = new Array(N);
  for (let i = 0; i < N; i++) list[i] = make(i);
  keep.push(list);
  console.log(`${label}: ${((used() - before) / N).toFixed(0)} bytes per entry`);
};
const entry = (r) => ({
  status: r.status,
  code: r.code,
  observedAt: r.observedAt,
  ms: r.phases.total,
  ...(r.status === 'up' ? {} : { detail: r.detail }),
  ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
});
/** A duration as the probes give it (connect.ts since()): ms in 0.01 ms steps. */
const took = (ms) => Math.round(ms * 100) / 100;
const up = (i) => ({
  status: 'up',
  code: 'OK',
  detail: '200 in 12 ms',
  observedAt: Date.now() + i,
  phases: { total: took(Math.random() * 1000) },
  httpStatus: 200,
});
const down = (i) => ({
  status: 'down',
  code: 'HTTP_STATUS',
  observedAt: Date.now() + i,
  phases: { total: took(Math.random() * 1000) },
  httpStatus: 503,
  detail: `got 503, expected 2xx (${i % 1000})`,
});
const timeout = 5000;
/** A timeout repeated, as in an outage: equal details, each its own string as a probe builds it. */
const timedOut = (i) => ({
  status: 'down',
  code: 'TIMEOUT',
  observedAt: Date.now() + i,
  phases: { total: took(timeout + Math.random()) },
  detail: `no answer within ${timeout} ms`,
});
measure('object per result: up, http', (i) => entry(up(i)));
measure('object per result: down, http, with detail', (i) => entry(down(i)));

/** `results` results in each of N / per rings; bytes per result, including the rings themselves. */
const ring = (label, per, make, results = per) => {
  const rings = N / per;
  const before = used();
  const list = new Array(rings);
  for (let k = 0; k < rings; k++) list[k] = new HistoryRing();
  // Round by round, as the agent fills them: every check gets its next result in turn.
  for (let i = 0; i < results; i++) for (let k = 0; k < rings; k++) list[k].push(make(k * per + i));
  keep.push(list);
  const bytes = used() - before;
  console.log(`${label}: ${(bytes / (rings * Math.min(results, HISTORY_SIZE))).toFixed(0)} bytes per result (${(bytes / rings).toFixed(0)} B per check)`);
};
ring(`ring of ${HISTORY_SIZE}, full: up, http`, HISTORY_SIZE, up);
ring(`ring of ${HISTORY_SIZE}, full: down, http, with detail`, HISTORY_SIZE, down);
ring(`ring of ${HISTORY_SIZE}, full: down, the same detail each time (an outage)`, HISTORY_SIZE, timedOut);
ring(`ring of ${HISTORY_SIZE}, full, overwritten once: 1 in 10 down`, HISTORY_SIZE, (i) => (i % 10 === 0 ? down(i) : up(i)), 2 * HISTORY_SIZE);
ring(`ring of ${HISTORY_SIZE} holding 2 results (start-up): up`, HISTORY_SIZE, up, 2);
