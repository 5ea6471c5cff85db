/**
 * The websocket probe against a real WebSocket server (the `ws` package), ws:// and wss:// with
 * the fixture CA, and servers that answer the handshake wrongly. What reach.ts makes of each
 * result is asserted beside it: an HTTP answer (but a gateway's) or a 101 shows the agent can see.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { reachedHost } from '../../agent/probes/reach.js';
import { WS_MESSAGE_CAP, websocketProbe } from '../../agent/probes/websocket.js';
import { FrameReader } from '../../agent/probes/websocket-frames.js';
import { probeContext, websocketCheck } from '../helpers/check-config.js';
import { CA_FILE, closedPort, startSilentTarget, type Target } from '../helpers/targets.js';
import { startWsServer, type WsServer } from '../helpers/ws-server.js';

const open: (WsServer | Target)[] = [];
const track = <T extends WsServer | Target>(t: T): T => (open.push(t), t);
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Resolves once the server has no connection open: the probe closed its own. */
async function closed(s: WsServer): Promise<void> {
  for (let i = 0; i < 200 && s.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(s.open()).toBe(0);
}

describe('websocketProbe over ws://', () => {
  it('is up on a handshake alone, with connect, ttfb and total phases, and closes the connection', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/silent` }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK', httpStatus: 101 });
    expect(r.detail).toMatch(/^handshake with ws:\/\/127\.0\.0\.1:\d+\/silent in \d+ ms$/);
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.ttfb).toBeGreaterThanOrEqual(0);
    expect(r.phases.transfer).toBeUndefined();
    await closed(s);
  });

  it('sends the configured text masked, as a client must, and matches the echo; transfer is the wait for it', async () => {
    const s = track(await startWsServer());
    const check = websocketCheck({ url: `ws://localhost:${s.port}/echo?token=secret`, send: 'ping 42', expect: { message_matches: '^ping \\d+$' } });
    const r = await websocketProbe(check, probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(s.received).toEqual(['ping 42']); // ws refuses unmasked client frames
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.phases.transfer).toBeGreaterThanOrEqual(0);
    expect(r.detail).not.toContain('secret');
    await closed(s);
  });

  it('sends configured headers with the handshake, and its own where they would clash', async () => {
    const s = track(await startWsServer());
    await websocketProbe(
      websocketCheck({ url: `ws://127.0.0.1:${s.port}/silent`, headers: { Origin: 'https://moh.gov.sa', 'Sec-WebSocket-Version': '8' } }),
      probeContext(),
    );
    expect(s.handshakes[0]).toMatchObject({ origin: 'https://moh.gov.sa', 'sec-websocket-version': '13', 'user-agent': expect.stringMatching(/^raqib\//) });
  });

  it('answers a ping before the first message, which then arrives', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/ping-first`, expect: { message_contains: 'pong seen' } }), probeContext());
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('says a first message that does not match as WS_MESSAGE_MISMATCH, with what came', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/greet`, expect: { message_contains: 'welcome v2' } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'WS_MESSAGE_MISMATCH', httpStatus: 101 });
    expect(r.detail).toBe(`the first message does not contain "welcome v2", got "welcome v1" (ws://127.0.0.1:${s.port}/greet)`);
    expect(reachedHost('websocket', r)).toBe(true);
  });

  it('says no message within the timeout as WS_NO_MESSAGE, an answer from the host all the same', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/silent`, expect: { message_contains: 'hello' } }), probeContext(300));
    expect(r).toMatchObject({ status: 'down', code: 'WS_NO_MESSAGE' });
    expect(r.detail).toContain('no message within 300 ms after the handshake');
    expect(reachedHost('websocket', r)).toBe(true);
    await closed(s);
  });

  it('says a close before any message as WS_CLOSED, with its code and reason', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/close`, expect: { message_contains: 'hello' } }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'WS_CLOSED' });
    expect(r.detail).toContain('closed the WebSocket (1011 "going away")');
  });

  it('reads at most the cap of a large message: a match in it is up, a miss is the agent limit WS_MESSAGE_TOO_LARGE', async () => {
    const s = track(await startWsServer());
    const url = `ws://127.0.0.1:${s.port}/big`;
    expect(await websocketProbe(websocketCheck({ url, expect: { message_matches: '^x+$' } }), probeContext())).toMatchObject({ status: 'up' });
    const r = await websocketProbe(websocketCheck({ url, expect: { message_contains: 'end' } }), probeContext());
    expect(r).toMatchObject({ status: 'degraded', code: 'WS_MESSAGE_TOO_LARGE' });
    expect(r.detail).toContain(`the first ${WS_MESSAGE_CAP} bytes of a longer message does not contain "end"`);
  });

  it('says an HTTP answer instead of 101 as HTTP_STATUS: 503 is an answer from the host, 502 is a gateway', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/status/503` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'HTTP_STATUS', httpStatus: 503 });
    expect(r.detail).toContain('got 503, expected 101 Switching Protocols');
    expect(reachedHost('websocket', r)).toBe(true);
    const ok = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/status/200` }), probeContext());
    expect(ok).toMatchObject({ status: 'down', code: 'HTTP_STATUS', httpStatus: 200 });
    const gateway = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/status/502` }), probeContext());
    expect(reachedHost('websocket', gateway)).toBe(false);
  });

  it('says a 101 whose Sec-WebSocket-Accept does not answer the key as WS_HANDSHAKE_INVALID', async () => {
    const s = track(await startWsServer());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/bad-accept` }), probeContext());
    expect(r).toMatchObject({ status: 'down', code: 'WS_HANDSHAKE_INVALID' });
    expect(r.detail).toContain('does not answer the key sent');
  });

  it('says a 101 without Upgrade, or with a subprotocol never offered, as WS_HANDSHAKE_INVALID', async () => {
    const s = track(await startWsServer());
    const bare = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/no-upgrade` }), probeContext());
    expect(bare).toMatchObject({ status: 'down', code: 'WS_HANDSHAKE_INVALID' });
    const evil = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${s.port}/evil-protocol` }), probeContext());
    expect(evil).toMatchObject({ status: 'down', code: 'WS_HANDSHAKE_INVALID' });
    expect(evil.detail).toContain('the server chose a subprotocol that was not offered ("evil")');
    const offered = websocketCheck({ url: `ws://127.0.0.1:${s.port}/evil-protocol`, headers: { 'Sec-WebSocket-Protocol': 'chat, evil' } });
    expect(await websocketProbe(offered, probeContext())).toMatchObject({ status: 'up', code: 'OK' });
  });

  it('says a refused connection as ECONNREFUSED and a silent server as TIMEOUT, neither proving anything', async () => {
    const refused = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${await closedPort()}/` }), probeContext());
    expect(refused).toMatchObject({ status: 'down', code: 'ECONNREFUSED' });
    expect(reachedHost('websocket', refused)).toBe(false);
    const t = track(await startSilentTarget());
    const r = await websocketProbe(websocketCheck({ url: `ws://127.0.0.1:${t.port}/` }), probeContext(300));
    expect(r).toMatchObject({ status: 'down', code: 'TIMEOUT' });
    expect(r.detail).toContain('while waiting for the handshake');
    expect(reachedHost('websocket', r)).toBe(false);
    await t.idle();
  });
});

