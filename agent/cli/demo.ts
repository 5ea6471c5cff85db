/**
 * `raqib demo`: the whole loop in about half a minute, narrated — a local service fails and
 * recovers, the agent detects it, files with the built-in sandbox authority on behalf of a demo
 * crisis team, the authority acknowledges and sends guidance, the outage ends, the team adds the
 * actions taken, and the final report closes it. Everything runs in this process, on loopback,
 * in a temporary data_dir; nothing reaches the real authority.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { demoConfig, narrate } from './demo-story.js';
import { usage, type Io } from './common.js';

export async function demoCommand(args: string[], io: Io): Promise<number> {
  const { values } = usage('demo', () => parseArgs({ args, options: { keep: { type: 'boolean' } }, strict: true }));
  const started = Date.now();
  const say = (text: string) => {
    const s = Math.round((Date.now() - started) / 1000);
    io.out(`  [${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${text}\n`);
  };

  let healthy = true;
  const service = createServer((_req, res) => res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(healthy ? 'ok' : 'unavailable'));
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/health`;
  const dataDir = await mkdtemp(join(tmpdir(), 'raqib-demo-'));

  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const story = narrate({ say, serviceUrl, finish, setHealthy: (up) => (healthy = up) });
  const lines = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          story.onLog(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      cb();
    },
  });

  io.out('raqib demo — detect an outage, report it to the authority, follow it to the final report.\n');
  io.out('Everything runs here, on loopback, with the BUILT-IN SANDBOX authority: nothing reaches the real one.\n\n');
  const loaded = parseConfig(demoConfig(serviceUrl, dataDir), 'demo.yaml');
  const app = createApp({ loaded, log: createLogger({ level: 'info', destination: lines }), reportingTickMs: 500 });
  const timeout = setTimeout(() => {
    say('the story did not finish within 3 minutes; stopping');
    finish(1);
  }, 180_000);
  let code: number;
  try {
    await app.start();
    code = await done;
  } finally {
    clearTimeout(timeout);
    await app.stop();
    await new Promise((resolve) => service.close(resolve));
    if (!values.keep) await rm(dataDir, { recursive: true, force: true });
  }
  io.out(
    values.keep
      ? `\nThe demo's state, audit log and sandbox data are in ${dataDir}\n`
      : "\nRun raqib demo --keep to keep the demo's state, audit log and sandbox data.\n",
  );
  return code;
}
