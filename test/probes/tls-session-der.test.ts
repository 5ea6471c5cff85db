import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutPeerCertificate } from '../../agent/probes/tls-session-der.js';
import { CA_FILE, startHttpTarget, tlsFixture, type HttpTarget } from '../helpers/targets.js';

const ENVELOPE = Buffer.from('\0nodejs:tls:session:1\0', 'latin1');
const LEAF = new X509Certificate(readFileSync(tlsFixture('localhost.crt'))).raw;

let t13: HttpTarget;
let t12: HttpTarget;
beforeAll(async () => {
  [t13, t12] = await Promise.all([startHttpTarget({ tls: 'localhost' }), startHttpTarget({ tls: 'localhost', maxVersion: 'TLSv1.2' })]);
});
afterAll(async () => {
  await Promise.all([t13.close(), t12.close()]);
});

interface Handshake {
  reused: boolean;
  authorized: boolean;
  protocol: string | null;
  /** The last session the server issued on this connection. */
  session: Buffer | undefined;
}

/**
 * One connection to `target` as `localhost`, verified against the fixture CA unless `insecure`,
 * resuming `session` when given; one request, then closed.
 */
function connect(target: HttpTarget, session?: Buffer, opts: { insecure?: boolean } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      socket: net.connect(target.port, '127.0.0.1'),
      host: 'localhost',
      servername: 'localhost',
      ca: readFileSync(CA_FILE),
      rejectUnauthorized: !opts.insecure,
    });
    let issued: Buffer | undefined;
    socket.on('session', (s: Buffer) => (issued = s));
    if (session) (socket as unknown as { setSession(s: Buffer): void }).setSession(session);
    socket.on('error', reject);
    socket.on('secureConnect', () => {
      const seen = { reused: socket.isSessionReused(), authorized: socket.authorized, protocol: socket.getProtocol() };
      socket.end('GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      socket.resume();
      socket.on('close', () => resolve({ ...seen, session: issued }));
    });
  });
}

/** The DER inside a session as this Node hands it out: bare (Node 20) or in Node 22's envelope. */
function der(session: Buffer): Buffer {
  return session.subarray(0, ENVELOPE.length).equals(ENVELOPE) ? session.subarray(ENVELOPE.length + 2 + session.readUInt16BE(ENVELOPE.length)) : session;
}

/** A DER element of `tag` (a SEQUENCE by default) around `items`, with the shortest length form. */
function sequence(items: Buffer[], tag = 0x30): Buffer {
  const body = Buffer.concat(items);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

function envelope(name: string, inner: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(name.length);
  return Buffer.concat([ENVELOPE, len, Buffer.from(name, 'latin1'), inner]);
}

describe('withoutPeerCertificate', () => {
  it('drops the server certificate from a TLS 1.3 session, which this Node then resumes as verified', async () => {
    const first = await connect(t13);
    expect(first.protocol).toBe('TLSv1.3');
    const session = first.session!;
    expect(session.includes(LEAF)).toBe(true);
    const stripped = withoutPeerCertificate(session);
    expect(stripped.includes(LEAF)).toBe(false);
    expect(stripped.length).toBeLessThan(session.length - LEAF.length + 8);
    expect(await connect(t13, stripped)).toMatchObject({ reused: true, authorized: true, protocol: 'TLSv1.3' });
  });

  it('keeps the certificate of a session whose verification failed, so that Node still checks the result on resumption', async () => {
    const self = await startHttpTarget({ tls: 'selfsigned' });
    try {
      const unverified = await connect(self, undefined, { insecure: true });
      expect(unverified).toMatchObject({ authorized: false, protocol: 'TLSv1.3' });
      const session = unverified.session!;
      expect(withoutPeerCertificate(session)).toBe(session);
      // What that keeps: a verified connection handed this session refuses it, as Node reads the
      // failed result stored in it.
      await expect(connect(self, session)).rejects.toThrow(/self[- ]signed/i);
    } finally {
      await self.close();
    }
  });

  it('re-encodes the outer length in the short and long forms', () => {
    const version = Buffer.from([0x02, 0x01, 0x01]);
    const tls13 = Buffer.from([0x02, 0x02, 0x03, 0x04]);
    const peer = sequence([Buffer.alloc(300, 7)], 0xa3);
    for (const size of [10, 200, 70_000]) {
      const rest = Buffer.concat([Buffer.from([0x04, 0x83, size >> 16, (size >> 8) & 0xff, size & 0xff]), Buffer.alloc(size, 1)]);
      const stripped = withoutPeerCertificate(sequence([version, tls13, peer, rest]));
      expect(stripped).toEqual(sequence([version, tls13, rest]));
    }
    // Stripped, these bodies are 22, 212 and 70,012 bytes: lengths of one, two and four octets.
  });

  it("strips the DER alike bare (Node 20) and inside Node 22's envelope, keeping the envelope", async () => {
    const inner = der((await connect(t13)).session!);
    const bare = withoutPeerCertificate(inner);
    expect(bare.includes(LEAF)).toBe(false);
    expect(bare[0]).toBe(0x30);
    const wrapped = withoutPeerCertificate(envelope('localhost', inner));
    expect(wrapped).toEqual(envelope('localhost', bare));
  });

  it('keeps a TLS 1.2 session whole: without its certificate Node would call the resumption unverified', async () => {
    const first = await connect(t12);
    expect(first.protocol).toBe('TLSv1.2');
    const session = first.session!;
    expect(withoutPeerCertificate(session)).toBe(session);
    expect(await connect(t12, session)).toMatchObject({ reused: true, authorized: true });
  });

  it('returns anything that is not a whole session of the expected shape unchanged', async () => {
    const inner = der((await connect(t13)).session!);
    const cases = [
      Buffer.alloc(0),
      Buffer.from('not a session'),
      inner.subarray(0, inner.length - 1), // truncated: the outer length runs past the end
      Buffer.concat([inner, Buffer.from([0])]), // trailing bytes
      envelope('localhost', inner).subarray(0, ENVELOPE.length + 4), // the name runs past the end
      Buffer.concat([ENVELOPE, Buffer.from([0xff, 0xff]), Buffer.from('short')]),
      Buffer.concat([Buffer.from([0x30, 0x80]), inner.subarray(4), Buffer.from([0, 0])]), // indefinite length
      Buffer.concat([Buffer.from([0x30, 0x84, 0, 0]), inner.subarray(2)]), // a 4-byte length
    ];
    for (const c of cases) expect(withoutPeerCertificate(c)).toBe(c);
  });
});
