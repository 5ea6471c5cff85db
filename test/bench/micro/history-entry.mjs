// Heap bytes of one in-memory history entry of today's shape (agent/runner/monitor.ts
// HistoryEntry, built as Monitor.record builds it), for 10^6 entries.
//   node --expose-gc test/bench/micro/history-entry.mjs
if (!globalThis.gc) throw new Error('run with node --expose-gc');
const N = 1_000_000;
const keep = [];
const measure = (label, make) => {
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const list = new Array(N);
  for (let i = 0; i < N; i++) list[i] = make(i);
  keep.push(list);
  globalThis.gc();
  console.log(`${label}: ${((process.memoryUsage().heapUsed - before) / N).toFixed(0)} bytes per entry`);
};
const entry = (r) => ({
  status: r.status,
  code: r.code,
  observedAt: r.observedAt,
  ms: r.phases.total,
  ...(r.status === 'up' ? {} : { detail: r.detail }),
  ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
});
measure('up, http', (i) => entry({ status: 'up', code: 'OK', observedAt: Date.now() + i, phases: { total: Math.random() * 1000 }, httpStatus: 200 }));
measure('down, http, with detail', (i) =>
  entry({ status: 'down', code: 'HTTP_STATUS', observedAt: Date.now() + i, phases: { total: Math.random() * 1000 }, httpStatus: 503, detail: `got 503, expected 2xx (${i % 1000})` }),
);
// A compact ring (what docs/performance.md proposes): status+code as one byte, time as float64,
// duration as float32, HTTP status as uint16.
globalThis.gc();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const rings = [];
for (let i = 0; i < N / 100; i++) rings.push({ code: new Uint8Array(100), at: new Float64Array(100), ms: new Float32Array(100), http: new Uint16Array(100), head: 0 });
keep.push(rings);
globalThis.gc();
console.log(`typed-array ring of 100: ${((process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before) / N).toFixed(0)} bytes per entry`);
