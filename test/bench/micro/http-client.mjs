// Client CPU of one plain-HTTP exchange over a fresh connection (connect, request, response, close):
// a socket handed to node:http's client (what the HTTP probe does) or to a one-off undici Client
// (what it did until it was measured here and with promotion.mjs). The server runs in another process.
//   node test/bench/micro/http-client.mjs
import { viaNodeHttp, viaUndici } from './_exchanges.mjs';
import { startServers } from './_server.mjs';

const servers = await startServers();
const port = servers.http;
const variants = {
  'undici Client, destroy() (the probe until 2026-11-29)': () => viaUndici(port),
  'undici Client, close()': () => viaUndici(port, { graceful: true }),
  'node:http request on the socket (the probe today)': () => viaNodeHttp(port),
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
