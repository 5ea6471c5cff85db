/**
 * Debian's prometheus-blackbox-exporter, started by the benchmark on loopback with its own module
 * config and driven the way Prometheus drives it: `/probe?target=…&module=…` requests over a
 * kept-alive connection, here at the same rate the agent probes. blackbox_exporter opens a fresh
 * connection for every probe by design (its HTTP client disables keep-alive), as raqib does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { closedPort } from '../../helpers/targets.js';
import { track } from './paths.js';
import type { TargetAddresses } from './targets.js';

export const BLACKBOX_BIN = '/usr/bin/prometheus-blackbox-exporter';

/** Probe types compared; `https-full` is raqib with `tls_resume: false`, a full handshake per probe as blackbox_exporter does. */
export type Comparable = 'http' | 'https' | 'https-full' | 'tcp' | 'dns';

export function blackboxInstalled(): boolean {
  return existsSync(BLACKBOX_BIN);
}

/** Installs the Debian package quietly (as root, or with sudo); says so on stderr. Throws on failure. */
export function installBlackbox(log: (line: string) => void): void {
  log('prometheus-blackbox-exporter is missing: installing it with apt-get (Debian package)');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...sudo, ...args];
    execFileSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'prometheus-blackbox-exporter']);
  if (!blackboxInstalled()) throw new Error(`apt-get installed prometheus-blackbox-exporter but ${BLACKBOX_BIN} is not there`);
}

export function blackboxVersion(): string {
  try {
    const out = execFileSync(BLACKBOX_BIN, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    return /version (\S+)/.exec(`${e.stdout ?? ''}${e.stderr ?? ''}`)?.[1] ?? 'unknown';
  }
}

export interface Blackbox {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export async function startBlackbox(dir: string, targets: TargetAddresses, timeoutMs: number): Promise<Blackbox> {
  const configFile = join(dir, 'blackbox.yml');
  const timeout = `${Math.max(1, Math.round(timeoutMs / 1000))}s`;
  await writeFile(
    configFile,
    [
      'modules:',
      '  http_2xx:',
      '    prober: http',
      `    timeout: ${timeout}`,
      '    http: { preferred_ip_protocol: ip4, ip_protocol_fallback: false }',
      '  https_2xx:',
      '    prober: http',
      `    timeout: ${timeout}`,
      `    http: { preferred_ip_protocol: ip4, ip_protocol_fallback: false, tls_config: { ca_file: ${JSON.stringify(targets.caFile)} } }`,
      '  tcp_connect:',
      '    prober: tcp',
      `    timeout: ${timeout}`,
      '    tcp: { preferred_ip_protocol: ip4, ip_protocol_fallback: false }',
      '  dns_a:',
      '    prober: dns',
      `    timeout: ${timeout}`,
      '    dns: { preferred_ip_protocol: ip4, ip_protocol_fallback: false, transport_protocol: udp, query_name: svc-1.bench.test, query_type: A }',
      '',
    ].join('\n'),
  );
  const port = await closedPort();
  const child = track(
    spawn(BLACKBOX_BIN, [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(`${url}/-/healthy`, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) break;
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`blackbox_exporter did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    pid: child.pid!,
    url,
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The `/probe` query for one probe type against the benchmark's healthy targets. */
export function probePath(type: Comparable, t: TargetAddresses): string {
  const q = (target: string, module: string) => `/probe?target=${encodeURIComponent(target)}&module=${module}`;
  switch (type) {
    case 'http':
      return q(`http://127.0.0.1:${t.http[0]!}/ok?c=blackbox`, 'http_2xx');
    case 'https':
    case 'https-full':
      return q(`https://127.0.0.1:${t.https}/ok?c=blackbox`, 'https_2xx');
    case 'tcp':
      return q(`127.0.0.1:${t.tcp}`, 'tcp_connect');
    case 'dns':
      return q(t.dns, 'dns_a');
  }
}

export interface DriveResult {
  sent: number;
  ok: number;
  failed: number;
  /** Requests still unanswered 10 s after the last was sent (counted neither ok nor failed). */
  pending: number;
}

/**
 * Issues `rate` probe requests a second, evenly spread, for `seconds`, over a pool of kept-alive
 * connections; a probe is ok when the exporter answers `probe_success 1`.
 */
export async function drive(bb: Blackbox, path: string, rate: number, seconds: number, concurrency = 512): Promise<DriveResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: DriveResult = { sent: 0, ok: 0, failed: 0, pending: 0 };
  let inFlight = 0;
  const one = () => {
    result.sent++;
    inFlight++;
    const req = http.get(`${bb.url}${path}`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        inFlight--;
        if (/^probe_success 1$/m.test(body)) result.ok++;
        else result.failed++;
      });
    });
    req.on('error', () => {
      inFlight--;
      result.failed++;
    });
  };
  // Each request at its own moment (t0 + k/rate), as Prometheus spreads the scrapes of many
  // targets over the interval and as raqib spreads its checks: batching them would spare the
  // exporter wake-ups that the agent pays.
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1000) * rate) + 1);
      while (result.sent < due) one();
      if (result.sent >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + (result.sent / rate) * 1000 - performance.now()));
    };
    tick();
  });
  // Let the last probes finish (they are in the CPU window the caller measures), within a grace.
  const graceUntil = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < graceUntil) await new Promise((r) => setTimeout(r, 10));
  result.pending = inFlight;
  agent.destroy();
  return result;
}
