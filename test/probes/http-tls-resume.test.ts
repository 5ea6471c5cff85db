import { X509Certificate } from 'node:crypto';
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { TRUST_RECHECK_MS } from '../../agent/probes/connect.js';
import { httpProbe } from '../../agent/probes/http.js';
import { TlsSessions, TLS_SESSION_MAX_AGE_MS } from '../../agent/probes/tls-sessions.js';
import { httpCheck, probeContext } from '../helpers/check-config.js';
import { CA_FILE, startHttpTarget, tlsFixture, type HttpTarget } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';

const EXPIRY = Date.UTC(2046, 0, 1) / 1000; // test/fixtures/tls/localhost.crt
/** The target's certificate as it appears in a session's bytes. */
const LEAF = new X509Certificate(readFileSync(tlsFixture('localhost.crt'))).raw;

let t: HttpTarget;
beforeAll(async () => {
  t = await startHttpTarget({ tls: 'localhost' });
});
afterAll(async () => {
  await t.close();
});

/** Handshakes `target` sees during `fn`. */
async function seen(fn: () => Promise<unknown>, target = t): Promise<{ full: number; resumed: number }> {
  const before = { ...target.handshakes };
  await fn();
  await target.idle();
  return { full: target.handshakes.full - before.full, resumed: target.handshakes.resumed - before.resumed };
}

/** Methods of Node's native TLS handle (TLSWrap) that the tests below replace. */
interface TlsWrap {
  setSession(session: Buffer): void;
  verifyError(): Error | null;
  isSessionReused(): boolean;
}

/**
 * Runs `fn` with methods of Node's native TLS handles replaced by `patch`, which gets the originals:
 * on the prototype the handles share, taken from a socket made for the purpose.
 */
async function withTlsWrap<T>(patch: (original: TlsWrap) => Partial<TlsWrap>, fn: () => Promise<T>): Promise<T> {
  const sample = new tls.TLSSocket(new net.Socket());
  const proto = Object.getPrototypeOf((sample as unknown as { _handle: object })._handle) as TlsWrap;
  sample.destroy();
  const original: TlsWrap = { setSession: proto.setSession, verifyError: proto.verifyError, isSessionReused: proto.isSessionReused };
  Object.assign(proto, patch(original));
  try {
    return await fn();
  } finally {
    Object.assign(proto, original);
  }
}

/**
 * Calls of the native TLS handle's setSession during `fn`: each one has OpenSSL decode the session
 * from bytes (~200 µs of CPU on Node 20's OpenSSL 3.0).
 */
async function sessionsSet(fn: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  await withTlsWrap(
    (original) => ({
      setSession(this: TlsWrap, session: Buffer) {
        calls++;
        return original.setSession.call(this, session);
      },
    }),
    fn,
  );
  return calls;
}

/** A session cache that records each session it hands out to a probe. */
function recordingSessions(): { sessions: TlsSessions; handedOut: Buffer[] } {
  const handedOut: Buffer[] = [];
  const sessions = new (class extends TlsSessions {
    override get(key: string) {
      const cached = super.get(key);
      if (cached) handedOut.push(cached.session);
      return cached;
    }
  })();
  return { sessions, handedOut };
}

/** A clock for TlsSessions that tests move by hand. */
function clock(start = Date.now()) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

