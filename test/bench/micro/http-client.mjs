// Client CPU of one plain-HTTP exchange over a fresh connection (connect, request, response, close):
// a socket handed to node:http's client (what the HTTP probe does) or to a one-off undici Client
// (what it did until it was measured here and with promotion.mjs). The server runs in another process.
// No `agent: false` for node:http: with it, node:http ignores `createConnection` and opens a
// connection of its own, which is not the exchange on the timed socket that the probe makes.
//   node test/bench/micro/http-client.mjs
import * as http from 'node:http';
import * as net from 'node:net';
import { Client } from 'undici';
import { startServers } from './_server.mjs';

const servers = await startServers();
const port = servers.http;
const origin = `http://127.0.0.1:${port}`;
const connect = () =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
const viaUndici = async (graceful) => {
  const socket = await connect();
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
};
const viaNodeHttp = async () => {
  const socket = await connect();
  await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ok', headers: { host: `127.0.0.1:${port}`, 'user-agent': 'raqib-micro' }, setHost: false, createConnection: () => socket }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  socket.destroy();
};
const variants = {
  'undici Client, destroy() (the probe until 2026-11-29)': () => viaUndici(false),
  'undici Client, close()': () => viaUndici(true),
  'node:http request on the socket (the probe today)': viaNodeHttp,
};
for (const round of [0, 1]) {
  for (const [name, fn] of Object.entries(variants)) {
    const n = 4000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i += 20) await Promise.all(Array.from({ length: 20 }, fn));
    const c = process.cpuUsage(c0);
    if (round === 1) console.log(`${name}: ${((c.user + c.system) / n).toFixed(0)} µs client CPU per exchange`);
  }
}
servers.stop();
