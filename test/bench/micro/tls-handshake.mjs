// What a verified TLS handshake costs the client in Node, and what session resumption saves.
// 1. Node's own onConnectSecure calls getPeerCertificate(true) (the whole chain, as objects) for
//    checkServerIdentity after every verified full handshake; this times every call.
// 2. Client CPU per HTTPS exchange (connect, handshake, request, response, close): full handshake
//    vs a resumed session.
//   node test/bench/micro/tls-handshake.mjs
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { startServers, TLS_DIR } from './_server.mjs';

const servers = await startServers();
const calls = { true: [0, 0n], false: [0, 0n] };
const original = tls.TLSSocket.prototype.getPeerCertificate;
tls.TLSSocket.prototype.getPeerCertificate = function (detailed) {
  const t0 = process.hrtime.bigint();
  const r = original.call(this, detailed);
  const c = calls[Boolean(detailed)];
  c[0]++;
  c[1] += process.hrtime.bigint() - t0;
  return r;
};
const trust = tls.createSecureContext({ ca: [...tls.rootCertificates, readFileSync(`${TLS_DIR}ca.crt`, 'utf8')] });
let session;
const exchange = (resume) =>
  new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: servers.https,
      secureContext: trust,
      ALPNProtocols: ['http/1.1'],
      ...(resume && session ? { session } : {}),
    });
    s.on('session', (x) => (session = x));
    s.once('secureConnect', () => {
      s.getPeerCertificate(); // what the HTTP probe reads for the expiry
      s.write('GET /ok HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
    });
    s.on('data', () => undefined);
    s.once('end', () => {
      resolve(s.isSessionReused());
      s.destroy();
    });
    s.once('error', reject);
  });
for (const round of [0, 1]) {
  for (const resume of [false, true]) {
    for (const c of Object.values(calls)) ((c[0] = 0), (c[1] = 0n));
    const n = 1500;
    let reused = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i += 10) reused += (await Promise.all(Array.from({ length: 10 }, () => exchange(resume)))).filter(Boolean).length;
    const c = process.cpuUsage(c0);
    if (round === 0) continue; // warm-up round
    const per = (k) => (calls[k][0] ? `${(Number(calls[k][1]) / 1000 / calls[k][0]).toFixed(0)} µs × ${calls[k][0]}` : 'not called');
    console.log(
      `${resume ? 'resumed session' : 'full handshake '}: ${((c.user + c.system) / n).toFixed(0)} µs client CPU per HTTPS exchange ` +
        `(${reused}/${n} resumed); getPeerCertificate(true): ${per('true')}; getPeerCertificate(): ${per('false')}`,
    );
  }
}
servers.stop();
