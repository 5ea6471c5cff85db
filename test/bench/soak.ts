/**
 * Soak: the built agent (dist/) as a child process watching N checks against local targets, some
 * of which flap on a schedule, for a while of compressed time; its memory is sampled throughout
 * and the growth after warm-up is printed. Not a test (nothing is asserted): `npm run soak`
 * builds, compiles this file and runs it; pass flags after `--`:
 *
 *   npm run soak                                   # 1,000 checks, 1 s interval, 5 minutes ≈ 2.5 h of 30 s checks
 *   npm run soak -- --checks 200 --duration 150s   # smaller and shorter
 *
 * Flags: --checks N (1000), --duration D (wall time, 5m), --interval D (check interval, 1s),
 * --sample D (5s), --warmup F (share of the run treated as warm-up, 0.2; at least 100 intervals,
 * until every check's in-memory history of 100 results is full), --keep (keep the temporary
 * directory). "Compressed time": every check runs at `interval` instead of the usual 30 s, so the
 * run does as many probes, state changes and incidents as an hour at 30 s would when duration =
 * 1 h × interval / 30 s (2 minutes at 1 s). The default runs longer than that, because the first
 * 100 intervals are warm-up.
 *
 * Node built-ins and the benchmark's own test/bench/lib/ modules (flags, /proc, the exposition),
 * so it compiles on its own with tsc. Exits 0 once it has measured, 1 when the agent could not be
 * run at all.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { count, duration } from './lib/args.js';
import { AGENT_NODE_FLAGS, agentEnv } from './lib/node-flags.js';
import { memory } from './lib/proc.js';
import { parseExposition, sum } from './lib/prom.js';
import { median } from './lib/report.js';

const MAIN = fileURLToPath(new URL('../agent/main.js', import.meta.url));
/** The interval the compressed time is measured against (the config default). */
const NOMINAL_INTERVAL_MS = 30_000;

/** The flags, or exit 2 naming the one that is wrong (parseArgs rejects unknown ones itself). */
function flags() {
  try {
    const { values } = parseArgs({
      options: {
        checks: { type: 'string', default: '1000' },
        duration: { type: 'string', default: '5m' },
        interval: { type: 'string', default: '1s' },
        sample: { type: 'string', default: '5s' },
        warmup: { type: 'string', default: '0.2' },
        keep: { type: 'boolean', default: false },
      },
    });
    const parsed = {
      checks: count(values.checks, 'checks'),
      durationMs: duration(values.duration, 'duration'),
      intervalMs: duration(values.interval, 'interval'),
      sampleMs: duration(values.sample, 'sample'),
      warmup: Number(values.warmup),
      keep: values.keep,
    };
    if (!(parsed.warmup >= 0 && parsed.warmup < 1))
      throw new Error(`--warmup: expected a share of the run from 0 to below 1, got ${JSON.stringify(values.warmup)}`);
    if (parsed.sampleMs >= parsed.durationMs) throw new Error(`--sample (${values.sample}) must be shorter than --duration (${values.duration})`);
    return parsed;
  } catch (err) {
    console.error(`soak: ${(err as Error).message} (the flags are described at the top of test/bench/soak.ts)`);
    process.exit(2);
  }
}
const values = flags();
const CHECKS = values.checks;
const DURATION_MS = values.durationMs;
const INTERVAL_MS = values.intervalMs;
const SAMPLE_MS = values.sampleMs;
/**
 * Each check keeps its last 100 results in memory (HISTORY_SIZE in agent/runner/history.ts): by
 * design the heap grows until 100 intervals have passed, so warm-up lasts at least that long.
 */
const HISTORY_SIZE = 100;
const WARMUP = values.warmup;

// ── targets ──────────────────────────────────────────────────────────────────────────────────────

/**
 * How path /c/<i> behaves: most are steady; 1 in 10 has an outage of 8 intervals every 60
 * (incidents that open and close); 1 in 20 flaps every 3 intervals (flapping, one intermittent
 * incident); 1 in 20 answers slowly (within the timeout). Phases differ per path.
 */
function behaviour(i: number): 'steady' | 'outages' | 'flapping' | 'slow' {
  if (i % 10 === 3) return 'outages';
  if (i % 20 === 7) return 'flapping';
  if (i % 20 === 11) return 'slow';
  return 'steady';
}

function isUp(i: number, now: number): boolean {
  const tick = Math.floor(now / INTERVAL_MS) + i * 7;
  switch (behaviour(i)) {
    case 'outages':
      return tick % 60 >= 8;
    case 'flapping':
      return Math.floor(tick / 3) % 2 === 0;
    default:
      return true;
  }
}

