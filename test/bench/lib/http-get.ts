/**
 * One GET over the given connection pool: the status, the whole body and when it was sent and
 * its last byte came, on the machine's monotonic clock (monoMs, the one the agent's block watch
 * writes in). Used by the benchmark's main thread (health checks) and by its reader thread
 * (scrape-worker.ts), which times what the report prints.
 */
import * as http from 'node:http';
import { monoMs } from './profile.js';

/** A GET's time: sent (`from`) to its last byte (`to`) in monoMs, and `ms` between them. */
export interface Timed {
  ms: number;
  from: number;
  to: number;
}

export function httpGet(url: string, agent: http.Agent, timeoutMs: number): Promise<Timed & { status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const from = monoMs();
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const to = monoMs();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: to - from, from, to });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
