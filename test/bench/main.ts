/**
 * `npm run bench`: how much one agent can watch, measured, and side by side with blackbox_exporter.
 *
 * 1. Starts the targets (HTTP, HTTPS, TCP, DNS on 127.0.0.1; some slow, some failing) in a process
 *    of their own.
 * 2. Main run: the built agent with N mixed checks at the interval; after a warm-up (the first
 *    runs spread over one interval, and failing checks confirmed DOWN; /metrics is scraped through
 *    it as Prometheus would, and those scrapes printed apart), T seconds are measured:
 *    probes/s, skipped slots, CPU and RSS from /proc, scheduler lateness, /metrics response time
 *    and series, the longest event-loop block, state-file writes.
 * 3. Comparison: for each probe type (HTTP, HTTPS, TCP by default) an agent with N healthy checks
 *    of that type, then blackbox_exporter driven at the same rate against the same target, each
 *    for the same time; CPU µs per probe of both and their ratio.
 *
 * Prints one Markdown report on stdout (progress goes to stderr). See docs/performance.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { startAgentProcess, type AgentRun, type Scrape } from './lib/agent.js';
import type { Timed } from './lib/http-get.js';
import { BLOCK_WATCH, BLOCK_WATCH_ENV, BlockLog, type GcPause, type LongestBlock } from './lib/block-log.js';
import { count, duration } from './lib/args.js';
import { agentNode, type AgentNode } from './lib/node-binary.js';
import { AGENT_NODE_FLAGS, agentEnv } from './lib/node-flags.js';
import { blackboxInstalled, blackboxVersion, drive, installBlackbox, probePath, startBlackbox, type Comparable } from './lib/blackbox.js';
import { buildConfig, PROBE_TYPES, type Mix, type MixSummary } from './lib/config.js';
import { spawned, TARGETS_MAIN, track } from './lib/paths.js';
import { cpuSeconds, machine, memory, ProcWatch } from './lib/proc.js';
import { monoMs, summariseProfile, type ProfileSummary } from './lib/profile.js';
import { histogramDelta, max, sum, type BucketStats } from './lib/prom.js';
import { bound, fmt, median, ms, profileSection, table, verdict } from './lib/report.js';
import type { JitterStats, TargetAddresses } from './lib/targets.js';

/**
 * The agent keeps each check's last 100 results in memory, in a ring that allocates 8 slots at its
 * first result and all 100 at its 9th (HISTORY_SIZE and HISTORY_INITIAL_SLOTS in
 * agent/runner/history.ts: kept here rather than imported, which would compile that module and
 * what it imports into dist/agent a second time, without source maps), ~17 bytes a slot with the
 * ring's own objects, measured with 10^6 of them under --expose-gc
 * (test/bench/micro/history-entry.mjs). A run of a few minutes at 30 s gives each check a few
 * results: the projection adds what the rings still to grow will take. Once every ring has grown,
 * nothing more is allocated per result (a failure's detail shares the string of the failure
 * before it when they are the same, as the benchmark's failures are), and RSS stays where it is:
 * 25-minute runs at 20,000 checks held flat from +240 s to the end (docs/performance.md). Used
 * only to project the RSS of a long-running agent.
 */
const HISTORY_SIZE = 100;
const HISTORY_INITIAL_SLOTS = 8;
const HISTORY_ENTRY_BYTES = 17;
/**
 * Results per check, on average, from which every ring has grown: one past the growth, as the
 * mean counts the failing checks' confirming re-probes too.
 */
const HISTORY_GROWN_AT = HISTORY_INITIAL_SLOTS + 2;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

// ---------------------------------------------------------------- options

const HELP = `npm run bench -- [options]

  --checks N            checks in the main run (default 10000; --smoke: 300)
  --seconds T           measured seconds of the main run, after the warm-up (default 120; --smoke: 6)
  --interval D          interval of every check (default 30s; --smoke: 2s)
  --warmup D            before measuring (default interval + 2 × interval/3 + 2 × timeout + 2 s: every
                        check has run, and failing checks are confirmed DOWN)
  --timeout D           check timeout (default 5s; --smoke: 1s)
  --types T             main run: mixed | http | https | tcp | dns | tls (default mixed)
  --compare LIST        probe types compared with blackbox_exporter, or none (default
                        http,https,https-full,tcp; --smoke: http); https-full is HTTPS with
                        tls_resume: false, a full handshake per probe as the exporter does
  --compare-checks N    checks of each comparison run (default: --checks)
  --compare-seconds T   measured seconds of each side of a comparison (default 60; --smoke: 2)
  --blackbox on|off|auto  on: install prometheus-blackbox-exporter with apt-get if missing (default);
                        auto: use it only if installed (--smoke default); off: agent figures only
  --scrape-every D      /metrics scrape period in the main run, warm-up included (default 15s; --smoke: 2s)
  --max-concurrency N   agent.max_concurrency (default 1024)
  --cpu-prof            profile the agent (node --cpu-prof) in the main run and summarise the window
  --no-watch            main run without the benchmark's 1 ms event-loop watch in the agent's process
                        (test/bench/lib/block-watch.mjs): the block is then the agent's own reading
  --node V|BIN          node for the agent: container (the Dockerfile's FROM node:NN) or a major version,
                        fetched from the npm registry, or a binary's path (default: the node running this)
  --node-args="FLAGS"   node flags for the agent instead of the shipped ones (${AGENT_NODE_FLAGS.join(' ')});
                        --node-args= runs it on Node's defaults
  --out FILE            also write the report to FILE
  --keep                keep the temporary directory (configs, data, profiles, agent.log: all the agent printed)
  --smoke               a few hundred checks, seconds long: checks that the benchmark works
`;

