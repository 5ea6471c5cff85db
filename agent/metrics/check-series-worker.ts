/**
 * The entry of the thread that keeps the per-check families (check-series-thread.ts): each
 * message is a batch of CheckSeriesHost ops, applied in order.
 */
import { parentPort } from 'node:worker_threads';
import { CheckSeriesHost, type Op } from './check-series-host.js';

const port = parentPort!;
const host = new CheckSeriesHost((reply, transfer) => port.postMessage(reply, transfer));
port.on('message', (ops: Op[]) => host.apply(ops));
// A batch that cannot be read would leave the checks wrong: exit, and the agent starts a new
// thread with every check.
port.on('messageerror', (err) => {
  throw err;
});
