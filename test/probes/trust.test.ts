import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadTrust, TRUST_RECHECK_MS } from '../../agent/probes/connect.js';
import { CA_FILE, tlsFixture } from '../helpers/targets.js';
import { tempDir } from '../helpers/tmp.js';

describe('loadTrust', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reuses the context without touching the file for a few seconds, then picks up a replaced file', async () => {
    const dir = await tempDir('raqib-trust-');
    const file = join(dir, 'ca.pem');
    copyFileSync(CA_FILE, file);
    let now = 1_000_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const first = await loadTrust(file);
    rmSync(file); // a stat now would fail: within the window nothing looks at the file
    now += TRUST_RECHECK_MS - 1;
    expect(await loadTrust(file)).toBe(first);
    now += 1;
    await expect(loadTrust(file)).rejects.toThrow(/ENOENT/);
    copyFileSync(tlsFixture('selfsigned.crt'), file);
    const second = await loadTrust(file);
    expect(second).not.toBe(first);
    now += 10;
    expect(await loadTrust(file)).toBe(second);
  });

  it('rejects a file that is not PEM', async () => {
    const dir = await tempDir('raqib-trust-');
    const file = join(dir, 'ca.pem');
    writeFileSync(file, 'not a certificate');
    await expect(loadTrust(file)).rejects.toThrow(/holds no PEM certificate/);
  });

  it('means Node’s own roots when no ca_file is set', async () => {
    expect(await loadTrust(undefined)).toBeUndefined();
  });
});