interface Options {
  checks: number;
  seconds: number;
  intervalMs: number;
  warmupMs: number;
  timeoutMs: number;
  types: Mix;
  compare: Comparable[];
  compareChecks: number;
  compareSeconds: number;
  blackbox: 'on' | 'off' | 'auto';
  scrapeMs: number;
  maxConcurrency: number;
  cpuProf: boolean;
  /** The 1 ms event-loop watch in the agent of the main run (block-watch.mjs). */
  blockWatch: boolean;
  /** The node binary that runs the agent, in the main run and the comparisons. */
  node: AgentNode;
  /** Extra node flags for the agent of the main run (e.g. V8 heap sizing). */
  nodeArgs: string[];
  out: string | undefined;
  keep: boolean;
  smoke: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      checks: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string' },
      warmup: { type: 'string' },
      timeout: { type: 'string' },
      types: { type: 'string' },
      compare: { type: 'string' },
      'compare-checks': { type: 'string' },
      'compare-seconds': { type: 'string' },
      blackbox: { type: 'string' },
      'scrape-every': { type: 'string' },
      'max-concurrency': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'no-watch': { type: 'boolean', default: false },
      node: { type: 'string' },
      'node-args': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const smoke = values.smoke;
  const checks = values.checks ? count(values.checks, 'checks') : smoke ? 300 : 10_000;
  const intervalMs = values.interval ? duration(values.interval, 'interval') : smoke ? 2_000 : 30_000;
  const timeoutMs = values.timeout ? duration(values.timeout, 'timeout') : smoke ? 1_000 : 5_000;
  if (timeoutMs > intervalMs) throw new Error('--timeout must not exceed --interval');
  const types = (values.types ?? 'mixed') as Mix;
  if (!(PROBE_TYPES as readonly string[]).includes(types)) throw new Error(`--types: one of ${PROBE_TYPES.join(', ')}`);
  const compareList = values.compare ?? (smoke ? 'http' : 'http,https,https-full,tcp');
  const compare = compareList === 'none' ? [] : compareList.split(',').map((s) => s.trim());
  for (const c of compare)
    if (!['http', 'https', 'https-full', 'tcp', 'dns'].includes(c)) throw new Error(`--compare: http, https, https-full, tcp, dns or none, got ${c}`);
  const blackbox = (values.blackbox ?? (smoke ? 'auto' : 'on')) as Options['blackbox'];
  if (!['on', 'off', 'auto'].includes(blackbox)) throw new Error('--blackbox: on, off or auto');
  return {
    checks,
    seconds: values.seconds ? duration(values.seconds, 'seconds') / 1000 : smoke ? 6 : 120,
    intervalMs,
    // Every check has run once (one interval) and a failing one is confirmed DOWN: two re-probes
    // retry_interval (interval/3) apart, the last of which may take the whole timeout.
    warmupMs: values.warmup ? duration(values.warmup, 'warmup') : Math.round(intervalMs + (2 * intervalMs) / 3 + 2 * timeoutMs + 2_000),
    timeoutMs,
    types,
    compare: compare as Comparable[],
    compareChecks: values['compare-checks'] ? count(values['compare-checks'], 'compare-checks') : checks,
    compareSeconds: values['compare-seconds'] ? duration(values['compare-seconds'], 'compare-seconds') / 1000 : smoke ? 2 : 60,
    blackbox,
    scrapeMs: values['scrape-every'] ? duration(values['scrape-every'], 'scrape-every') : smoke ? 2_000 : 15_000,
    maxConcurrency: values['max-concurrency'] ? count(values['max-concurrency'], 'max-concurrency') : 1024,
    cpuProf: values['cpu-prof'],
    blockWatch: !values['no-watch'],
    node: agentNode(values.node, log),
    nodeArgs: values['node-args'] === undefined ? [...AGENT_NODE_FLAGS] : values['node-args'].split(/\s+/).filter(Boolean),
    out: values.out,
    keep: values.keep,
    smoke,
  };
}

// ---------------------------------------------------------------- targets process

interface TargetsProcess {
  child: ChildProcess;
  addresses: TargetAddresses;
  jitterStart(): void;
  jitterStop(): Promise<JitterStats>;
  close(): Promise<void>;
}

async function startTargets(intervalMs: number): Promise<TargetsProcess> {
  const child = track(fork(TARGETS_MAIN, [String(intervalMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const listeners = new Set<(m: { type: string } & Record<string, unknown>) => void>();
  child.on('message', (m) => listeners.forEach((l) => l(m as { type: string })));
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`targets: no ${type} message`)), 30_000);
      const l = (m: { type: string } & Record<string, unknown>) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        listeners.delete(l);
        resolve(m);
      };
      listeners.add(l);
    });
  const ready = await next('ready');
  return {
    child,
    addresses: ready['addresses'] as TargetAddresses,
    jitterStart: () => child.send({ type: 'jitter-start' }),
    jitterStop: async () => {
      const reply = next('jitter');
      child.send({ type: 'jitter-stop' });
      return (await reply)['stats'] as JitterStats;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'close' });
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------- runs

