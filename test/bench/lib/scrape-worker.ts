/**
 * The benchmark's HTTP reader, in a worker thread of its own. The benchmark's main thread holds
 * parsed /metrics snapshots of tens of MiB (20,000 checks); its garbage collections, while a
 * 15 MiB answer streams in, stopped the reading, the agent's socket filled, and the agent then
 * waited for 'drain': the time measured was partly the benchmark's own. A worker has a heap and
 * an event loop of its own, so it reads as Prometheus does, at once, and only this is timed.
 *
 * Each message { id, url, timeoutMs } is answered with { id, status, ms, body } (the body as a
 * transferred ArrayBuffer) or { id, error }.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

export interface ScrapeRequest {
  id: number;
  url: string;
  timeoutMs: number;
}

export type ScrapeAnswer = { id: number; status: number; ms: number; body: ArrayBuffer } | { id: number; error: string };

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

function get({ url, timeoutMs }: ScrapeRequest): Promise<{ status: number; ms: number; body: ArrayBuffer }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: keepAlive, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const ms = performance.now() - t0;
        // An ArrayBuffer of its own (Buffer.concat may hand back a slice of the shared pool),
        // so that it can be transferred rather than copied.
        const body = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) {
          body.set(c, at);
          at += c.length;
        }
        resolve({ status: res.statusCode ?? 0, ms, body: body.buffer });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

parentPort!.on('message', (msg: ScrapeRequest) => {
  get(msg).then(
    (r) => parentPort!.postMessage({ id: msg.id, ...r } satisfies ScrapeAnswer, [r.body]),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies ScrapeAnswer),
  );
});
