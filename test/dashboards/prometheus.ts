/**
 * A real Prometheus (Debian's `prometheus` package, which .ci/run installs) started by the test
 * on loopback with its own config and a temporary TSDB, and promtool. Prometheus cannot listen on
 * port 0, so a free port is found by binding port 0 first and handed over; if another process
 * takes it in between, Prometheus exits and is started again on another port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { closedPort } from '../helpers/targets.js';

/** The absolute path of an executable: `$ENV_VAR` if set, else the first `name` on PATH. */
function which(name: string, envVar: string): string | undefined {
  const explicit = process.env[envVar];
  if (explicit) return explicit;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const PROMETHEUS = which('prometheus', 'PROMETHEUS_BIN');
export const PROMTOOL = which('promtool', 'PROMTOOL_BIN');
export const MISSING = [PROMETHEUS ? '' : 'prometheus', PROMTOOL ? '' : 'promtool'].filter(Boolean);
export const INSTALL_HINT = "install Debian's prometheus package (apt-get install prometheus), as .ci/run does, or set PROMETHEUS_BIN and PROMTOOL_BIN";

export function promtool(args: string[], cwd: string): { code: number | null; out: string } {
  if (!PROMTOOL) throw new Error(`promtool not found: ${INSTALL_HINT}`);
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

export interface QueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

export interface PrometheusServer {
  url: string;
  /** An instant query through /api/v1/query; rejects with PrometheusError when Prometheus refuses it. */
  query(expr: string): Promise<QueryResult>;
  /** GET /api/v1/<path> and its `data`. */
  api<T>(path: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  dir: string;
  /** host:port of the agent to scrape. */
  target?: string;
  ruleFiles: string[];
  /** Config after `global:` and `rule_files:`, instead of one job scraping `target`. */
  scrapeConfig?: string;
  /** More command-line flags. */
  args?: string[];
}

/** Starts Prometheus scraping `target` every second and evaluating the rules every second. */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  if (!PROMETHEUS) throw new Error(`prometheus not found: ${INSTALL_HINT}`);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    ...(opts.scrapeConfig !== undefined
      ? [opts.scrapeConfig]
      : ['scrape_configs:', '  - job_name: raqib', '    static_configs:', `      - targets: [${JSON.stringify(opts.target)}]`]),
    '',
  ].join('\n');
  const configFile = join(opts.dir, 'prometheus.yml');
  await writeFile(configFile, config);
  let lastOutput = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await closedPort();
    const storage = join(opts.dir, `tsdb-${attempt}`);
    await mkdir(storage);
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        '--storage.tsdb.retention.time=1d',
        ...(opts.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitReady(url, exited, 20_000);
    if (ready) return server(url, child, exited, () => output);
    lastOutput = output;
    await stopChild(child, exited);
    if (!/address already in use/i.test(output)) break;
  }
  throw new Error(`prometheus did not start:\n${lastOutput}`);
}

async function waitReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !gone) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function server(url: string, child: ChildProcess, exited: Promise<number | null>, output: () => string): PrometheusServer {
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data?: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new PrometheusError(body.error ?? `HTTP ${res.status}`, body.errorType ?? 'unknown');
    return body.data as T;
  };
  return {
    url,
    api,
    query: (expr) => api<QueryResult>(`query?${new URLSearchParams({ query: expr, time: String(Date.now() / 1000) })}`),
    output,
    stop: () => stopChild(child, exited),
  };
}
