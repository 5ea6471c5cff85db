/**
 * The built agent (dist/agent/main.js) as a child process, run the way an operator runs it.
 * With log_level warn the agent does not log "listening", so its address is read from
 * data_dir/agent.json, which it writes once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { httpGet, type Timed } from './http-get.js';
import { agentEnv } from './node-flags.js';
import { AGENT_MAIN, track } from './paths.js';
import { parseExposition, type Snapshot } from './prom.js';
import type { ScrapeAnswer, ScrapeRequest } from './scrape-worker.js';

/** Metric families the benchmark reads from /metrics. */
export const FAMILIES = [
  'raqib_probes_total',
  'raqib_probes_skipped_total',
  'raqib_schedule_lateness_seconds',
  'raqib_state_writes_total',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_active_handles_total',
  'nodejs_gc_duration_seconds',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_total_bytes',
];

/** A scrape of /metrics: its time (request sent to last body byte) and the page's figures. */
export interface Scrape extends Timed {
  snap: Snapshot;
  /** monotonic ms (performance.now()) when the response was complete. */
  at: number;
}

export interface AgentRun {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Spawn to /healthz answering, ms. */
  startMs: number;
  scrape(): Promise<Scrape>;
  get(path: string): Promise<Timed & { bytes: number; status: number }>;
  stop(): Promise<number | null>;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** GET over a kept-alive connection; resolves with the body once complete, and the time it took. */
export async function fetchText(url: string, timeoutMs = 60_000): Promise<{ status: number; body: string; ms: number }> {
  const { status, body, ms } = await httpGet(url, keepAlive, timeoutMs);
  return { status, body: body.toString('utf8'), ms };
}

/**
 * GETs made by the reader thread of scrape-worker.ts, whose timing the benchmark's own garbage
 * collection cannot stretch. One reader per agent run; end() stops it.
 */
export function timedReader(): { get(url: string, timeoutMs?: number): Promise<Timed & { status: number; body: Buffer }>; end(): Promise<number> } {
  const worker = new Worker(new URL('./scrape-worker.js', import.meta.url));
  worker.unref();
  const waiting = new Map<number, { resolve: (a: ScrapeAnswer) => void; reject: (e: Error) => void }>();
  let next = 0;
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (a: ScrapeAnswer) => {
    const w = waiting.get(a.id);
    waiting.delete(a.id);
    w?.resolve(a);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the benchmark's reader thread exited (${code})`)));
  return {
    get: async (url, timeoutMs = 60_000) => {
      const id = next++;
      const answer = await new Promise<ScrapeAnswer>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, url, timeoutMs } satisfies ScrapeRequest);
      });
      if ('error' in answer) throw new Error(answer.error);
      // The body as bytes: a caller that only counts them (the warm-up's scrapes, /api/v1/status)
      // need not decode 16 MiB on the benchmark's main thread, beside the agent on two cores.
      return { status: answer.status, body: Buffer.from(answer.body), ms: answer.ms, from: answer.from, to: answer.to };
    },
    end: () => worker.terminate(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartAgentOptions {
  dir: string;
  yaml: string;
  /** The node binary (default: the one running the benchmark). */
  node?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Write everything the agent prints, stdout and stderr interleaved as they arrive, to this file as well. */
  logFile?: string;
  /** Extra environment variables for the agent. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export async function startAgentProcess(opts: StartAgentOptions): Promise<AgentRun> {
  const configFile = join(opts.dir, 'raqib.yaml');
  const dataDir = join(opts.dir, 'data');
  await writeFile(configFile, opts.yaml);
  const t0 = performance.now();
  const child = track(
    spawn(opts.node ?? process.execPath, [...(opts.nodeArgs ?? []), AGENT_MAIN, 'run', '--config', configFile], {
      cwd: opts.dir,
      env: { ...process.env, ...agentEnv(), ...opts.env, RAQIB_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stderr = '';
  let stdout = '';
  const log = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  log?.on('error', () => undefined); // a full disk must not end the run; the log is a by-product
  child.once('close', () => log?.end()); // 'close': after the last output, which may follow 'exit'
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    log?.write(d);
  });
  child.stdout!.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-20_000);
    log?.write(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  let url = '';
  while (!url) {
    if (gone) throw new Error(`the agent exited before listening:\n${stderr}\n${stdout.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the agent did not start within ${opts.startTimeoutMs ?? 120_000} ms:\n${stderr}\n${stdout.slice(-4000)}`);
    }
    try {
      const info = JSON.parse(await readFile(join(dataDir, 'agent.json'), 'utf8')) as { pid: number; url: string };
      if (info.pid === child.pid) url = info.url;
    } catch {
      // not written yet
    }
    if (!url) await sleep(50);
  }
  for (;;) {
    try {
      if ((await fetchText(`${url}/healthz`, 5000)).status === 200) break;
    } catch {
      // not serving yet
    }
    if (gone || Date.now() > deadline) throw new Error(`the agent never answered /healthz:\n${stderr}`);
    await sleep(50);
  }
  const startMs = performance.now() - t0;
  const reader = timedReader();

  return {
    child,
    pid: child.pid!,
    url,
    startMs,
    scrape: async () => {
      const res = await reader.get(`${url}/metrics`);
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
      const at = performance.now();
      return { snap: parseExposition(res.body.toString('utf8'), FAMILIES), ms: res.ms, at, from: res.from, to: res.to };
    },
    get: async (path) => {
      const res = await reader.get(`${url}${path}`);
      return { ms: res.ms, bytes: res.body.length, status: res.status, from: res.from, to: res.to };
    },
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      await reader.end();
      return code;
    },
  };
}
