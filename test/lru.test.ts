import { describe, expect, it } from 'vitest';
import { Lru } from '../agent/lru.js';

describe('Lru', () => {
  it('computes an answer once while it is kept, and lets the least recently used go past its bound', () => {
    const lru = new Lru<number>(2);
    let made = 0;
    const get = (k: string) => lru.get(k, () => (made++, k.length));
    get('a');
    get('bb');
    get('a'); // a is now the most recent
    expect(made).toBe(2);
    get('ccc'); // bb goes
    get('a');
    expect(made).toBe(3);
    get('bb');
    expect(made).toBe(4);
  });

  it('keeps a false answer as an answer', () => {
    const lru = new Lru<boolean>(4);
    let made = 0;
    lru.get('k', () => (made++, false));
    expect(lru.get('k', () => (made++, true))).toBe(false);
    expect(made).toBe(1);
  });
});
