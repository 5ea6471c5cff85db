/**
 * One GET over the given connection pool: the status, the whole body and the time from sending the
 * request to its last byte. Used by the benchmark's main thread (health checks) and by its reader
 * thread (scrape-worker.ts), which times what the report prints.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';

export function httpGet(url: string, agent: http.Agent, timeoutMs: number): Promise<{ status: number; body: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
