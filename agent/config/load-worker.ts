/**
 * The worker-thread half of load-isolated.ts: loads one config file with loadConfigFile and posts
 * back the result, the problems of a ConfigError, or the message and stack of any other error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, isConfigError } from '../errors.js';
import { loadConfigFile } from './load.js';
import type { LoadRequest, LoadReply } from './load-isolated.js';

const { file, env } = workerData as LoadRequest;
let reply: LoadReply;
try {
  reply = { loaded: await loadConfigFile(file, { env }) };
} catch (err) {
  reply = isConfigError(err) ? { problems: err.problems } : { error: { message: describeError(err), stack: err instanceof Error ? err.stack : undefined } };
}
parentPort!.postMessage(reply);
