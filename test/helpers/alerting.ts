/**
 * Debian's prometheus-blackbox-exporter and prometheus-alertmanager, started by a test on loopback
 * with their own configs in a temporary directory. Neither can listen on port 0: a free port is
 * found first and handed over, and the daemon is started again on another if it was taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closedPort } from './targets.js';

export const BLACKBOX_BIN = process.env['BLACKBOX_EXPORTER_BIN'] ?? '/usr/bin/prometheus-blackbox-exporter';
export const ALERTMANAGER_BIN = process.env['ALERTMANAGER_BIN'] ?? '/usr/bin/prometheus-alertmanager';

export interface Daemon {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<Daemon>();

/** Stops every daemon a test started; call from afterEach. */
export async function stopDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop()));
  running.clear();
}

async function startDaemon(name: string, bin: string, args: (port: number) => string[], readyPath: string): Promise<Daemon> {
  if (!existsSync(bin)) throw new Error(`${bin} not found: apt-get install ${name} (as .ci/run does)`);
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await closedPort();
    const child = spawn(bin, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    if (await ready(`${url}${readyPath}`, exited)) {
      const daemon: Daemon = { url, output: () => output, stop: () => stop(child, exited) };
      running.add(daemon);
      return daemon;
    }
    last = output;
    await stop(child, exited);
    if (!/address already in use/i.test(output)) break;
  }
  throw new Error(`${name} did not start:\n${last}`);
}

async function ready(url: string, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (const until = Date.now() + 20_000; Date.now() < until && !gone; await new Promise((r) => setTimeout(r, 100))) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
  }
  return false;
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** blackbox_exporter with one module, `http_2xx`. */
export async function startBlackbox(dir: string): Promise<Daemon> {
  const config = join(dir, 'blackbox.yml');
  await writeFile(config, ['modules:', '  http_2xx:', '    prober: http', '    timeout: 1s', '    http:', '      preferred_ip_protocol: ip4', ''].join('\n'));
  return startDaemon(
    'prometheus-blackbox-exporter',
    BLACKBOX_BIN,
    (port) => [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`],
    '/-/healthy',
  );
}

/** Alertmanager without clustering, with `config` (alertmanager.yml) as written. */
export async function startAlertmanager(dir: string, config: string): Promise<Daemon> {
  const file = join(dir, 'alertmanager.yml');
  await writeFile(file, config);
  const storage = join(dir, 'alertmanager-data');
  await mkdir(storage, { recursive: true });
  return startDaemon(
    'prometheus-alertmanager',
    ALERTMANAGER_BIN,
    (port) => [`--config.file=${file}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    '/-/ready',
  );
}
