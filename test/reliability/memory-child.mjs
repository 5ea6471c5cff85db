// Runs hostile probes in a process of its own, so its heap holds nothing but the probes' leftovers.
// Started by hostile.test.ts as `node --expose-gc memory-child.mjs input.json` with the built agent
// (dist/) in the working directory. Input: { specs: CheckSpec[], expected: string[], probes,
// warmup, concurrency }. Runs `warmup` probes round-robin over the specs, collects garbage and
// measures; runs the rest, collects and measures again. Prints one JSON line:
// { probes, mismatches, warm: { heapUsed, rss, handles }, end: { … } }.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('memory-child.mjs needs node --expose-gc\n');
  process.exit(2);
}

const dist = (path) => import(pathToFileURL(join(process.cwd(), 'dist/agent', path)).href);
const { runProbe } = await dist('probes/registry.js');
const { runBounded } = await dist('runner/bounded-probe.js');
const { systemClock } = await dist('clock.js');
const { createLogger } = await dist('log.js');

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { specs, expected, probes, warmup, concurrency } = input;
const log = createLogger({ level: 'silent' });
const inFlight = new Set();
const mismatches = [];
let next = 0;
let done = 0;

/** Runs probes number `next` … `until - 1`, `concurrency` at a time, round-robin over the specs. */
async function runUntil(until) {
  const worker = async () => {
    while (next < until) {
      const i = next++ % specs.length;
      const result = await runBounded(runProbe, specs[i], systemClock, log, inFlight);
      done++;
      if (result.code !== expected[i] && mismatches.length < 20) mismatches.push(`${specs[i].key}: ${result.code} (${result.detail}), expected ${expected[i]}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Heap after full collections, once sockets closed by the last probes are gone. */
async function measure() {
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, handles: process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length };
}

await runUntil(warmup);
const warm = await measure();
await runUntil(probes);
const end = await measure();
process.stdout.write(`${JSON.stringify({ probes: done, mismatches, warm, end })}\n`);
