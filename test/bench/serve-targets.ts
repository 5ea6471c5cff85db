/**
 * The benchmark's target servers as a process of their own, forked by main.ts, so that their CPU
 * is neither counted as the agent's nor slowed by the benchmark's own work (parsing /metrics,
 * driving blackbox_exporter). Talks over the IPC channel:
 *   → { type: 'ready', addresses }          once listening
 *   ← { type: 'jitter-start' }              start collecting arrival gaps of /ok?c=<id>
 *   ← { type: 'jitter-stop' }   → { type: 'jitter', stats }
 *   ← { type: 'close' }                     close everything and exit
 */
import { startBenchTargets } from './lib/targets.js';

const intervalMs = Number(process.argv[2] ?? 30_000);
const send = (msg: unknown) => process.send?.(msg);

const targets = await startBenchTargets(intervalMs);
process.on('message', (msg: { type?: string }) => {
  if (msg.type === 'jitter-start') targets.startJitter();
  else if (msg.type === 'jitter-stop') send({ type: 'jitter', stats: targets.stopJitter() });
  else if (msg.type === 'close') void targets.close().then(() => process.exit(0));
});
process.on('disconnect', () => void targets.close().then(() => process.exit(0)));
send({ type: 'ready', addresses: targets.addresses });
