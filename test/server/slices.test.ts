import { describe, expect, it } from 'vitest';
import { paced } from '../../agent/server/slices.js';
import { drain, turnsDuring } from '../helpers/pieces.js';

const twenty = () => Array.from({ length: 20 }, (_, i) => `piece ${i}`);

describe('paced', () => {
  it('gives every piece in order, letting the event loop turn between pieces once the slice is used', async () => {
    const { result: pieces, turns } = await turnsDuring(() => drain(paced(twenty(), 0)));
    expect(pieces).toEqual(twenty());
    expect(turns).toBeGreaterThanOrEqual(19);
  });

  it('keeps the loop while the slice lasts', async () => {
    const { result: pieces, turns } = await turnsDuring(() => drain(paced(twenty(), 60_000)));
    expect(pieces).toEqual(twenty());
    expect(turns).toBeLessThan(2);
  });
});
