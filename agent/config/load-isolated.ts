/**
 * loadConfigFile in a worker thread, for the daemon's start-up and reloads. Parsing and
 * validating a big config takes far more heap than the result: ~240 MiB at its peak for a
 * 20,000-check file, of which ~20 MiB is the result. In the main thread, Node 22's V8 keeps most
 * of those pages after the garbage is collected (RSS stayed at ~240 MiB for a 24 MiB heap). A
 * worker's heap is freed whole when it exits; only the structured clone of the result stays.
 * The clone also makes every string anew, keeping fresh-copy.ts's one-byte strings.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { LoadedConfig, LoadOptions } from './load.js';

/** What the worker is given (its workerData). */
export interface LoadRequest {
  file: string;
  env: Record<string, string | undefined>;
}

/** What the worker posts back: exactly one of the three. */
export type LoadReply = { loaded: LoadedConfig } | { problems: ConfigProblem[] } | { error: string };

/** Same contract as loadConfigFile: the LoadedConfig, or a ConfigError naming file, line and field. */
export function loadConfigIsolated(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const request: LoadRequest = { file, env: { ...(options.env ?? process.env) } };
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: request });
  return new Promise<LoadedConfig>((resolve, reject) => {
    let reply: LoadReply | undefined;
    worker.once('message', (message: LoadReply) => (reply = message));
    worker.once('error', (err) => reject(new Error(`loading ${file} in a worker thread failed: ${err.message}`)));
    worker.once('exit', (code) => {
      if (reply === undefined) reject(new Error(`loading ${file} in a worker thread failed: it exited with code ${code} and no result`));
      else if ('loaded' in reply) resolve(reply.loaded);
      else if ('problems' in reply) reject(new ConfigError(reply.problems));
      else reject(new Error(reply.error));
    });
  });
}
