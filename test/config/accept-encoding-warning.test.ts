/**
 * The config warning for an Accept-Encoding that asks for codings this Node cannot decode: the
 * probe leaves them out of what it sends (probes/accept-encoding.ts), and the warning says so.
 */
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadedConfig } from '../helpers/config.js';

const hasZstd = typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';

const warnings = (acceptEncoding: string) =>
  loadedConfig([
    { id: 'portal', checks: [{ id: 'home', type: 'http', url: 'https://portal.example.gov.sa/', headers: { 'Accept-Encoding': acceptEncoding } }] },
  ])
    .warnings.filter((w) => w.path.endsWith('Accept-Encoding'))
    .map((w) => w.message);

describe('the Accept-Encoding config warning', () => {
  it('says the probe sends the header without the codings this Node cannot decode, and leaves refusals and * alone', () => {
    expect(warnings(`gzip, compress;q=0.5, br${hasZstd ? '' : ', zstd'}`)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Accept-Encoding asks for compress${hasZstd ? '' : ', zstd'}, which Node v[\\d.]+ cannot decode: the probe sends the header without (it|them), so it differs from this one; leave (it|them) out$`,
        ),
      ),
    ]);
    expect(warnings('gzip, br, compress;q=0, *')).toEqual([]);
  });
});
