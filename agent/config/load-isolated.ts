/**
 * loadConfigFile in a worker thread, for the daemon's start-up and reloads. Parsing and
 * validating a big config takes far more memory than the result: `raqib check-config` peaks at
 * ~240 MiB RSS on a 20,000-check file, whose result is a heap of ~20 MiB. In the main thread,
 * Node 22's V8 keeps most of those pages after the garbage is collected (RSS stayed at ~240 MiB
 * for a 24 MiB heap). A worker's heap is freed whole when it exits; only the structured clone of
 * the result stays (and the thread's malloc arena, ~3 MiB). The clone also makes every string
 * anew, so no config value keeps the file's whole text alive as the parent of a slice.
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
export type LoadReply = { loaded: LoadedConfig } | { problems: ConfigProblem[] } | { error: { message: string; stack: string | undefined } };

/** The worker's module: load-worker.ts, compiled beside this file. */
const LOAD_WORKER = new URL('./load-worker.js', import.meta.url);

/**
 * Same contract as loadConfigFile: the LoadedConfig, or a ConfigError naming file, line and field.
 * `worker` is for tests, which run workers that fail in each way this must report.
 */
export function loadConfigIsolated(file: string, options: LoadOptions = {}, worker: URL = LOAD_WORKER): Promise<LoadedConfig> {
  const request: LoadRequest = { file, env: { ...(options.env ?? process.env) } };
  return new Promise<LoadedConfig>((resolve, reject) => {
    const failed = (why: string, cause?: unknown) => new Error(`loading ${file} in a worker thread failed: ${why}`, { cause });
    const thread = new Worker(worker, { workerData: request });
    let reply: LoadReply | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    thread.once('message', (message: LoadReply) => (reply = message));
    thread.once('messageerror', (err) => settle(() => reject(failed('its answer could not be read', err))));
    thread.once('error', (err) => settle(() => reject(failed(err.message, err))));
    thread.once('exit', (code) =>
      settle(() => {
        if (reply === undefined) reject(failed(`it exited with code ${code} and no result`));
        else if ('loaded' in reply) resolve(reply.loaded);
        else if ('problems' in reply) reject(new ConfigError(reply.problems));
        else reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack ?? reply.error.message }));
      }),
    );
  });
}
