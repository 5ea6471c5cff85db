/**
 * Runs the built agent (dist/agent/main.js) as a child process, the way an operator does, and
 * gives tests its log lines, its HTTP address and ways to signal it. `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'dist/agent/main.js');

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface AgentProcess {
  child: ChildProcess;
  dir: string;
  configFile: string;
  /** http://127.0.0.1:PORT once the agent logged "listening". */
  url: string;
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  api<T = unknown>(path: string): Promise<T>;
  metrics(): Promise<string>;
  /** GET a path of the agent's server (through StartOptions.fetch when given): status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dir?: string;
  args?: string[];
  /** Do not wait for "listening" (for agents expected to refuse to start). */
  noWait?: boolean;
  /** argv prefix the agent runs under (e.g. a network namespace: test/helpers/netlab.ts). */
  wrap?: string[];
  /** How to reach the agent's server when the test's own network cannot (a wrapped agent). */
  fetch?: (url: string) => Promise<{ status: number; body: string }>;
}

/** Runs `node dist/agent/main.js <args>` to completion and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { ...process.env, RAQIB_CONFIG: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

export async function startAgent(configYaml: string, opts: StartOptions = {}): Promise<AgentProcess> {
  const dir = opts.dir ?? (await tempDir('raqib-e2e-'));
  const configFile = join(dir, 'raqib.yaml');
  await writeFile(configFile, configYaml);
  const argv = [process.execPath, MAIN, ...(opts.args ?? ['run', '--config', configFile])];
  const [command, ...args] = [...(opts.wrap ?? []), ...argv];
  const child = spawn(command!, args, {
    cwd: dir,
    env: { ...process.env, RAQIB_CONFIG: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, raw: true };
      }
      logs.push(line);
      for (const w of [...waiters])
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs = 15_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  };
  const agent: AgentProcess = {
    child,
    dir,
    configFile,
    url: '',
    logs,
    exited,
    waitForLog,
    stderr: () => stderr,
    get: async (path) => {
      if (opts.fetch) return opts.fetch(`${agent.url}${path}`);
      const res = await fetch(`${agent.url}${path}`);
      return { status: res.status, body: await res.text() };
    },
    api: async <T>(path: string) => {
      const res = await agent.get(`/api/v1/${path}`);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      return JSON.parse(res.body) as T;
    },
    metrics: async () => (await agent.get('/metrics')).body,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (!opts.noWait) {
    const listening = await Promise.race([
      waitForLog((l) => l.msg === 'listening'),
      exited.then((code) => {
        throw new Error(`agent exited with ${code} before listening: ${stderr}`);
      }),
    ]);
    agent.url = `http://127.0.0.1:${listening['port'] as number}`;
    await waitForLog((l) => l.msg === 'raqib started');
  }
  running.add(agent);
  return agent;
}

const running = new Set<AgentProcess>();

/** Kills every agent a test left running; call from afterEach. */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((a) => a.stop('SIGKILL')));
  running.clear();
}

/** Polls `probe` until it returns a truthy value or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The value of one sample in Prometheus text, or undefined when the series is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
