import { describe, expect, it } from 'vitest';
import { withKey } from '../agent/with-key.js';
import { loneHiddenClasses } from './helpers/hidden-class.js';

describe('withKey', () => {
  it('copies the object with the key added, leaving the source alone', () => {
    const phases: { connect?: number; tls?: number } = { connect: 1.5 };
    const out = withKey(phases, 'total', 3);
    expect(out).toEqual({ connect: 1.5, total: 3 });
    expect(Object.keys(out)).toEqual(['connect', 'total']);
    expect(phases).toEqual({ connect: 1.5 });
  });

  it('gives copies of same-shaped objects one shared hidden class, where a spread gives each its own', () => {
    const source = (i: number) => ({ dns: i + 0.5, connect: i + 1.5 });
    const spread = Array.from({ length: 50 }, (_, i) => ({ ...source(i), total: i + 2.5 }));
    const copied = Array.from({ length: 50 }, (_, i) => withKey(source(i), 'total', i + 2.5));
    expect(loneHiddenClasses(spread)).toBeGreaterThan(40); // what withKey is for: if V8 changes, this says so
    expect(loneHiddenClasses(copied)).toBe(0);
  });
});
