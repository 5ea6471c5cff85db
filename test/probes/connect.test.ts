import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { openConnection } from '../../agent/probes/connect.js';
import type { ProbePhases } from '../../agent/probes/types.js';
import { startHttpTarget, type Target } from '../helpers/targets.js';

const open: Target[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('openConnection over TLS', () => {
  it('gives the error of a handshake that fails as it starts, not a closed socket', async () => {
    // OpenSSL refuses to start: no protocol version of this context is allowed at its security level.
    const t = await startHttpTarget({ tls: 'localhost' });
    open.push(t);
    const phases: Partial<ProbePhases> = {};
    const err = (await openConnection({
      host: '127.0.0.1',
      port: t.port,
      signal: AbortSignal.timeout(5_000),
      phases,
      tls: { trust: tls.createSecureContext({ minVersion: 'TLSv1', maxVersion: 'TLSv1' }), rejectUnauthorized: true },
    }).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toMatch(/^ERR_SSL_/);
    expect(err.message).not.toMatch(/socket closed during connection set-up/);
    expect(phases.connect).toBeGreaterThanOrEqual(0);
    expect(phases.tls).toBeUndefined();
    await t.idle();
  });
});
