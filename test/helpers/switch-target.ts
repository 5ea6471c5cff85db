/**
 * A service whose health a test flips: `GET /health` answers 200 "ok" while up and 503 while down.
 * End-to-end tests use it to play an outage and a recovery against a real agent process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SwitchTarget {
  url: string;
  port: number;
  hits(): number;
  set(up: boolean): void;
  close(): Promise<void>;
}

export async function startSwitchTarget(up = true): Promise<SwitchTarget> {
  let healthy = up;
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' }).end(healthy ? 'ok' : 'unavailable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    hits: () => hits,
    set: (value) => (healthy = value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