interface MainResult {
  checks: number;
  mix: MixSummary;
  wall: number;
  warmupMs: number;
  startMs: number;
  rssStart: number;
  /** Largest RSS sampled during the warm-up, and when (s after the agent answered). */
  warmupPeak: { rss: number; at: number };
  rssMax: number;
  rssEnd: number;
  rssPeak: number;
  cpu: number;
  /** The kernel's part of `cpu`. */
  system: number;
  heap: { used: number; total: number; external: number; spaces: { space: string; used: number; total: number }[] };
  probes: number;
  /** Results each check has had since the start (its in-memory history fills up to 100). */
  resultsPerCheck: number;
  expectedRate: number;
  missed: number;
  overlap: number;
  lateness: BucketStats;
  halves: { rate: number; lateness: BucketStats }[];
  jitter: JitterStats;
  metricsMs: number[];
  /** The scrapes of the warm-up, in order (the first is the agent's first). */
  warmupMetricsMs: number[];
  /** The slowest scrape of the window: when it began (s into the window), which it was, and what the agent did in it (1 ms watch). */
  slowest?: { ms: number; atS: number; index: number; block: LongestBlock; gc: GcPause[] };
  series: number;
  /** The largest families and their series. */
  families: [string, number][];
  metricsBytes: number;
  /** The longest block by the benchmark's 1 ms watch (block-watch.mjs), with the GC pauses in it; undefined with --no-watch. */
  block: LongestBlock | undefined;
  /** The largest nodejs_eventloop_lag_max_seconds of the scrapes: the agent's own 10 ms reading. */
  loopMaxMs: number;
  /** Main-thread GC pause time in the window by kind (major, minor, incremental, weakcb), ms. */
  gc: Record<string, number>;
  stateWrites: number;
  statusMs: number;
  statusBytes: number;
  /** Longest event-loop block while the agent answered the three status GETs: the 1 ms watch, and the agent's reading. */
  statusBlock: LongestBlock | undefined;
  statusLoopMaxMs: number;
  targetsCpu: number;
  stopMs: number;
  exitCode: number | null;
  profile?: ProfileSummary;
  profileFile?: string;
}

const probesOf = (s: Scrape) => sum(s.snap, 'raqib_probes_total');

/** ` (major 16.3 ms + minor 9.10 ms)`: GC pauses (a block's, a scrape's), or nothing when there were none. */
function describeGc(gc: readonly GcPause[]): string {
  return gc.length ? ` (${gc.map((g) => `${g.kind} ${ms(g.ms)}`).join(' + ')})` : '';
}

