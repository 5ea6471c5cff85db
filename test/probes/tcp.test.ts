import { afterEach, describe, expect, it } from 'vitest';
import { BANNER_CAP, tcpProbe } from '../../agent/probes/tcp.js';
import { probeContext, tcpCheck } from '../helpers/check-config.js';
import { closedPort, startSilentTarget, startTcpTarget, type Target } from '../helpers/targets.js';

const open: Target[] = [];
const track = <T extends Target>(t: T): T => (open.push(t), t);
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('tcpProbe connect', () => {
  it('is up when the port accepts, with connect and total phases and no dns for an IP', async () => {
    const t = track(await startTcpTarget());
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.connect!);
    expect(r.phases.dns).toBeUndefined();
    await t.idle();
  });

  it('resolves a host name first and records the dns phase', async () => {
    const t = track(await startTcpTarget());
    const r = await tcpProbe(tcpCheck({ host: 'localhost', port: t.port }), probeContext());
    expect(r.code).toBe('OK');
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: await closedPort() }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
    expect(r.detail).toContain('connecting');
  });

  it('reports an unresolvable host as DNS_NXDOMAIN', async () => {
    const r = await tcpProbe(tcpCheck({ host: 'nope.invalid', port: 80 }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'DNS_NXDOMAIN' });
  });
});

describe('tcpProbe banner', () => {
  it('is up when the expected banner arrives, even split across packets after a delay', async () => {
    const t = track(await startTcpTarget({ banner: 'SSH-2.0-OpenSSH_9.6\r\n', delayMs: 50 }));
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, expect: { banner: 'SSH-2.0' } }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.detail).toContain('SSH-2.0-OpenSSH');
    await t.idle();
  });

  it('sends the configured text and matches the reply', async () => {
    const t = track(await startTcpTarget({ reply: (line) => (line === 'PING' ? '+PONG\r\n' : '-ERR\r\n') }));
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, send: 'PING\r\n', expect: { banner: '+PONG' } }), probeContext());
    expect(r.code).toBe('OK');
    expect(t.received()).toBe('PING\r\n');
  });

  it('reports a different banner followed by a hang-up as TCP_BANNER_MISMATCH with what was received', async () => {
    const t = track(await startTcpTarget({ banner: '220 mail ready\r\n\u0007', closeAfterBanner: true }));
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, expect: { banner: 'SSH-2.0' } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TCP_BANNER_MISMATCH' });
    expect(r.detail).toContain('220 mail ready\\r\\n\\u0007');
    expect(r.detail).toContain('closed');
  });

  it('reports a peer that hangs up without sending a byte as TCP_CLOSED, not as a wrong banner', async () => {
    const t = track(await startTcpTarget({ banner: '', closeAfterBanner: true }));
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, expect: { banner: 'SSH-2.0' } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TCP_CLOSED' });
    expect(r.detail).toContain('closed the connection without sending anything');
    expect(r.detail).toContain('SSH-2.0');
  });

  it('stops reading at the cap when the peer floods without the banner', async () => {
    const t = track(await startTcpTarget({ banner: 'x'.repeat(BANNER_CAP * 4) }));
    const started = Date.now();
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, expect: { banner: 'READY' } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'TCP_BANNER_MISMATCH' });
    expect(r.detail).toContain(`${BANNER_CAP} bytes`);
    expect(r.detail.length).toBeLessThan(400);
    expect(Date.now() - started).toBeLessThan(2000);
    await t.idle();
  });

  it('times out promptly when the peer never sends the banner, and hangs up', async () => {
    const t = track(await startSilentTarget());
    const started = Date.now();
    const r = await tcpProbe(tcpCheck({ host: '127.0.0.1', port: t.port, expect: { banner: 'SSH' } }), probeContext(300));
    expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
    expect(r.detail).toContain('banner');
    expect(Date.now() - started).toBeLessThan(1300);
    await t.idle();
  });
});
