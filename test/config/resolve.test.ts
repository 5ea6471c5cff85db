/**
 * Check fingerprints: a reload keeps a check untouched exactly when its fingerprint is equal, so
 * equal specs must give equal fingerprints and any change to what runs must change it. The
 * fingerprint is a short hash, not the spec's JSON (that was ~600 B per check kept in memory).
 */
import { describe, expect, it } from 'vitest';
import { resolveConnectivity } from '../../agent/config/resolve.js';
import { loadedConfig } from '../helpers/config.js';

const web = (check: Record<string, unknown>, agent: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  loadedConfig([{ id: 'web', checks: [{ id: 'portal', type: 'http', url: 'http://127.0.0.1:1/', ...check }] }], agent, extra).checks[0]!;

describe('check fingerprints', () => {
  it('are short hashes, equal for the same spec loaded twice', () => {
    const a = web({});
    const b = web({});
    expect(a).not.toBe(b);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^[A-Za-z0-9+/]{27}=$/); // SHA-1, base64
    expect(a.fingerprint).not.toContain('portal');
  });

  it('ignore what does not change the spec (another agent setting)', () => {
    expect(web({}, { max_concurrency: 7 }).fingerprint).toBe(web({}).fingerprint);
  });

  it('change with the check config, its timing from defaults, and its thresholds', () => {
    const base = web({}).fingerprint;
    const others = [
      web({ url: 'http://127.0.0.1:2/' }),
      web({ critical: false }),
      web({ interval: '45s' }),
      web({ failure_threshold: 5 }),
      web({}, {}, { defaults: { timeout: '3s' } }),
    ].map((s) => s.fingerprint);
    for (const f of others) expect(f).not.toBe(base);
    expect(new Set(others).size).toBe(others.length);
  });

  it('differ between canaries and checks of the same settings', () => {
    const loaded = loadedConfig([{ id: 'web', checks: [{ id: 'c', type: 'tcp', host: '127.0.0.1', port: 1 }] }], {
      connectivity: { canaries: [{ id: 'c', type: 'tcp', host: '127.0.0.1', port: 1 }] },
    });
    const [canary] = resolveConnectivity(loaded.config).canaries;
    expect(canary!.fingerprint).not.toBe(loaded.checks[0]!.fingerprint);
  });
});
