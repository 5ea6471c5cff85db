// /metrics at N checks, through the agent's own code (dist/agent: Metrics, startServer), scraped
// over a loopback HTTP socket by another process, as Prometheus would.
//
//   npm run build && node --expose-gc test/bench/micro/metrics-render.mjs 10000 20000
//   options: --scrapes 10   scrapes measured per N (after one warm-up scrape)
//            --load 0.25    keep the agent's event loop this busy with simulated probe work
//                           (short timer callbacks that also record probe results), as in a run
//            --every 300    ms between two scrapes (a Prometheus scrapes every 15 s or more)
//            --dist DIR     another build's dist/agent to measure (a copy inside the repo, e.g.
//                           .tmp/before/dist/agent, so that it resolves node_modules)
//
// Each N runs in a fresh child process (the agent side); this process is the scraper. Printed:
// - response time (GET sent → last byte, kept-alive connection), median and max;
// - longest event-loop iteration while a scrape was being served (a setImmediate ticker: the
//   longest stretch the loop could not turn, i.e. the longest block the scrape caused), with the
//   process CPU in it: on a busy machine a wall-clock stretch can be time the process did not run
//   (or GC threads that did); the most CPU in one iteration is the block the code itself causes;
// - without the socket: the time to drain renderChunks(), and the time of the two parts it had at
//   first, each whole: prom-client's registry.metrics() and the cached check lines' render();
// - pieces written and loop turns per scrape, series (sample lines), bytes;
// - JS heap used after a full GC: before and after the checks were built and had one result each,
//   the cached exposition lines alone, and the heap after the scrapes;
// - the strings that the cached lines of 1,000 checks keep alive, by kind (V8 heap snapshot
//   before and after): ropes (concatenated strings) or flat;
// - a hash of the raqib_* part of the page (deterministic values), to compare two builds' output.
//
// Runs ~10 s and two processes at a time; keep it brief on a shared machine.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const CHECKS_PER_SERVICE = 50;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return Number(v);
};

const distArg = args.indexOf('--dist');
// Another build to compare with (a copy of dist/ inside the repo, so that it finds node_modules).
const DIST = distArg >= 0 ? pathToFileURL(`${resolve(args.splice(distArg, 2)[1])}/`) : new URL('../../../dist/agent/', import.meta.url);

if (args[0] === 'agent') await agent(Number(args[1]), Number(args[2]));
else if (args[0] === 'ropes') await ropes(Number(args[1]));
else await main();

