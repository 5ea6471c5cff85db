/**
 * A real nginx (Debian's `nginx` package, which test/ensure-debian.sh installs) started by a
 * test on loopback with its own config, document root, temp paths and logs in a temporary
 * directory: one process (`master_process off`), in the foreground, as whatever user runs the
 * tests. nginx cannot listen on port 0, so a free port is found first and handed over; if another
 * process takes it in between, nginx exits and is started again on another port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { closedPort } from './targets.js';

/** `$NGINX_BIN`, else nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH). */
function findNginx(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin'];
  for (const file of [process.env['NGINX_BIN'], ...dirs.filter(Boolean).map((d) => join(d, 'nginx'))]) {
    if (!file) continue;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const NGINX = findNginx();

export interface Nginx {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts nginx serving `files` (path under the document root → contents) with `locations` (the
 * `location` blocks of its one server, as nginx config text).
 */
export async function startNginx(files: Record<string, string | Buffer>, locations: string): Promise<Nginx> {
  if (!NGINX) throw new Error("nginx not found: install Debian's nginx package (npm test does, through test/ensure-debian.sh), or set NGINX_BIN");
  const dir = await mkdtemp(join(tmpdir(), 'raqib-nginx-'));
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'www', path)), { recursive: true });
    await writeFile(join(dir, 'www', path), contents);
  }
  await mkdir(join(dir, 'tmp'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`);
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await closedPort();
    const config = [
      'daemon off;',
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      ...temp,
      '  types { text/html html; application/json json; }',
      '  default_type application/octet-stream;',
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${join(dir, 'www')};`,
      locations,
      '  }',
      '}',
      '',
    ].join('\n');
    await writeFile(join(dir, 'nginx.conf'), config);
    const child = spawn(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (await listening(port, exited)) {
      return {
        url: `http://127.0.0.1:${port}`,
        stop: async () => {
          await stopChild(child, exited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child, exited);
    lastError = `${stderr}${await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')}`;
    if (!/address already in use/i.test(lastError)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start:\n${lastError}`);
}

/** Whether nginx (its Server header, not another process that took the port) answers before it exits or 10 s pass. */
async function listening(port: number, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (const until = Date.now() + 10_000; Date.now() < until && !gone;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(String(res.headers.server).startsWith('nginx'));
      });
      req.on('error', () => resolve(false));
    });
    if (up && !gone) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
