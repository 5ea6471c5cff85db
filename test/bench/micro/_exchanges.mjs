// What the micro-benchmarks share besides the servers (_server.mjs): a fresh loopback connection,
// one GET /ok on it through undici or node:http as the HTTP probe hands its socket over, and an
// HTTP check as the agent's config schema makes it. Run after `npm run build` (it reads dist/).
import * as http from 'node:http';
import * as net from 'node:net';
import { Client } from 'undici';
import { configSchema } from '../../../dist/agent/config/schema.js';

/** A connected TCP socket to 127.0.0.1:port. */
export function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** GET /ok on a fresh socket handed to a one-off undici Client, as the probe did until 2026-11-29; then destroy() or close(). */
export async function viaUndici(port, { graceful = false } = {}) {
  const origin = `http://127.0.0.1:${port}`;
  const socket = await connect(port);
  let handed = false;
  const client = new Client(origin, {
    connect: (_o, cb) =>
      queueMicrotask(() => {
        if (handed) return cb(new Error('socket already used'), null);
        handed = true;
        cb(null, socket);
      }),
  });
  await new Promise((resolve, reject) => {
    client.dispatch(
      { origin, path: '/ok', method: 'GET', headers: { 'user-agent': 'raqib-micro' } },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd: () => resolve(),
        onResponseError: (_c, err) => reject(err),
      },
    );
  });
  if (graceful) await client.close();
  else await client.destroy().catch(() => undefined);
  socket.destroy();
}

/**
 * GET /ok on a fresh socket handed to node:http, as the probe does. No `agent: false`: with it,
 * node:http ignores `createConnection` and opens a connection of its own.
 */
export async function viaNodeHttp(port) {
  const socket = await connect(port);
  await new Promise((resolve, reject) => {
    const headers = { host: `127.0.0.1:${port}`, 'user-agent': 'raqib-micro' };
    const req = http.request({ path: '/ok', headers, setHost: false, createConnection: () => socket }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  socket.destroy();
}

/** An `http` check with the schema's defaults, for calling the agent's httpProbe directly. */
export function httpCheck(url, extra = {}) {
  return configSchema.parse({
    agent: { id: 'bench' },
    entity: { code: 'BENCH', name: { ar: 'b', en: 'b' } },
    services: [{ id: 's', name: { ar: 's', en: 's' }, checks: [{ id: 'c', type: 'http', url, ...extra }] }],
  }).services[0].checks[0];
}
