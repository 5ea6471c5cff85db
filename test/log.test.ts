/**
 * The root logger: an error from a real failed TLS handshake (a plain HTTP server on the port) is
 * logged in words, with no OpenSSL thread id or source file, in its message, its stack and its
 * cause, so the same fault reads the same in every process.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { describeError } from '../agent/errors.js';
import { createLogger } from '../agent/log.js';

/** The error Node gives for a TLS handshake answered by a plain HTTP server. */
async function plaintextHandshakeError(): Promise<Error> {
  const server = createServer((_req, res) => res.end('plain'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<Error>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      socket.on('error', resolve);
      socket.on('secureConnect', () => resolve(new Error('handshake unexpectedly succeeded')));
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ destination, level: 'info' }), lines };
}

describe('error text in logs', () => {
  it('says OpenSSL errors in words in the message, stack and cause of a logged err, and in describeError', async () => {
    const raw = await plaintextHandshakeError();
    expect(raw.message).toMatch(/error:[0-9A-F]{8}:SSL routines/); // what Node gives: the case to clean
    const { log, lines } = capture();
    log.error({ err: new Error('request failed', { cause: raw }) }, 'authority request failed');
    log.flush();
    await new Promise((r) => setImmediate(r));
    const line = lines.join('');
    expect(line).toContain('the server answered without TLS');
    expect(line).not.toMatch(/[0-9A-F]{6,16}:error:|SSL routines|\.c:\d+/);
    expect(describeError(raw)).toBe('the server answered without TLS (plain HTTP, or another protocol, on this port)');
  });
});

describe('the err serializer', () => {
  it('logs an error with a cyclic property and a Buffer as pino does, without throwing', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('boom'), { data: Buffer.from('ab'), at: new Date(0) }) as Error & { self?: unknown };
    err.self = err;
    expect(() => log.error({ err }, 'failed')).not.toThrow();
    log.flush();
    expect(lines.join('')).toContain('"message":"boom"');
  });
});