describe('websocketProbe over wss://', () => {
  it('is up through a certificate the fixture CA issued, with a tls phase and the expiry', async () => {
    const s = track(await startWsServer({ tls: 'localhost' }));
    const r = await websocketProbe(
      websocketCheck({ url: `wss://localhost:${s.port}/greet`, ca_file: CA_FILE, expect: { message_contains: 'welcome' } }),
      probeContext(),
    );
    expect(r).toMatchObject({ status: 'up', code: 'OK' });
    expect(r.phases.tls).toBeGreaterThanOrEqual(0);
    expect(r.tlsCertExpiry).toBeGreaterThan(Date.now() / 1000);
    await closed(s);
  });

  it('refuses an untrusted certificate (TLS_CERT_UNTRUSTED) and one for another name (TLS_HOSTNAME_MISMATCH)', async () => {
    const s = track(await startWsServer({ tls: 'localhost' }));
    expect(await websocketProbe(websocketCheck({ url: `wss://localhost:${s.port}/greet` }), probeContext())).toMatchObject({ code: 'TLS_CERT_UNTRUSTED' });
    const w = track(await startWsServer({ tls: 'wronghost' }));
    expect(await websocketProbe(websocketCheck({ url: `wss://localhost:${w.port}/greet`, ca_file: CA_FILE }), probeContext())).toMatchObject({
      code: 'TLS_HOSTNAME_MISMATCH',
    });
    expect(await websocketProbe(websocketCheck({ url: `wss://localhost:${w.port}/greet`, insecure: true }), probeContext())).toMatchObject({ code: 'OK' });
  });
});

describe('FrameReader', () => {
  it('joins fragments, and refuses a masked frame from a server', () => {
    const reader = new FrameReader(1024);
    expect(reader.push(Buffer.from([0x01, 0x02, 0x68, 0x65]))).toEqual([]);
    expect(reader.push(Buffer.from([0x80, 0x01, 0x79]))).toEqual([{ kind: 'message', binary: false, data: Buffer.from('hey'), truncated: false }]);
    expect(new FrameReader(1024).push(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61]))).toEqual([{ kind: 'error', why: 'a masked frame from the server' }]);
  });
});
