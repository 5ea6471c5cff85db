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

  it('gives copies of same-shaped objects one shared hidden class, where Node 20 gives spread copies each their own', () => {
    const source = (i: number) => ({ dns: i + 0.5, connect: i + 1.5 });
    const spread = Array.from({ length: 50 }, (_, i) => ({ ...source(i), total: i + 2.5 }));
    const copied = Array.from({ length: 50 }, (_, i) => withKey(source(i), 'total', i + 2.5));
    expect(loneHiddenClasses(copied)).toBe(0);
    // What withKey is for: V8 11 (Node 20) gives each spread copy a hidden class of its own; V8 12
    // (Node 22, the container's) shares one. If either changes, this says so.
    const v8Major = Number(process.versions.v8.split('.')[0]);
    if (v8Major <= 11) expect(loneHiddenClasses(spread)).toBeGreaterThan(40);
    else expect(loneHiddenClasses(spread)).toBe(0);
  });
});
