import { afterEach, describe, expect, it } from 'vitest';
import { describeError } from '../../agent/errors.js';
import { createLogger } from '../../agent/log.js';
import { errorMessage } from '../../agent/probes/connect.js';
import { httpProbe } from '../../agent/probes/http.js';
import { tlsProbe } from '../../agent/probes/tls.js';
import { withoutOpensslText } from '../../agent/probes/tls-error-text.js';
import { httpCheck, probeContext, tlsCheck } from '../helpers/check-config.js';
import { startHttpTarget, type Target } from '../helpers/targets.js';

/** What OpenSSL's printed errors look like: a per-process thread id in hex, `error:`, its code, routines, file and line. */
const OPENSSL_TEXT = /[0-9A-F]{8,}:error:|error:[0-9A-F]{8}:|SSL routines|\.c:\d+/;
const PLAINTEXT = 'the server answered without TLS (plain HTTP, or another protocol, on this port)';

const open: Target[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A probe context whose debug log lines are kept. */
function loggingContext() {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
  return { ctx: { ...probeContext(), log }, lines };
}

describe('a TLS handshake answered in plain HTTP', () => {
  it('is TLS_PLAINTEXT_ANSWER from the tls probe, with a sentence and no OpenSSL text in the detail or the log', async () => {
    const plain = await startHttpTarget();
    open.push(plain);
    const { ctx, lines } = loggingContext();
    const r = await tlsProbe(tlsCheck({ host: '127.0.0.1', port: plain.port }), ctx);
    expect(r).toMatchObject({ status: 'down', code: 'TLS_PLAINTEXT_ANSWER' });
    expect(r.detail).toBe(`${PLAINTEXT} (ERR_SSL_WRONG_VERSION_NUMBER) while in the TLS handshake (127.0.0.1:${plain.port})`);
    expect(lines.join('')).toContain(PLAINTEXT);
    expect(lines.join('')).not.toMatch(OPENSSL_TEXT);
  });

  it('is TLS_PLAINTEXT_ANSWER from an https check, with the same sentence and no OpenSSL text', async () => {
    const plain = await startHttpTarget();
    open.push(plain);
    const { ctx, lines } = loggingContext();
    const r = await httpProbe(httpCheck({ url: `https://127.0.0.1:${plain.port}/ok` }), ctx);
    expect(r).toMatchObject({ status: 'down', code: 'TLS_PLAINTEXT_ANSWER' });
    expect(r.detail).toBe(`${PLAINTEXT} (ERR_SSL_WRONG_VERSION_NUMBER) while in the TLS handshake`);
    expect(lines.join('')).not.toMatch(OPENSSL_TEXT);
  });
});

describe('OpenSSL error text', () => {
  it('loses its per-process prefix, routines and source file, keeping the reason as a sentence', () => {
    const node20 = '808CC9294A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:\n';
    const node22 =
      'C02C4DD2027F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n';
    expect(withoutOpensslText(node20)).toBe(PLAINTEXT);
    expect(withoutOpensslText(node22)).toBe(PLAINTEXT);
    expect(errorMessage(Object.assign(new Error(node20), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }))).toBe(`${PLAINTEXT} (ERR_SSL_WRONG_VERSION_NUMBER)`);
    // Text that is not OpenSSL's stays as it was.
    expect(errorMessage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))).toBe('connect ECONNREFUSED 127.0.0.1:9');
  });

  it('reads the same in logs (describeError) and probe details (errorMessage), which adds the code on one line', () => {
    const node20 = '808CC9294A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:\n';
    const thrown = [
      Object.assign(new Error(node20), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
      { message: 'a rejection that is not an Error', code: 'EX_PLAIN' },
      new Error(''),
      'a string',
    ];
    for (const err of thrown) {
      const code = (err as { code?: string }).code;
      expect(errorMessage(err)).toBe(code ? `${describeError(err)} (${code})` : describeError(err));
    }
    expect(describeError(thrown[1])).toBe('a rejection that is not an Error');
    expect(errorMessage(new Error('two\n  lines'))).toBe('two lines');
  });

  it('says the usual handshake failures in words, and any other alert by its name', () => {
    const printed = (reason: string) =>
      `40E7A1B2C37F0000:error:0A000410:SSL routines:ssl3_read_bytes:${reason}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40\n`;
    expect(withoutOpensslText(printed('sslv3 alert handshake failure'))).toMatch(/^the server refused the TLS handshake \(alert "handshake failure"/);
    expect(withoutOpensslText(printed('tlsv1 alert protocol version'))).toBe('the server refused the TLS versions offered (alert "protocol version")');
    expect(withoutOpensslText(printed('unexpected eof while reading'))).toBe('the server closed the connection in the middle of TLS, without a closing alert');
    expect(withoutOpensslText(printed('no shared cipher'))).toBe('no cipher suite in common with the server');
    expect(withoutOpensslText(printed('tlsv1 alert decode error'))).toBe('the server ended the TLS handshake with alert "decode error"');
    expect(withoutOpensslText('error:0480006C:PEM routines::no start line')).toBe('no start line');
  });
});
