import { describe, expect, it } from 'vitest';
import { paced, PieceJoiner } from '../agent/slices.js';
import { drain, turnsDuring } from './helpers/pieces.js';

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

describe('PieceJoiner', () => {
  it('says when the parts reach a piece, and gives them joined', () => {
    const pieces = new PieceJoiner(10);
    expect(pieces.add('12345')).toBe(false);
    expect(pieces.add('6789')).toBe(false);
    expect(pieces.add('0ab')).toBe(true);
    expect(pieces.take()).toBe('1234567890ab');
    expect(pieces.take()).toBe('');
  });

  it('loses no part when a caller adds past the size without taking', () => {
    const pieces = new PieceJoiner(10);
    pieces.add('{"open":');
    pieces.add('["a long closing part"]');
    pieces.add('}');
    expect(pieces.take()).toBe('{"open":["a long closing part"]}');
  });
});