async function main() {
  const scrapes = opt('scrapes', 10);
  const load = opt('load', 0);
  const every = opt('every', 300);
  const sizes = args.length ? args.map(Number) : [10_000];
  console.log(`node ${process.version}; ${DIST.pathname}; ${scrapes} scrapes after 1 warm-up, ${every} ms apart; simulated probe load ${load}`);
  {
    const child = fork(new URL(import.meta.url).pathname, ['ropes', '1000', '--dist', DIST.pathname], { execArgv: ['--expose-gc'] });
    const r = await new Promise((resolve) => child.once('message', resolve));
    child.kill();
    const kib = (b) => (b / 1024).toFixed(0);
    console.log(
      `strings the cached lines of 1,000 checks hold (heap snapshot diff): ${r.cons.count.toLocaleString('en')} concatenated (ropes, ${kib(r.cons.bytes)} KiB), ` +
        `${r.flat.count.toLocaleString('en')} flat (${kib(r.flat.bytes)} KiB), ${r.sliced.count} sliced`,
    );
  }
  for (const n of sizes) {
    const child = fork(new URL(import.meta.url).pathname, ['agent', String(n), String(load), '--dist', DIST.pathname], { execArgv: ['--expose-gc'] });
    const ready = await new Promise((resolve) => child.once('message', resolve));
    const ask = (what) =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send(what);
      });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const times = [];
    let page;
    for (let i = 0; i <= scrapes; i++) {
      await new Promise((r) => setTimeout(r, every));
      const { ms, body } = await scrape(ready.port, keepAlive, i === 0);
      if (i === 0) page = body;
      else times.push(ms);
    }
    const stats = await ask('stats');
    child.kill();
    keepAlive.destroy();
    const text = page.toString('utf8');
    const lines = text.split('\n');
    const series = lines.filter((l) => l && !l.startsWith('#')).length;
    const raqib = lines.filter((l) => /^(# (HELP|TYPE) )?raqib_/.test(l)).join('\n');
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    const sorted = [...times].sort((a, b) => a - b);
    const served = stats.scrapes.slice(1);
    const mib = (b) => (b / 1048576).toFixed(1);
    console.log(`\n${n.toLocaleString('en')} checks (${n / CHECKS_PER_SERVICE} services of ${CHECKS_PER_SERVICE})`);
    console.log(`  response median / max       ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(1)} / ${sorted.at(-1).toFixed(1)} ms`);
    const worst = served.reduce((a, s) => (s.maxTurn > a.maxTurn ? s : a));
    console.log(
      `  longest loop iteration      ${worst.maxTurn.toFixed(1)} ms wall (${worst.maxTurnCpu.toFixed(1)} ms of process CPU in it); median over scrapes ${median(served.map((s) => s.maxTurn)).toFixed(1)} ms; ` +
        `most CPU in one iteration ${Math.max(...served.map((s) => s.maxCpu)).toFixed(1)} ms`,
    );
    console.log(
      `  without a socket (median)   renderChunks() drained ${stats.chunksMs.toFixed(1)} ms; prom-client's registry.metrics() ${stats.registryMs.toFixed(1)} ms, checks.render() ${stats.checksMs.toFixed(1)} ms`,
    );
    console.log(`  pieces / loop turns         ${served[0].pieces} / ${median(served.map((s) => s.turns))} a scrape (median)`);
    console.log(`  series / bytes              ${series.toLocaleString('en')} / ${page.length.toLocaleString('en')} (${mib(page.length)} MiB)`);
    console.log(
      `  heap used (after full GC)   ${mib(ready.heapBase)} MiB empty → ${mib(ready.heapBuilt)} MiB with the checks (+${mib(ready.heapBuilt - ready.heapBase)} MiB, ${Math.round((ready.heapBuilt - ready.heapBase) / n)} B/check; cached check lines alone ${mib(ready.heapLines)} MiB, ${Math.round(ready.heapLines / n)} B/check) → ${mib(stats.heapAfter)} MiB after the scrapes`,
    );
    console.log(`  build (add + 1 result each) ${ready.buildMs.toFixed(0)} ms`);
    // With a simulated load the histogram's counts depend on timing: compare hashes of --load 0 runs.
    console.log(
      `  families ${families.length}; raqib_* text sha256 ${createHash('sha256').update(raqib).digest('hex').slice(0, 16)}${load ? ' (varies with --load)' : ''}`,
    );
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function scrape(port, keepAlive, keep) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const chunks = [];
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: keepAlive }, (res) => {
        res.on('data', (c) => keep && chunks.push(c));
        res.on('end', () => resolve({ ms: performance.now() - t0, body: keep ? Buffer.concat(chunks) : undefined }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Deterministic pseudo-random numbers (the page's values must not differ between two builds). */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Check i of the benchmark's mixed config (test/bench/lib/config.ts): its type and a result. */
function checkOf(i, rand) {
  const slot = i % 20;
  const kind = slot < 7 ? 'http' : slot < 13 ? 'https' : slot < 17 ? 'tcp' : slot < 19 ? 'dns' : 'tls';
  const b = ((Math.floor(i / 20) + slot) * 37) % 100;
  const ms = (lo, hi) => Math.round((lo + rand() * (hi - lo)) * 100) / 100;
  const type = kind === 'https' ? 'http' : kind;
  const phases = {};
  let status = 'up';
  let code = 'OK';
  let httpStatus;
  let tlsCertExpiry;
  let state = 'UP';
  if (type === 'http') {
    const refused = b >= 96 && b < 98;
    if (refused) {
      status = 'down';
      code = 'ECONNREFUSED';
    } else {
      phases.connect = ms(0.1, 1.5);
      if (kind === 'https') phases.tls = ms(2, 9);
      phases.ttfb = b >= 85 && b < 92 ? ms(300, 1500) : ms(0.3, 4);
      phases.transfer = ms(0, 0.5);
      httpStatus = b >= 92 && b < 96 ? 503 : 200;
      if (httpStatus === 503) ((status = 'down'), (code = 'HTTP_STATUS'));
      else if (b >= 90 && b < 92) ((status = 'degraded'), (code = 'SLOW'));
      if (kind === 'https') tlsCertExpiry = 1_790_000_000 + (i % 1000);
    }
  } else if (type === 'tcp') {
    if (b >= 90 && b < 95) ((status = 'down'), (code = 'ECONNREFUSED'));
    else phases.connect = ms(0.1, 1.5);
  } else if (type === 'dns') {
    if (b >= 90 && b < 95) ((status = 'down'), (code = 'DNS_NXDOMAIN'));
    phases.dns = b >= 85 && b < 90 ? ms(200, 210) : ms(0.2, 3);
  } else {
    phases.connect = ms(0.1, 1.5);
    phases.tls = ms(2, 9);
    tlsCertExpiry = 1_790_000_000 + (i % 1000);
  }
  phases.total = Math.round((Object.values(phases).reduce((a, x) => a + x, 0) + ms(0.05, 0.3)) * 100) / 100;
  if (status === 'down') state = 'DOWN';
  else if (status === 'degraded') state = 'DEGRADED';
  const result = {
    status,
    code,
    detail: status === 'up' ? '' : `failed: ${code}`,
    phases,
    observedAt: 1_760_000_000_000 + i,
    ...(httpStatus ? { httpStatus } : {}),
    ...(tlsCertExpiry ? { tlsCertExpiry } : {}),
  };
  return { type, result, state };
}

/** V8 string nodes in a heap snapshot of this process, by kind. */
async function strings() {
  const v8 = await import('node:v8');
  globalThis.gc();
  const chunks = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(c);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, si, width] = [fields.indexOf('type'), fields.indexOf('self_size'), fields.length];
  const kinds = { 'concatenated string': 'cons', string: 'flat', 'sliced string': 'sliced' };
  const out = { cons: { count: 0, bytes: 0 }, flat: { count: 0, bytes: 0 }, sliced: { count: 0, bytes: 0 } };
  for (let i = 0; i < snap.nodes.length; i += width) {
    const kind = kinds[types[snap.nodes[i + ti]]];
    if (kind) (out[kind].count++, (out[kind].bytes += snap.nodes[i + si]));
  }
  return out;
}

/** Which strings the cached exposition lines of n checks (one result each) keep alive. */
async function ropes(n) {
  const { CheckSeries } = await import(new URL('metrics/check-series.js', DIST).href);
  const rand = prng(7);
  const made = [];
  for (let i = 0; i < n; i++) {
    const service = `svc-${String(Math.floor(i / CHECKS_PER_SERVICE) + 1).padStart(4, '0')}`;
    const checkId = `c${String(i).padStart(5, '0')}`;
    made.push({ spec: { key: `${service}/${checkId}`, serviceId: service, checkId, type: '' }, ...checkOf(i, rand) });
  }
  const before = await strings();
  const series = new CheckSeries();
  for (const { spec, type, result, state } of made) {
    spec.type = type;
    series.add(spec, 'UNKNOWN');
    series.observe(spec, result);
    series.setState(spec, state);
  }
  globalThis.keep = series; // alive through the snapshot
  const after = await strings();
  const diff = (k) => ({ count: after[k].count - before[k].count, bytes: after[k].bytes - before[k].bytes });
  process.send({ cons: diff('cons'), flat: diff('flat'), sliced: diff('sliced') });
}

async function agent(n, load) {
  const { Registry } = await import('prom-client');
  const { Metrics } = await import(new URL('metrics/metrics.js', DIST).href);
  const { startServer } = await import(new URL('server/server.js', DIST).href);
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const registry = new Registry();
  const metrics = new Metrics(registry, { version: 'bench', agent: 'bench' });
  const heapBase = heap();
  const rand = prng(42);
  const specs = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const service = `svc-${String(Math.floor(i / CHECKS_PER_SERVICE) + 1).padStart(4, '0')}`;
    if (i % CHECKS_PER_SERVICE === 0) metrics.addService(service, 'UP', 0, 99.5);
    const { type, result, state } = checkOf(i, rand);
    const checkId = `c${String(i).padStart(5, '0')}`;
    const spec = { key: `${service}/${checkId}`, serviceId: service, checkId, type };
    metrics.addCheck(spec, 'UNKNOWN');
    metrics.observeProbe(spec, result);
    metrics.setCheckState(spec, state);
    specs.push({ spec, result });
  }
  const buildMs = performance.now() - t0;
  const heapBuilt = heap();
  // The cached lines alone: the same checks in a second CheckSeries, measured on their own.
  const { CheckSeries } = await import(new URL('metrics/check-series.js', DIST).href);
  const before = heap();
  const extra = new CheckSeries();
  for (const { spec, result } of specs) {
    extra.add(spec, 'UNKNOWN');
    extra.observe(spec, result);
  }
  globalThis.keep = extra; // alive through the GCs of heap(), not only as far as V8 sees it used
  const heapLines = heap() - before;
  globalThis.keep = undefined; // so that the heap after the scrapes compares with heapBuilt

  if (load > 0) {
    // Simulated probe work: every 2 ms, record the results of the checks due (N per 30 s) and
    // keep the CPU busy for `load` of the time, in short callbacks as probes' I/O would.
    let next = 0;
    setInterval(() => {
      const until = performance.now() + 2 * load;
      for (let k = 0; k < Math.max(1, Math.round((n / 30_000) * 2)); k++) {
        const { spec, result } = specs[next++ % specs.length];
        metrics.observeProbe(spec, result);
      }
      while (performance.now() < until);
    }, 2).unref();
  }

  const scrapes = [];
  const log = { child: () => log, info() {}, warn() {}, error: (o, m) => console.error(m, o), debug() {} };
  const server = await startServer('127.0.0.1', 0, {
    log,
    authToken: () => undefined,
    readiness: () => ({ ready: true, reasons: [] }),
    api: () => undefined,
    metrics: () => {
      const s = { maxTurn: 0, maxTurnCpu: 0, maxCpu: 0, pieces: 0, turns: 0 };
      scrapes.push(s);
      let ticking = true;
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      const tick = () => {
        if (!ticking) return; // the scrape is over: what runs next (the GCs of 'stats') is not its
        const now = performance.now();
        const cpu = process.cpuUsage(lastCpu);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        if (now - last > s.maxTurn) ((s.maxTurn = now - last), (s.maxTurnCpu = cpuMs));
        s.maxCpu = Math.max(s.maxCpu, cpuMs);
        s.turns++;
        last = now;
        lastCpu = process.cpuUsage();
        setImmediate(tick);
      };
      setImmediate(tick);
      const inner = metrics.renderChunks();
      async function* timed() {
        try {
          for await (const piece of inner) {
            s.pieces++;
            yield piece;
          }
        } finally {
          tick(); // the stretch from the last turn to the end
          ticking = false;
        }
      }
      return { contentType: registry.contentType, chunks: timed() };
    },
  });
  process.on('message', async (m) => {
    if (m !== 'stats') return;
    const heapAfter = heap();
    // Median of 5, after 2 not counted: a path the scrapes did not take is not compiled yet.
    const time = async (f) => {
      const ms = [];
      for (let i = 0; i < 7; i++) {
        const t = performance.now();
        await f();
        if (i >= 2) ms.push(performance.now() - t);
      }
      return ms.sort((a, b) => a - b)[2];
    };
    const registryMs = await time(() => registry.metrics());
    const checksMs = await time(() => metrics.checks.render());
    const chunksMs = await time(async () => {
      for await (const piece of metrics.renderChunks()) void piece;
    });
    process.send({ scrapes, heapAfter, registryMs, checksMs, chunksMs });
  });
  process.send({ port: server.address.port, heapBase, heapBuilt, heapLines, buildMs });
}