async function mainRun(opts: Options, dir: string, targets: TargetsProcess): Promise<MainResult> {
  const runDir = await mkdtemp(join(dir, 'main-'));
  const { yaml, summary } = buildConfig({
    checks: opts.checks,
    mix: opts.types,
    intervalMs: opts.intervalMs,
    timeoutMs: opts.timeoutMs,
    dataDir: join(runDir, 'data'),
    maxConcurrency: opts.maxConcurrency,
    targets: targets.addresses,
  });
  const profDir = join(runDir, 'prof');
  const blocks = new BlockLog(join(runDir, 'blocks.log'));
  log(
    `main run: ${fmt(opts.checks)} ${opts.types} checks every ${opts.intervalMs / 1000} s; warm-up ${fmt(opts.warmupMs / 1000)} s, then ${opts.seconds} s measured`,
  );
  const agent = await startAgentProcess({
    dir: runDir,
    yaml,
    node: opts.node.bin,
    nodeArgs: [...opts.nodeArgs, ...(opts.blockWatch ? ['--import', BLOCK_WATCH] : []), ...(opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
    env: opts.blockWatch ? { [BLOCK_WATCH_ENV]: blocks.file } : {},
    logFile: opts.keep ? join(runDir, 'agent.log') : undefined,
  });
  const rssStart = memory(agent.pid).rss;
  log(`agent ${agent.pid} answering after ${fmt(agent.startMs)} ms (RSS ${fmt(rssStart)} MiB); warming up`);
  try {
    const warmupPeak = { rss: rssStart, at: 0 };
    const answeredAt = performance.now();
    const peakTimer = setInterval(() => {
      const { rss } = memory(agent.pid);
      if (rss > warmupPeak.rss) Object.assign(warmupPeak, { rss, at: (performance.now() - answeredAt) / 1000 });
    }, 250);
    peakTimer.unref();
    // Scraped through the warm-up as a Prometheus would be from the agent's start. The first
    // scrapes after a start are slower: V8 has not optimized the code yet, and every check's
    // cached lines are being made as its first results come in (20,000 checks, Node 20: 185–362 ms,
    // against at most 77 ms in the window). Timed and printed apart from the window's, which without
    // them began with the agent's second scrape ever (120–163 ms on Node 20; in a CPU profile, 30 ms
    // of the metrics code's CPU against 11 ms by the fourth scrape).
    const warmupScrapes: Timed[] = [];
    // None within half a period of the window's first scrape, which comes at the warm-up's end.
    for (let next = answeredAt + opts.scrapeMs; next < answeredAt + opts.warmupMs - opts.scrapeMs / 2; next += opts.scrapeMs) {
      await sleep(Math.max(0, next - performance.now()));
      const r = await agent.get('/metrics');
      if (r.status !== 200) throw new Error(`GET /metrics in the warm-up: ${r.status}`);
      warmupScrapes.push(r);
      log(`  warm-up +${fmt((performance.now() - answeredAt) / 1000)} s: /metrics ${ms(r.ms)}`);
    }
    await sleep(Math.max(0, answeredAt + opts.warmupMs - performance.now()));
    clearInterval(peakTimer);
    const watch = new ProcWatch(agent.pid);
    const s0 = await agent.scrape();
    const targetsCpu0 = cpuSeconds(targets.child.pid!);
    targets.jitterStart();
    watch.mark();
    const from = monoMs();
    const t0 = performance.now();
    const endAt = t0 + opts.seconds * 1000;
    // Of each scrape, only its figures: a parsed page of 20,000 checks is tens of MiB, and a long
    // run kept them all until the benchmark ran out of heap. The whole snapshot is kept only of
    // the scrape nearest the middle of the window, which splits it in halves.
    const scrapes: (Timed & { loopMaxMs: number })[] = [];
    const middle = (t0 + endAt) / 2;
    let mid: Scrape | undefined;
    /** Keeps a scrape's figures and prints them on a progress line, with the longest block since the last. */
    const keep = (s: Scrape) => {
      const loopMaxMs = max(s.snap, 'nodejs_eventloop_lag_max_seconds') * 1000;
      scrapes.push({ ms: s.ms, loopMaxMs, from: s.from, to: s.to });
      if (mid === undefined || Math.abs(s.at - middle) < Math.abs(mid.at - middle)) mid = s;
      let watched = `${ms(loopMaxMs)} (agent's reading)`;
      if (opts.blockWatch) {
        blocks.read();
        const block = blocks.sinceLast(from);
        watched = `${ms(block.ms)}${describeGc(block.gc)} (agent's reading ${ms(loopMaxMs)})`;
      }
      log(
        `  +${fmt((performance.now() - t0) / 1000)} s: ${fmt(probesOf(s) - probesOf(s0))} probes, /metrics ${ms(s.ms)}, block ${watched}, RSS ${fmt(memory(agent.pid).rss)} MiB`,
      );
    };
    for (let next = t0 + opts.scrapeMs; next < endAt; next += opts.scrapeMs) {
      await sleep(next - performance.now());
      keep(await agent.scrape());
    }
    await sleep(endAt - performance.now());
    const w = watch.window();
    const to = monoMs();
    const targetsCpu = cpuSeconds(targets.child.pid!) - targetsCpu0;
    // The last scrape before the targets are asked for their figures, like every other: it is
    // one of the scrapes timed, and nothing of the benchmark's own should run beside it.
    const s1 = await agent.scrape();
    keep(s1);
    // The blocks of the window end here, after the last scrape (`to`, the CPU's end, is before it).
    const blocksTo = monoMs();
    const jitter = await targets.jitterStop();
    watch.stop();

    const probes = probesOf(s1) - probesOf(s0);
    const skipped = (reason: string) => sum(s1.snap, 'raqib_probes_skipped_total', { reason }) - sum(s0.snap, 'raqib_probes_skipped_total', { reason });
    const lateness = histogramDelta(s0.snap, s1.snap, 'raqib_schedule_lateness_seconds');
    const halves =
      mid === undefined || mid === s1
        ? []
        : [
            {
              rate: (probesOf(mid) - probesOf(s0)) / ((mid.at - s0.at) / 1000),
              lateness: histogramDelta(s0.snap, mid.snap, 'raqib_schedule_lateness_seconds'),
            },
            {
              rate: (probesOf(s1) - probesOf(mid)) / ((s1.at - mid.at) / 1000),
              lateness: histogramDelta(mid.snap, s1.snap, 'raqib_schedule_lateness_seconds'),
            },
          ];
    const statusTimes: number[] = [];
    let statusBytes = 0;
    const statusFrom = monoMs();
    for (let i = 0; i < 3; i++) {
      const r = await agent.get('/api/v1/status');
      statusTimes.push(r.ms);
      statusBytes = r.bytes;
    }
    const statusTo = monoMs();
    // The agent's loop-delay histogram restarts at each scrape: this one's max covers the GETs.
    const statusLoopMaxMs = max((await agent.scrape()).snap, 'nodejs_eventloop_lag_max_seconds') * 1000;
    if (opts.blockWatch) {
      await sleep(250); // the watch writes every 100 ms: its polls past blocksTo and statusTo are in
      blocks.read();
    }
    // A watch that wrote nothing in the window (left out, or it failed to load or to write)
    // measured nothing: the agent's reading is judged then.
    const watched = blocks.longest(from, blocksTo);
    const block = watched.polls > 0 ? watched : undefined;
    const statusBlock = block && blocks.longestAround(statusFrom, statusTo);
    const slowestIndex = scrapes.reduce((a, x, i) => (x.ms > scrapes[a]!.ms ? i : a), 0);
    const slowestScrape = scrapes[slowestIndex]!;
    const slowest = block && {
      ms: slowestScrape.ms,
      atS: (slowestScrape.from - from) / 1000,
      index: slowestIndex,
      ...blocks.during(slowestScrape.from, slowestScrape.to),
    };
    // Every scrape's span on the watch's clock, beside blocks.log, to lay any of them over its blocks.
    // W: the warm-up's.
    const spans = (tag: string, xs: Timed[]) => xs.map((x) => `${tag} ${x.from.toFixed(1)} ${x.to.toFixed(1)} ${x.ms.toFixed(1)}\n`).join('');
    if (opts.keep) await writeFile(join(runDir, 'scrapes.log'), spans('W', warmupScrapes) + spans('S', scrapes));
    const expectedRate = opts.checks / (opts.intervalMs / 1000);
    const result: MainResult = {
      checks: opts.checks,
      mix: summary,
      wall: w.wall,
      warmupMs: opts.warmupMs,
      startMs: agent.startMs,
      rssStart,
      warmupPeak,
      rssMax: w.rssMax,
      rssEnd: w.rssEnd,
      rssPeak: w.peak,
      cpu: w.cpu,
      system: w.system,
      heap: {
        used: sum(s1.snap, 'nodejs_heap_size_used_bytes') / 1048576,
        total: sum(s1.snap, 'nodejs_heap_size_total_bytes') / 1048576,
        external: sum(s1.snap, 'nodejs_external_memory_bytes') / 1048576,
        spaces: (s1.snap.samples.get('nodejs_heap_space_size_total_bytes') ?? [])
          .map((x) => ({
            space: x.labels['space'] ?? '?',
            total: x.value / 1048576,
            used: sum(s1.snap, 'nodejs_heap_space_size_used_bytes', { space: x.labels['space'] ?? '?' }) / 1048576,
          }))
          .filter((x) => x.total >= 1)
          .sort((a, b) => b.total - a.total),
      },
      probes,
      resultsPerCheck: probesOf(s1) / opts.checks,
      expectedRate,
      missed: skipped('missed'),
      overlap: skipped('overlap'),
      lateness,
      halves,
      jitter,
      metricsMs: scrapes.map((s) => s.ms),
      warmupMetricsMs: warmupScrapes.map((x) => x.ms),
      slowest,
      series: s1.snap.series,
      families: [...s1.snap.byFamily.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4),
      metricsBytes: s1.snap.bytes,
      block,
      loopMaxMs: Math.max(...scrapes.map((s) => s.loopMaxMs)),
      gc: Object.fromEntries(
        ['major', 'minor', 'incremental', 'weakcb'].map((kind) => [
          kind,
          (sum(s1.snap, 'nodejs_gc_duration_seconds_sum', { kind }) - sum(s0.snap, 'nodejs_gc_duration_seconds_sum', { kind })) * 1000,
        ]),
      ),
      stateWrites: sum(s1.snap, 'raqib_state_writes_total') - sum(s0.snap, 'raqib_state_writes_total'),
      statusMs: median(statusTimes),
      statusBytes,
      statusBlock,
      statusLoopMaxMs,
      targetsCpu: targetsCpu / w.wall,
      stopMs: 0,
      exitCode: null,
    };
    const stopAt = performance.now();
    result.exitCode = await agent.stop();
    result.stopMs = performance.now() - stopAt;
    if (opts.cpuProf) {
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is thread 0; the
      // config loader's worker thread (agent/config/load-isolated.ts) writes a profile of its own.
      const file = (await readdir(profDir).catch(() => [])).find((f) => /\.0\.\d+\.cpuprofile$/.test(f));
      if (file) {
        result.profileFile = join(profDir, file);
        result.profile = await summariseProfile(result.profileFile, from, to);
      } else log('no CPU profile was written (did the agent exit cleanly?)');
    }
    return result;
  } finally {
    await agent.stop();
  }
}

/** One side of a comparison: probes/s, share of one core, the kernel's part, CPU µs per probe, RSS. */
interface SideFigures {
  rate: number;
  cpu: number;
  system: number;
  usPerProbe: number;
  rss: number;
}

interface CompareRow {
  type: Comparable;
  checks: number;
  rate: number;
  raqib: SideFigures & { failures: number };
  blackbox?: SideFigures & { ok: number; failed: number; pending: number };
  targetsCpu: number;
}

/** A side's figures from its /proc window and the probes it did in it. */
function sideFigures(w: ReturnType<ProcWatch['window']>, probes: number): SideFigures {
  return { rate: probes / w.wall, cpu: w.cpu / w.wall, system: w.system / w.cpu, usPerProbe: (w.cpu / probes) * 1e6, rss: w.rssEnd };
}

async function compareRun(type: Comparable, opts: Options, dir: string, targets: TargetsProcess, useBlackbox: boolean): Promise<CompareRow> {
  const runDir = await mkdtemp(join(dir, `${type}-`));
  const { yaml } = buildConfig({
    checks: opts.compareChecks,
    mix: type,
    intervalMs: opts.intervalMs,
    timeoutMs: opts.timeoutMs,
    dataDir: join(runDir, 'data'),
    maxConcurrency: opts.maxConcurrency,
    targets: targets.addresses,
  });
  const rate = opts.compareChecks / (opts.intervalMs / 1000);
  // Healthy checks: once every check has run once (one interval), the rate is steady.
  const warmup = opts.intervalMs + 1_000;
  log(`${type}: agent with ${fmt(opts.compareChecks)} checks (${fmt(rate, 1)} probes/s); warm-up ${fmt(warmup / 1000)} s, ${opts.compareSeconds} s measured`);
  let agent: AgentRun | undefined;
  let row: CompareRow;
  try {
    agent = await startAgentProcess({ dir: runDir, yaml, node: opts.node.bin, nodeArgs: opts.nodeArgs });
    await sleep(warmup);
    const watch = new ProcWatch(agent.pid);
    const s0 = await agent.scrape();
    const tc0 = cpuSeconds(targets.child.pid!);
    watch.mark();
    await sleep(opts.compareSeconds * 1000);
    const w = watch.window();
    const tc = cpuSeconds(targets.child.pid!) - tc0;
    const s1 = await agent.scrape();
    watch.stop();
    const down = sum(s1.snap, 'raqib_probes_total', { result: 'down' }) - sum(s0.snap, 'raqib_probes_total', { result: 'down' });
    row = { type, checks: opts.compareChecks, rate, raqib: { ...sideFigures(w, probesOf(s1) - probesOf(s0)), failures: down }, targetsCpu: tc / w.wall };
  } finally {
    await agent?.stop();
  }
  if (!useBlackbox) return row;
  const bb = await startBlackbox(runDir, targets.addresses, opts.timeoutMs);
  try {
    log(`${type}: blackbox_exporter ${bb.pid} at ${fmt(rate, 1)} probes/s for ${opts.compareSeconds} s`);
    // A few seconds at the rate first, so neither side pays its start-up in the window.
    await drive(bb, probePath(type, targets.addresses), rate, Math.min(5, opts.compareSeconds));
    const watch = new ProcWatch(bb.pid);
    watch.mark();
    const d = await drive(bb, probePath(type, targets.addresses), rate, opts.compareSeconds);
    const w = watch.window();
    watch.stop();
    row.blackbox = { ...sideFigures(w, d.ok + d.failed), ok: d.ok, failed: d.failed, pending: d.pending };
  } finally {
    await bb.stop();
  }
  return row;
}

// ---------------------------------------------------------------- report

/**
 * The all-in figure: the main run's whole agent CPU per probe (scheduling, probes, metrics,
 * scrapes, GC, over every type of its mix) against what blackbox_exporter spends per probe on the
 * same mix, weighted by the main run's probe types among those compared (HTTPS at its full
 * handshake, which is what the exporter does; DNS and TLS checks left out unless compared).
 */
function allInComparison(m: MainResult, rows: CompareRow[]): string | undefined {
  const bbOf = (type: string) =>
    rows.find((r) => r.type === (type === 'https' ? 'https-full' : type))?.blackbox ??
    (type === 'https' ? rows.find((r) => r.type === 'https')?.blackbox : undefined);
  const weights = Object.entries(m.mix.byType).filter(([type]) => bbOf(type) !== undefined);
  const total = weights.reduce((n, [, w]) => n + w, 0);
  if (total === 0 || m.probes === 0) return undefined;
  const blackboxUs = weights.reduce((us, [type, w]) => us + (w / total) * bbOf(type)!.usPerProbe, 0);
  const raqibUs = (m.cpu / m.probes) * 1e6;
  const left = Object.keys(m.mix.byType).filter((t) => !weights.some(([w]) => w === t));
  return (
    `All in: the main run's agent spent ${fmt(raqibUs)} µs of CPU a probe (everything it did: ${fmt(m.checks)} checks of its mix, scheduling, metrics, ` +
    `scrapes, GC), against ${fmt(blackboxUs)} µs a probe for blackbox_exporter on the same mix of ${weights.map(([t]) => t).join(', ')} ` +
    `(weighted by the main run's checks; HTTPS at its full handshake)${left.length ? `, ${left.join(' and ')} left out` : ''}: **${fmt(raqibUs / blackboxUs, 2)}**.`
  );
}

function report(
  opts: Options,
  m: MainResult,
  rows: CompareRow[],
  env: { before: ReturnType<typeof machine>; after: ReturnType<typeof machine>; blackbox: string; node: string },
): string {
  const full = opts.checks >= 10_000 && opts.intervalMs === 30_000 && opts.types === 'mixed';
  const judge = (ok: boolean) => (full ? verdict(ok) : 'n/a (not a full run)');
  const types = Object.entries(m.mix.byType)
    .map(([t, n]) => `${t} ${fmt(n)}`)
    .join(', ');
  const mixNote = opts.types === 'mixed' ? `; ${fmt(m.mix.slow)} slow, ${fmt(m.mix.failing)} failing` : '';
  const cpuShare = m.cpu / m.wall;
  const grown = m.resultsPerCheck >= HISTORY_GROWN_AT;
  const projectedRss = m.rssEnd + (grown ? 0 : (m.checks * (HISTORY_SIZE - HISTORY_INITIAL_SLOTS) * HISTORY_ENTRY_BYTES) / 1048576);
  const metricsMax = Math.max(...m.metricsMs);
  /** The issue's limit for a scrape of /metrics. */
  const METRICS_MS = 150;
  const lat = m.lateness;
  const halves = m.halves.length === 2 ? m.halves : undefined;
  const lines: string[] = [];
  lines.push(`### raqib benchmark: ${opts.smoke ? 'smoke run' : full ? 'full run' : 'custom run'}`, '');
  lines.push(
    `Machine: ${env.before.cores} × ${env.before.cpu}; load average (1 min) ${fmt(env.before.load1, 2)} at the start, ${fmt(env.after.load1, 2)} at the end. ` +
      `Benchmark on Node ${env.node}; agent on Node ${opts.node.version}, OpenSSL ${opts.node.openssl} (flags: ${opts.nodeArgs.length ? opts.nodeArgs.join(' ') : "none, Node's defaults"}; env: ${Object.entries(
        agentEnv(),
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}). Command: \`npm run bench --${process.argv
        .slice(2)
        .map((a) => ` ${/\s/.test(a) ? JSON.stringify(a) : a}`)
        .join('')}\`.`,
    '',
  );
  const rowsMain: (string[] | undefined)[] = [
    ['checks', `${fmt(m.checks)} (${types}${mixNote}) in services of 50`, '10,000 (stretch 20,000)', ''],
    ['interval / measured', `${fmt(opts.intervalMs / 1000)} s / ${fmt(m.wall, 1)} s after ${fmt(m.warmupMs / 1000)} s of warm-up`, '', ''],
    ['probes/s achieved (expected)', `${fmt(m.probes / m.wall, 1)} (${fmt(m.expectedRate, 1)} + confirming re-probes)`, '', ''],
    ['missed / overlap-skipped slots', `${fmt(m.missed)} / ${fmt(m.overlap)}`, 'no missed slots', judge(m.missed === 0)],
    ['agent CPU (kernel part)', `${fmt(cpuShare * 100, 1)}% of one core (${fmt((m.system / m.cpu) * 100)}% in the kernel)`, '< 50%', judge(cpuShare < 0.5)],
    ['agent CPU per probe (incl. scrapes)', `${fmt((m.cpu / m.probes) * 1e6)} µs`, '', ''],
    ['RSS at start / max / end of the window', `${fmt(m.rssStart)} / ${fmt(m.rssMax)} / ${fmt(m.rssEnd)} MiB`, '≤ 300 MiB', judge(m.rssMax <= 300)],
    [
      'RSS peak during the warm-up (peak ever, VmHWM)',
      m.warmupPeak.at === 0
        ? // Never above what it had when it first answered: the peak was the config load, before.
          `${fmt(m.warmupPeak.rss)} MiB when it first answered, never above in the warm-up (${fmt(m.rssPeak)} MiB, during start-up)`
        : `${fmt(m.warmupPeak.rss)} MiB at ${fmt(m.warmupPeak.at, 1)} s after it first answered (${fmt(m.rssPeak)} MiB)`,
      '≤ 300 MiB',
      judge(m.rssPeak <= 300),
    ],
    [
      'RSS projected once histories are full (estimate)',
      grown
        ? `${fmt(projectedRss)} MiB, as at the end: every check's history has all its ${HISTORY_SIZE} slots (from its ${HISTORY_INITIAL_SLOTS + 1}th result; ${fmt(m.resultsPerCheck, 1)} so far), and allocates no more for further results`
        : `${fmt(projectedRss)} MiB: each check holds ${fmt(m.resultsPerCheck, 1)} of its last ${HISTORY_SIZE} results so far; at its ${HISTORY_INITIAL_SLOTS + 1}th its history grows from ${HISTORY_INITIAL_SLOTS} slots to ${HISTORY_SIZE}, at ~${HISTORY_ENTRY_BYTES} B a slot`,
      '≤ 300 MiB',
      judge(projectedRss <= 300),
    ],
    [
      'JS heap used / heap total / external at the end; by space (used / total)',
      `${fmt(m.heap.used)} / ${fmt(m.heap.total)} / ${fmt(m.heap.external)} MiB; ${m.heap.spaces.map((x) => `${x.space} ${fmt(x.used)} / ${fmt(x.total)}`).join(', ')} MiB`,
      '',
      '',
    ],
    [
      'scheduler lateness p50 / p99 / max (histogram bounds)',
      `${bound(lat.p50, lat)} / ${bound(lat.p99, lat)} / ${bound(lat.max, lat)}; mean ${ms(lat.mean * 1000)} (n = ${fmt(lat.count)})`,
      'p99 ≤ 10 ms, max ≤ 100 ms',
      judge(lat.p99 <= 0.01 && lat.max <= 0.1),
    ],
    [
      'slot regularity at the targets: |gap − interval| p50 / p99 / max',
      `${ms(m.jitter.p50)} / ${ms(m.jitter.p99)} / ${ms(m.jitter.max)} (n = ${fmt(m.jitter.count)})`,
      '',
      '',
    ],
    [
      'drift: mean gap − interval; lateness mean 1st / 2nd half',
      `${ms(m.jitter.drift)}; ${halves ? `${ms(halves[0]!.lateness.mean * 1000)} / ${ms(halves[1]!.lateness.mean * 1000)} (probes/s ${fmt(halves[0]!.rate, 1)} / ${fmt(halves[1]!.rate, 1)})` : '–'}`,
      'no drift',
      judge(Math.abs(m.jitter.drift) < 5),
    ],
    [
      '/metrics response median / max',
      `${ms(median(m.metricsMs))} / ${ms(metricsMax)} (${m.metricsMs.length} scrapes, ${m.metricsMs.filter((x) => x > METRICS_MS).length} over ${METRICS_MS} ms)`,
      `≤ ${METRICS_MS} ms`,
      judge(metricsMax <= METRICS_MS),
    ],
    [
      '/metrics in the warm-up, scraped from the start as Prometheus does: the first / the others, median / max',
      m.warmupMetricsMs.length
        ? `${ms(m.warmupMetricsMs[0]!)} / ${m.warmupMetricsMs.length > 1 ? `${ms(median(m.warmupMetricsMs.slice(1)))} / ${ms(Math.max(...m.warmupMetricsMs.slice(1)))}` : '–'} (${m.warmupMetricsMs.length} scrapes, every ${fmt(opts.scrapeMs / 1000)} s from the start)`
        : 'none (the warm-up is not 1.5 scrape periods long)',
      '',
      '',
    ],
    m.slowest
      ? [
          "the window's slowest scrape: when, and the agent's blocks and GC pauses in it (1 ms watch)",
          `${ms(m.slowest.ms)}, scrape ${m.slowest.index + 1} of ${m.metricsMs.length} (${fmt(m.slowest.atS, 1)} s into the window); ` +
            `longest block at most ${ms(m.slowest.block.ms)} (the 100-ms polls around it); ` +
            `GC pauses ≥ 1 ms in it ${ms(m.slowest.gc.reduce((a, g) => a + g.ms, 0))}${describeGc(m.slowest.gc)}`,
          '',
          '',
        ]
      : undefined,
    [
      '/metrics series / size; largest families',
      `${fmt(m.series)} / ${fmt(m.metricsBytes / 1048576, 1)} MiB; ${m.families.map(([f, n]) => `${f} ${fmt(n)}`).join(', ')}`,
      '',
      '',
    ],
    m.block
      ? [
          'longest event-loop block (1 ms watch; GC pauses in it)',
          `${ms(m.block.ms)}${describeGc(m.block.gc)}; ${m.block.over} of ${fmt(m.block.polls)} 100-ms polls over 50 ms`,
          '≤ 50 ms',
          judge(m.block.ms <= 50),
        ]
      : ['longest event-loop block (1 ms watch)', opts.blockWatch ? 'not measured: the watch wrote nothing' : 'not measured (--no-watch)', '', ''],
    [
      "the same, as the agent's nodejs_eventloop_lag_max_seconds reads it (a 10 ms timer: up to ~10 ms more, and the timers run before it)",
      ms(m.loopMaxMs),
      m.block ? '' : '≤ 50 ms',
      m.block ? '' : judge(m.loopMaxMs <= 50),
    ],
    [
      'GC pauses on the main thread (major / minor / incremental)',
      `${fmt((m.gc['major'] ?? 0) / m.wall, 1)} / ${fmt((m.gc['minor'] ?? 0) / m.wall, 1)} / ${fmt((m.gc['incremental'] ?? 0) / m.wall, 1)} ms per second`,
      '',
      '',
    ],
    ['state-file writes/s', fmt(m.stateWrites / m.wall, 2), '0 while nothing changes', judge(m.stateWrites === 0)],
    ['/api/v1/status response (median of 3) / size', `${ms(m.statusMs)} / ${fmt(m.statusBytes / 1048576, 1)} MiB`, '', ''],
    [
      "longest event-loop block while answering /api/v1/status (1 ms watch; the agent's reading)",
      `${m.statusBlock ? `${ms(m.statusBlock.ms)}${describeGc(m.statusBlock.gc)}` : 'not measured'}; ${ms(m.statusLoopMaxMs)}`,
      '≤ 50 ms',
      judge((m.statusBlock?.ms ?? m.statusLoopMaxMs) <= 50),
    ],
    ['start-up (spawn → /healthz) / stop (SIGTERM → exit)', `${ms(m.startMs)} / ${ms(m.stopMs)}, exit code ${m.exitCode}`, '', ''],
    ['targets process CPU (not the agent)', `${fmt(m.targetsCpu * 100, 1)}% of one core`, '', ''],
  ];
  lines.push(
    table(
      ['figure', 'value', 'target', ''],
      rowsMain.filter((r) => r !== undefined),
    ),
    '',
  );
  if (rows.length > 0) {
    lines.push(
      `#### CPU per probe: raqib vs blackbox_exporter ${env.blackbox} (${fmt(rows[0]!.checks)} checks' worth each)`,
      '',
      'A fresh TCP connection per probe on both sides. raqib\'s HTTPS resumes the TLS session of the endpoint, as it ships (a full, verified handshake at least every 10 minutes and after any failure); "HTTPS, full handshake" turns that off (`tls_resume: false`), as blackbox_exporter always does a full handshake.',
      '',
    );
    const cmp = rows.map((r) => {
      const bb = r.blackbox;
      const ratio = bb ? r.raqib.usPerProbe / bb.usPerProbe : NaN;
      return [
        r.type === 'http' ? 'HTTP' : r.type === 'https' ? 'HTTPS, resumed' : r.type === 'https-full' ? 'HTTPS, full handshake' : r.type.toUpperCase(),
        `${fmt(r.raqib.rate, 1)} (${fmt(r.rate, 1)})`,
        `${fmt(r.raqib.cpu * 100, 1)}%`,
        `${fmt(r.raqib.usPerProbe)} µs (${fmt(r.raqib.system * 100)}% kernel)`,
        bb ? `${fmt(bb.rate, 1)}${bb.failed || bb.pending ? ` (${fmt(bb.failed)} failed, ${fmt(bb.pending)} unanswered)` : ''}` : '–',
        bb ? `${fmt(bb.cpu * 100, 1)}%` : '–',
        bb ? `${fmt(bb.usPerProbe)} µs (${fmt(bb.system * 100)}% kernel)` : 'not run',
        bb ? `${fmt(ratio, 2)}` : '–',
        bb ? (full || opts.compareChecks >= 10_000 ? verdict(ratio <= 0.5) : 'n/a') : '',
        `${fmt(r.targetsCpu * 100, 1)}%`,
      ];
    });
    lines.push(
      table(
        [
          'probe',
          'raqib probes/s (expected)',
          'raqib CPU',
          'raqib µs/probe',
          'blackbox probes/s',
          'blackbox CPU',
          'blackbox µs/probe',
          'raqib / blackbox',
          '≤ 0.5',
          'targets CPU',
        ],
        cmp,
      ),
      '',
    );
    const allIn = allInComparison(m, rows);
    if (allIn) lines.push(allIn, '');
    const failing = rows.filter((r) => r.raqib.failures > 0).map((r) => `${r.type}: ${fmt(r.raqib.failures)} down results`);
    if (failing.length) lines.push(`Note: probes of healthy targets failed in the comparison (${failing.join('; ')}): the machine was overloaded.`, '');
  }
  if (m.profile) lines.push(profileSection(`Agent CPU profile of the measured window (${m.profileFile})`, m.profile), '');
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const before = machine();
  if (before.load1 > 0.5) log(`the machine is busy (load average ${fmt(before.load1, 2)} over the last minute): figures will be noisy`);
  let useBlackbox = opts.compare.length > 0 && opts.blackbox !== 'off';
  if (useBlackbox && !blackboxInstalled()) {
    if (opts.blackbox === 'on') installBlackbox(log);
    else {
      log('prometheus-blackbox-exporter is not installed: comparing raqib only (--blackbox on installs it)');
      useBlackbox = false;
    }
  }
  process.once('exit', () => spawned.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const dir = await mkdtemp(join(tmpdir(), 'raqib-bench-'));
  // An interrupted run removes its directory too (its processes are gone by then).
  if (!opts.keep && !opts.cpuProf) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const targets = await startTargets(opts.intervalMs);
  try {
    const m = await mainRun(opts, dir, targets);
    if (m.probes <= 0) throw new Error('the agent ran no probe in the measured window');
    const rows: CompareRow[] = [];
    for (const type of opts.compare) rows.push(await compareRun(type, opts, dir, targets, useBlackbox));
    const text = report(opts, m, rows, { before, after: machine(), blackbox: useBlackbox ? blackboxVersion() : '(not run)', node: process.version });
    process.stdout.write(`${text}\n`);
    if (opts.out) await writeFile(opts.out, `${text}\n`);
    if (m.exitCode !== 0) log(`the agent exited with ${m.exitCode} on SIGTERM`);
    return 0;
  } finally {
    await targets.close();
    if (opts.keep || opts.cpuProf) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
