/**
 * The benchmark's HTTP reader, in a worker thread of its own. The benchmark's main thread holds
 * parsed /metrics snapshots of tens of MiB (20,000 checks); its garbage collections, while a
 * 15 MiB answer streams in, stopped the reading, the agent's socket filled, and the agent then
 * waited for 'drain': the time measured was partly the benchmark's own. A worker has a heap and
 * an event loop of its own, so it reads as Prometheus does, at once, and only this is timed.
 *
 * Each message { id, url, timeoutMs } is answered with { id, status, ms, from, to, body } (the body
 * as a transferred ArrayBuffer) or { id, error }. `from` and `to` are on the clock the agent's block
 * watch writes in (http-get.ts), so that a slow scrape can be laid beside the agent's blocks and GC
 * pauses of that time.
 */
import * as http from 'node:http';
import { parentPort } from 'node:worker_threads';
import { httpGet, type Timed } from './http-get.js';

export interface ScrapeRequest {
  id: number;
  url: string;
  timeoutMs: number;
}

export type ScrapeAnswer = ({ id: number; status: number; body: ArrayBuffer } & Timed) | { id: number; error: string };

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

async function get({ url, timeoutMs }: ScrapeRequest): Promise<Timed & { status: number; body: ArrayBuffer }> {
  const { status, ms, from, to, body } = await httpGet(url, keepAlive, timeoutMs);
  // An ArrayBuffer of its own (a small body may be a slice of Buffer's shared pool), so that it
  // can be transferred rather than copied.
  const own =
    body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body.buffer : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  return { status, ms, from, to, body: own as ArrayBuffer };
}

parentPort!.on('message', (msg: ScrapeRequest) => {
  get(msg).then(
    (r) => parentPort!.postMessage({ id: msg.id, ...r } satisfies ScrapeAnswer, [r.body]),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies ScrapeAnswer),
  );
});
