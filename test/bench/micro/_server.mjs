// Loopback targets for the micro-benchmarks, in a process of their own so that only the client's
// CPU is measured: a TCP port that accepts, an HTTP and an HTTPS server (fixture certificate).
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { fork } from 'node:child_process';

export const TLS_DIR = new URL('../../fixtures/tls/', import.meta.url).pathname;

/** Forks this file as a server process; resolves with its ports and a stop function. */
export async function startServers() {
  const child = fork(new URL(import.meta.url).pathname, ['serve']);
  const ports = await new Promise((resolve) => child.once('message', resolve));
  return { ...ports, stop: () => child.kill() };
}

if (process.argv[2] === 'serve') {
  const ok = (req, res) => {
    req.resume();
    res.end('ok');
  };
  const tcp = net.createServer((s) => {
    s.on('error', () => undefined);
    s.resume();
  });
  const plain = http.createServer(ok);
  const secure = https.createServer({ cert: readFileSync(`${TLS_DIR}localhost.crt`), key: readFileSync(`${TLS_DIR}localhost.key`) }, ok);
  secure.on('tlsClientError', () => undefined);
  const listen = (s) => new Promise((r) => s.listen(0, '127.0.0.1', () => r(s.address().port)));
  process.send({ tcp: await listen(tcp), http: await listen(plain), https: await listen(secure) });
}