describe('HTTPS probes resume TLS sessions on fresh connections', () => {
  it('resumes after one full handshake, reporting the expiry the full handshake saw', async () => {
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
    const check = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE });
    const results: Awaited<ReturnType<typeof httpProbe>>[] = [];
    const counts = await seen(async () => {
      for (let i = 0; i < 3; i++) results.push(await httpProbe(check, ctx));
    });
    expect(counts).toEqual({ full: 1, resumed: 2 });
    for (const r of results) {
      expect(r).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: EXPIRY });
      expect(r.phases.tls).toBeGreaterThanOrEqual(0);
    }
  });

  it('hands the cached session to OpenSSL once per resumed connection, not twice', async () => {
    // Given to tls.connect as its `session` option, Node 20 sets it twice: in the TLS socket's
    // constructor and again in tls.connect.
    // Node 22.23.5 skips the second one itself for verified connections, not with insecure: true.
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
    for (const check of [httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE }), httpCheck({ url: `${t.namedUrl}/ok`, insecure: true })]) {
      await httpProbe(check, ctx); // full: nothing to set
      let calls = 0;
      const counts = await seen(async () => {
        calls = await sessionsSet(async () => {
          for (let i = 0; i < 3; i++) expect((await httpProbe(check, ctx)).code).toBe('OK');
        });
      });
      expect(counts).toEqual({ full: 0, resumed: 3 });
      expect(calls).toBe(3);
    }
  });

  it('keeps TLS 1.3 sessions without the server certificate, and keeps it in TLS 1.2 ones; both resume verified', async () => {
    const t12 = await startHttpTarget({ tls: 'localhost', maxVersion: 'TLSv1.2' });
    try {
      for (const [target, withCertificate] of [
        [t, false],
        [t12, true],
      ] as const) {
        const { sessions, handedOut } = recordingSessions();
        const ctx = { ...probeContext(), tlsSessions: sessions };
        const check = httpCheck({ url: `${target.namedUrl}/ok`, ca_file: CA_FILE });
        const counts = await seen(async () => {
          for (let i = 0; i < 3; i++) expect(await httpProbe(check, ctx)).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: EXPIRY });
        }, target);
        expect(counts).toEqual({ full: 1, resumed: 2 });
        expect(handedOut).toHaveLength(2);
        for (const s of handedOut) expect(s.includes(LEAF)).toBe(withCertificate);
      }
    } finally {
      await t12.close();
    }
  });

  it('on a Node that refuses a resumed session without the certificate, passes with a full handshake and keeps certificates from then on', async () => {
    // Such a Node is made here by having the native handle answer as Node does for a resumed TLS
    // 1.2 session without a certificate: unverified. (The handle cannot show whether a resumed
    // session has one: a client's peer certificate comes from the chain, which no session keeps.)
    const withoutCertificate = new WeakSet<TlsWrap>();
    const refusing = (original: TlsWrap): Partial<TlsWrap> => ({
      setSession(this: TlsWrap, session: Buffer) {
        if (!session.includes(LEAF)) withoutCertificate.add(this);
        return original.setSession.call(this, session);
      },
      verifyError(this: TlsWrap) {
        if (this.isSessionReused() && withoutCertificate.has(this))
          return Object.assign(new Error('unable to get issuer certificate'), { code: 'UNABLE_TO_GET_ISSUER_CERT' });
        return original.verifyError.call(this);
      },
    });
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    const { sessions, handedOut } = recordingSessions();
    const ctx = { ...probeContext(), log, tlsSessions: sessions };
    const check = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE });
    const results = await withTlsWrap(refusing, async () => {
      const rs = [];
      for (let i = 0; i < 4; i++) rs.push(await httpProbe(check, ctx));
      return rs;
    });
    for (const r of results) expect(r).toMatchObject({ status: 'up', code: 'OK', tlsCertExpiry: EXPIRY });
    // 1: full. 2: resumed without the certificate, refused, then full. 3 and 4: resumed with it.
    expect(handedOut.map((s) => s.includes(LEAF))).toEqual([false, true, true]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', err: expect.stringContaining('refused (UNABLE_TO_GET_ISSUER_CERT) on a resumed session') });
    expect(sessions.keepCertificates()).toBe(false); // already keeping them
  });

  it('reports a certificate the full handshake after a refused resumption also refuses, and keeps stripping', async () => {
    let refuse = false;
    const sessions = new TlsSessions();
    const ctx = { ...probeContext(), tlsSessions: sessions };
    const check = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE });
    const refusing = (original: TlsWrap): Partial<TlsWrap> => ({
      verifyError(this: TlsWrap) {
        if (refuse) return Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
        return original.verifyError.call(this);
      },
    });
    await withTlsWrap(refusing, async () => {
      expect((await httpProbe(check, ctx)).code).toBe('OK');
      refuse = true; // the endpoint's certificate is now refused, resumed or not
      expect(await httpProbe(check, ctx)).toMatchObject({ status: 'down', code: 'TLS_CERT_EXPIRED' });
    });
    expect(sessions.keepCertificates()).toBe(true); // it was still stripping
  });

  it('does a full handshake every probe with tls_resume: false, and without a session cache', async () => {
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
    const off = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE, tls_resume: false });
    expect(
      await seen(async () => {
        for (let i = 0; i < 3; i++) expect((await httpProbe(off, ctx)).tlsCertExpiry).toBe(EXPIRY);
      }),
    ).toEqual({ full: 3, resumed: 0 });
    // Node's default trust is one shared context: sharing it must not resume anything by itself.
    const insecure = httpCheck({ url: `${t.url}/ok`, insecure: true });
    expect(
      await seen(async () => {
        for (let i = 0; i < 3; i++) expect((await httpProbe(insecure, probeContext())).code).toBe('OK');
      }),
    ).toEqual({ full: 3, resumed: 0 });
  });

  it('verifies in full again after a failed probe of the endpoint', async () => {
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
    const ok = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE });
    const failing = httpCheck({ url: `${t.namedUrl}/status/503`, ca_file: CA_FILE });
    const counts = await seen(async () => {
      await httpProbe(ok, ctx); // full
      expect((await httpProbe(failing, ctx)).code).toBe('HTTP_STATUS'); // resumed, then forgotten
      await httpProbe(ok, ctx); // full again
      await httpProbe(ok, ctx); // resumed
    });
    expect(counts).toEqual({ full: 2, resumed: 2 });
  });

  it('does a full handshake once the last one is 10 minutes old', async () => {
    const c = clock();
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions(TLS_SESSION_MAX_AGE_MS, c.now) };
    const check = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE });
    const counts = await seen(async () => {
      await httpProbe(check, ctx); // full
      c.ms += TLS_SESSION_MAX_AGE_MS - 1000;
      await httpProbe(check, ctx); // resumed: the age counts from the full handshake
      c.ms += 1000;
      await httpProbe(check, ctx); // full
      await httpProbe(check, ctx); // resumed
    });
    expect(counts).toEqual({ full: 2, resumed: 2 });
  });

  it('verifies in full again once ca_file is replaced, so a CA taken out of it is trusted no longer', async () => {
    const file = join(await tempDir('raqib-resume-trust-'), 'ca.pem');
    copyFileSync(CA_FILE, file);
    let now = performance.now();
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
      const check = httpCheck({ url: `${t.namedUrl}/ok`, ca_file: file });
      const counts = await seen(async () => {
        await httpProbe(check, ctx); // full
        await httpProbe(check, ctx); // resumed
        appendFileSync(file, '\n'); // a new version of the file (its size)
        now += TRUST_RECHECK_MS;
        await httpProbe(check, ctx); // full: verified under the new file
        await httpProbe(check, ctx); // resumed
      });
      expect(counts).toEqual({ full: 2, resumed: 2 });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('never resumes a session across different trust settings for the same endpoint', async () => {
    const ctx = { ...probeContext(), tlsSessions: new TlsSessions() };
    const counts = await seen(async () => {
      await httpProbe(httpCheck({ url: `${t.namedUrl}/ok`, insecure: true }), ctx);
      await httpProbe(httpCheck({ url: `${t.namedUrl}/ok`, ca_file: CA_FILE }), ctx);
      await httpProbe(httpCheck({ url: `${t.namedUrl}/ok` }), ctx); // Node's roots only: untrusted
    });
    expect(counts.resumed).toBe(0);
    expect(ctx.tlsSessions.size).toBe(2);
  });
});

describe('TlsSessions', () => {
  const session = Buffer.from('s');
  it('hands out nothing once the certificate seen at the full handshake has expired', () => {
    const c = clock(Date.UTC(2030, 0, 1));
    const s = new TlsSessions(TLS_SESSION_MAX_AGE_MS, c.now);
    s.save('a', session, { resumed: false, certExpiry: c.ms / 1000 + 60 });
    expect(s.get('a')?.session).toBe(session);
    c.ms += 60_000;
    expect(s.get('a')).toBeUndefined();
  });

  it('carries the age and expiry of the full handshake over resumed sessions, and ignores a resumed save it never saw', () => {
    const c = clock();
    const s = new TlsSessions(1000, c.now);
    s.save('a', session, { resumed: false, certExpiry: 123 * 1e9 });
    c.ms += 600;
    s.save('a', Buffer.from('t'), { resumed: true });
    expect(s.get('a')).toMatchObject({ session: Buffer.from('t'), certExpiry: 123 * 1e9 });
    c.ms += 400;
    expect(s.get('a')).toBeUndefined();
    s.save('b', session, { resumed: true });
    expect(s.size).toBe(0);
  });
});
