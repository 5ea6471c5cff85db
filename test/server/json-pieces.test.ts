import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { JsonPieces, startServer, type AgentServer } from '../../agent/server/server.js';

let server: AgentServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PIECES = ['{"services":[', '{"id":"a"}', ',{"id":"b"}', '],"n":2}'];

/** A server whose /api/v1/big is given in pieces and /api/v1/small whole. */
async function serve(): Promise<string> {
  server = await startServer('127.0.0.1', 0, {
    log: createLogger({ level: 'silent' }),
    authToken: () => undefined,
    metrics: () => ({ contentType: 'text/plain', chunks: (async function* () {})() }),
    readiness: () => ({ ready: true, reasons: [] }),
    api: (path) =>
      path === 'big'
        ? new JsonPieces(
            (async function* () {
              yield* PIECES;
            })(),
          )
        : path === 'small'
          ? { n: 1 }
          : undefined,
  });
  return `http://127.0.0.1:${server.address.port}/api/v1`;
}

describe('/api/v1 answers given in pieces', () => {
  it('are written as one JSON body, with the headers of a whole answer but no length', async () => {
    const base = await serve();
    const res = await fetch(`${base}/big`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.json()).toEqual({ services: [{ id: 'a' }, { id: 'b' }], n: 2 });
    const small = await fetch(`${base}/small`);
    expect(small.headers.get('content-type')).toBe(res.headers.get('content-type'));
    expect(await small.json()).toEqual({ n: 1 });
  });

  it('answer HEAD with the headers only', async () => {
    const base = await serve();
    const res = await fetch(`${base}/big`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('');
  });
});
