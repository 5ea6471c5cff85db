// Client CPU per HTTPS probe of the agent's own httpProbe (from dist/agent), fresh connection
// every time: full handshakes (tls_resume: false, or no session cache) against resumed sessions.
//   npm run build && node test/bench/micro/https-probe.mjs
import { httpProbe } from '../../../dist/agent/probes/http.js';
import { TlsSessions } from '../../../dist/agent/probes/tls-sessions.js';
import { createLogger } from '../../../dist/agent/log.js';
import { httpCheck } from './_exchanges.mjs';
import { startServers, TLS_DIR } from './_server.mjs';

const servers = await startServers();
const check = (extra) => httpCheck(`https://localhost:${servers.https}/ok`, { ca_file: `${TLS_DIR}ca.crt`, ...extra });
const log = createLogger({ level: 'silent' });
const cases = [
  ['full handshake (tls_resume: false)', check({ tls_resume: false })],
  ['resumed session (tls_resume: true)', check({})],
];
for (const round of [0, 1]) {
  for (const [name, c] of cases) {
    const tlsSessions = new TlsSessions();
    const n = 1500;
    let ok = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i += 10) {
      const rs = await Promise.all(Array.from({ length: 10 }, () => httpProbe(c, { signal: AbortSignal.timeout(5000), log, timeoutMs: 5000, tlsSessions })));
      ok += rs.filter((r) => r.code === 'OK').length;
    }
    const u = process.cpuUsage(c0);
    if (round === 1) console.log(`${name}: ${((u.user + u.system) / n).toFixed(0)} µs client CPU per probe (${ok}/${n} OK)`);
  }
}
servers.stop();
