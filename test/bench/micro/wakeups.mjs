// How much of a probe's CPU is the process waking up for it? Runs the agent's own TCP probe
// (dist/agent/probes/tcp.js; `npm run build` first) against a loopback port at a steady rate, one
// probe per timer wake-up or a few per wake-up, and prints client CPU per probe (user + system).
//   node test/bench/micro/wakeups.mjs
import { tcpProbe } from '../../../dist/agent/probes/tcp.js';
import { createLogger } from '../../../dist/agent/log.js';
import { startServers } from './_server.mjs';

const servers = await startServers();
const log = createLogger({ level: 'warn' });
const check = { id: 'x', type: 'tcp', host: '127.0.0.1', port: servers.tcp, expect: {} };
const ctx = () => ({ signal: new AbortController().signal, log, timeoutMs: 5000 });

for (const [rate, perWake] of [
  [100, 1],
  [100, 5],
  [333, 1],
  [333, 4],
  [1000, 1],
]) {
  const seconds = 8;
  const n = rate * seconds;
  let done = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => {
    let sent = 0;
    const tick = () => {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < Math.min(due, n)) {
        sent++;
        void tcpProbe(check, ctx()).then(() => ++done === n && resolve());
      }
      if (sent < n) setTimeout(tick, (1000 / rate) * perWake);
    };
    tick();
  });
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / n;
  console.log(`${rate} probes/s, ${perWake} per wake-up: ${us.toFixed(0)} µs CPU per probe`);
}
// Back to back, 10 at a time: the probe's own cost with wake-ups amortised.
const c0 = process.cpuUsage();
for (let i = 0; i < 5000; i += 10) await Promise.all(Array.from({ length: 10 }, () => tcpProbe(check, ctx())));
const c = process.cpuUsage(c0);
console.log(`back to back, 10 at a time: ${((c.user + c.system) / 5000).toFixed(0)} µs CPU per probe`);
servers.stop();