async function startTargets(count: number): Promise<{ servers: Server[]; urls: string[]; requests: () => number }> {
  let requests = 0;
  const servers: Server[] = [];
  const urls: string[] = [];
  for (let n = 0; n < count; n++) {
    const server = createServer((req, res) => {
      requests++;
      const i = Number(/^\/c\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
      const answer = () => {
        const up = i >= 0 && isUp(i, Date.now());
        res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' }).end(up ? 'ok' : 'unavailable');
      };
      if (behaviour(i) === 'slow') setTimeout(answer, Math.min(300, INTERVAL_MS / 4));
      else answer();
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return { servers, urls, requests: () => requests };
}

// ── the agent ────────────────────────────────────────────────────────────────────────────────────

/** Config as JSON (which is YAML): 10 checks per service, every check http against a target path. */
function config(urls: string[]): string {
  const services = [];
  for (let s = 0; s * 10 < CHECKS; s++) {
    const checks = [];
    for (let i = s * 10; i < Math.min(CHECKS, s * 10 + 10); i++) checks.push({ id: `c${i}`, type: 'http', url: `${urls[i % urls.length]}/c/${i}` });
    services.push({ id: `svc${s}`, name: { ar: `خدمة ${s}`, en: `Service ${s}` }, checks });
  }
  return JSON.stringify(
    {
      agent: { id: 'soak', listen: '127.0.0.1:0', data_dir: './data', log_level: 'warn', max_concurrency: 512 },
      entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
      defaults: {
        interval: `${INTERVAL_MS}ms`,
        timeout: `${Math.round(INTERVAL_MS * 0.8)}ms`,
        failure_threshold: 2,
        success_threshold: 2,
        // Time is compressed for flapping too (30 min at 30 s checks), or every outage would look like a flap.
        flapping: { window: `${Math.round((1_800_000 * INTERVAL_MS) / NOMINAL_INTERVAL_MS)}ms` },
      },
      services,
    },
    null,
    1,
  );
}

interface Sample {
  at: number;
  rss: number;
  heap: number;
  probes: number;
  skipped: number;
  incidents: number;
  lagP99: number;
}

/** The metrics each sample reads. */
const SAMPLED = [
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'raqib_probes_total',
  'raqib_probes_skipped_total',
  'raqib_incidents_total',
  'nodejs_eventloop_lag_p99_seconds',
];

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const end0 = (samples: Sample[]) => samples.at(-1)!.at;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pct = (from: number, to: number) => `${to >= from ? '+' : ''}${(((to - from) / from) * 100).toFixed(1)}%`;

async function main(): Promise<number> {
  if (!existsSync(MAIN)) {
    console.error(`soak: ${MAIN} is missing; run npm run build first (npm run soak does)`);
    return 1;
  }
  const dir = await mkdtemp(join(tmpdir(), 'raqib-soak-'));
  const targets = await startTargets(Math.max(1, Math.min(8, Math.ceil(CHECKS / 250))));
  const configFile = join(dir, 'raqib.yaml');
  await writeFile(configFile, config(targets.urls));
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, MAIN, 'run', '--config', configFile], {
    cwd: dir,
    env: { ...process.env, ...agentEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let partial = '';
  /** Log lines (level warn and above, as configured) by message. */
  const logged = new Map<string, number>();
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      let msg = line.slice(0, 80);
      try {
        msg = String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        // not JSON: keep the start of the line
      }
      logged.set(msg, (logged.get(msg) ?? 0) + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const cleanup = async () => {
    if (running) child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    await Promise.all(
      targets.servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    );
    if (values.keep) console.log(`soak: kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
    return code;
  };

  // The agent writes data/agent.json once it listens.
  let url: string | undefined;
  for (let waited = 0; waited < 30_000 && running && !url; waited += 100) {
    try {
      url = (JSON.parse(await readFile(join(dir, 'data/agent.json'), 'utf8')) as { url: string }).url;
    } catch {
      await sleep(100);
    }
  }
  if (!url) {
    console.error(`soak: the agent did not start.\n${stderr}`);
    await cleanup();
    return 1;
  }

  console.log(
    `soak: ${CHECKS} checks every ${INTERVAL_MS} ms against ${targets.urls.length} local targets for ${DURATION_MS / 1000} s (pid ${child.pid}); sampling every ${SAMPLE_MS / 1000} s …`,
  );
  const samples: Sample[] = [];
  const started = Date.now();
  while (Date.now() - started < DURATION_MS && running) {
    await sleep(SAMPLE_MS - ((Date.now() - started) % SAMPLE_MS));
    try {
      const snap = parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text(), SAMPLED);
      /** Every sample of the metric summed, NaN when the page has none. */
      const total = (name: string) => (snap.samples.has(name) ? sum(snap, name) : NaN);
      const rss = memory(child.pid!).rss * 1024 * 1024;
      samples.push({
        at: Date.now() - started,
        rss: Number.isNaN(rss) ? total('process_resident_memory_bytes') : rss,
        heap: total('nodejs_heap_size_used_bytes'),
        probes: total('raqib_probes_total') || 0,
        skipped: total('raqib_probes_skipped_total') || 0,
        incidents: total('raqib_incidents_total') || 0,
        lagP99: total('nodejs_eventloop_lag_p99_seconds'),
      });
      const s = samples.at(-1)!;
      process.stdout.write(
        `  ${String(Math.round(s.at / 1000)).padStart(5)} s  rss ${mb(s.rss).padStart(9)}  heap ${mb(s.heap).padStart(9)}  probes ${String(s.probes).padStart(8)}  incidents ${s.incidents}\n`,
      );
    } catch (err) {
      console.error(`soak: sample failed: ${(err as Error).message}`);
    }
  }
  const stillRunning = running;
  const exitCode = await cleanup();

  if (samples.length < 4) {
    console.error(`soak: too few samples (${samples.length}); the agent ${stillRunning ? 'did not answer' : `exited with ${String(exitCode)}`}.\n${stderr}`);
    return 1;
  }
  const warmEnd = Math.max(DURATION_MS * WARMUP, HISTORY_SIZE * INTERVAL_MS + SAMPLE_MS);
  if (warmEnd > DURATION_MS * 0.75)
    console.log(`soak: warm-up (${warmEnd / 1000} s, until every check's history is full) leaves little to measure; run longer`);
  // Memory saw-tooths with garbage collection: compare two windows of samples that do not overlap,
  // one just after warm-up and one as long at the end of the run, rather than two single readings.
  const window = Math.max(Math.min(DURATION_MS * 0.2, (DURATION_MS - warmEnd) / 2), SAMPLE_MS);
  const early = samples.filter((s) => s.at > warmEnd && s.at <= warmEnd + window);
  const late = samples.filter((s) => s.at > end0(samples) - window);
  const first = early.length ? early : samples.slice(0, 2);
  const last = late.length ? late : samples.slice(-2);
  const rss0 = median(first.map((s) => s.rss));
  const rss1 = median(last.map((s) => s.rss));
  // The heap saw-tooths between collections (1,000 probes a second make a lot of short-lived
  // garbage): what is retained shows in its floor, the lowest sample of each window.
  const heap0 = Math.min(...first.map((s) => s.heap));
  const heap1 = Math.min(...last.map((s) => s.heap));
  const end = samples.at(-1)!;
  const probeRate = end.probes / (end.at / 1000);
  const simulatedH = (DURATION_MS * (NOMINAL_INTERVAL_MS / INTERVAL_MS)) / 3_600_000;
  const rssGrowth = ((rss1 - rss0) / rss0) * 100;

  const rows: [string, string][] = [
    ['checks', String(CHECKS)],
    [
      'duration',
      `${Math.round(end.at / 1000)} s wall, interval ${INTERVAL_MS} ms ≈ ${simulatedH.toFixed(2)} h of checks every ${NOMINAL_INTERVAL_MS / 1000} s`,
    ],
    ['probes run', `${end.probes} (${probeRate.toFixed(0)}/s; target requests ${targets.requests()})`],
    ['runs skipped (overlap/missed)', String(end.skipped)],
    ['incidents opened', String(end.incidents)],
    ['event loop lag p99 at end', `${(end.lagP99 * 1000).toFixed(1)} ms`],
    [`RSS after warm-up (${Math.round(warmEnd / 1000)} s, median of ${first.length} samples)`, mb(rss0)],
    [`RSS at end (median of ${last.length} samples)`, mb(rss1)],
    ['RSS growth after warm-up', `${pct(rss0, rss1)}  (${rssGrowth < 5 ? 'within' : 'OVER'} the 5% bound)`],
    ['heap used after warm-up (lowest sample)', mb(heap0)],
    ['heap used at end (lowest sample)', mb(heap1)],
    ['heap growth after warm-up', pct(heap0, heap1)],
    ['agent exit', `${String(exitCode)} after SIGTERM`],
    ['log lines at warn or above', [...logged].map(([msg, n]) => `${n} × ${msg}`).join('; ') || 'none'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nsoak results\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`);
  return 0;
}

process.exitCode = await main();
