import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { startServer, type AgentServer } from '../../agent/server/server.js';

let server: AgentServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server whose /metrics is `pieces()`: only the /metrics handler matters here. */
async function serve(pieces: () => AsyncIterable<string>): Promise<AgentServer> {
  server = await startServer('127.0.0.1', 0, {
    log: createLogger({ level: 'silent' }),
    authToken: () => undefined,
    metrics: () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', chunks: pieces() }),
    readiness: () => ({ ready: true, reasons: [] }),
    api: () => undefined,
  });
  return server;
}

const PIECE = 64 * 1024;
const piece = (i: number) => `# piece ${i}\n`.padEnd(PIECE - 1, 'x') + '\n';

describe('/metrics', () => {
  it('writes every piece in order, waiting for the socket without piling up listeners', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { address } = await serve(async function* () {
        for (let i = 0; i < 60; i++) yield piece(i); // 3.75 MiB: write() says "wait" at every piece
      });
      const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body.length).toBe(60 * PIECE);
      expect(body).toBe(Array.from({ length: 60 }, (_, i) => piece(i)).join(''));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('stops making pieces when the scraper goes away', async () => {
    let made = 0;
    let closed!: () => void;
    const finished = new Promise<void>((resolve) => (closed = resolve));
    const { address } = await serve(async function* () {
      try {
        for (;;) {
          made++;
          yield piece(made);
        }
      } finally {
        closed();
      }
    });
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: address.port, path: '/metrics' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    await finished; // the generator was closed (its finally ran), not left waiting for 'drain'
    const after = made;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(made).toBe(after);
  });
});
