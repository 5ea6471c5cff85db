/**
 * Process start-up for `raqib probe`, paid before any probe and without contacting any target.
 *
 * A fresh process's first HTTPS probe measured ~40 ms against a loopback server whose probes take
 * ~3 ms in a running agent (`raqib probe` on Node 20, 2 cores): parsing the trust store into a
 * SecureContext (~20 ms), the resolver's first lookup, and the first run of the TLS and HTTP client
 * code. A user checking a config would read SLOW where the agent reads OK. Each of those is done
 * here instead, against an HTTP server of this process on 127.0.0.1:
 *
 * - every selected http and tls check (and grpc and websocket check over TLS, as a tls check), aimed at that server over TLS with its own trust
 *   (`ca_file` or Node's roots, built and memoized exactly as its real probe will use them): the
 *   server answers in plain HTTP, so the handshake fails right after the ClientHello (no server
 *   certificate is needed), having built the TLS client and its context;
 * - one http check over plain HTTP to that server: the request, response and body code;
 * - a lookup of `localhost`: the resolver's threads and libraries.
 *
 * The copies carry no headers, body or redirects of the real check, so nothing of it (a token in
 * a header) leaves for anywhere. What stays cold is what only a target can warm (its DNS name,
 * the first verified handshake): probe.ts probes each check twice for that.
 */
import { promises as dns } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CheckConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { runProbe } from '../probes/registry.js';

/** A warm-up probe of our own server answers at once; this only bounds a broken one. */
const WARM_UP_TIMEOUT_MS = 2_000;

/** Copies of `checks` aimed at `port` on 127.0.0.1, one per kind of connection they make. */
function warmUpChecks(checks: CheckConfig[], port: number): CheckConfig[] {
  const out = new Map<string, CheckConfig>();
  for (const c of checks) {
    if (c.type === 'http') {
      const quiet = { ...c, method: 'GET' as const, headers: {}, body: undefined, max_redirects: 0 };
      out.set(`https|${c.ca_file ?? ''}|${c.insecure}`, { ...quiet, url: `https://127.0.0.1:${port}/` });
      if (!out.has('http')) out.set('http', { ...quiet, url: `http://127.0.0.1:${port}/` });
    } else if (c.type === 'tls') {
      out.set(`tls|${c.ca_file ?? ''}`, { ...c, host: '127.0.0.1', port, servername: undefined });
    } else if ((c.type === 'grpc' && c.tls) || (c.type === 'websocket' && c.url.startsWith('wss:'))) {
      // Their TLS set-up (trust, client) is the tls probe's: warmed through a copy of that type.
      const { id, critical, ca_file } = c;
      out.set(`tls|${ca_file ?? ''}`, { id, critical, type: 'tls', host: '127.0.0.1', port, ca_file, expect: { cert_valid_days: 14 } });
    }
  }
  return [...out.values()];
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Warms this process for probing `checks` (see the file's TSDoc) and says how long it took, in
 * ms. Never fails: a warm-up that goes wrong leaves that much of the cost to the first probes.
 */
export async function warmUp(checks: CheckConfig[], log: Logger): Promise<number> {
  const t0 = performance.now();
  const server = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  try {
    const port = await listen(server);
    await dns.lookup('localhost').catch(() => undefined);
    for (const check of warmUpChecks(checks, port)) {
      await runProbe(check, { signal: AbortSignal.timeout(WARM_UP_TIMEOUT_MS), log, timeoutMs: WARM_UP_TIMEOUT_MS });
    }
  } catch (err) {
    log.debug({ err }, 'probe warm-up failed');
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return performance.now() - t0;
}
