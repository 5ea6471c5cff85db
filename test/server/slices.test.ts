import { describe, expect, it } from 'vitest';
import { paced } from '../../agent/server/slices.js';

/** Counts event-loop turns (setImmediate callbacks) while `work` runs. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  ticking = false;
  return turns;
}

async function drain(pieces: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

const twenty = () => Array.from({ length: 20 }, (_, i) => `piece ${i}`);

describe('paced', () => {
  it('gives every piece in order, letting the event loop turn between pieces once the slice is used', async () => {
    let pieces: string[] = [];
    const turns = await turnsDuring(async () => (pieces = await drain(paced(twenty(), 0))));
    expect(pieces).toEqual(twenty());
    expect(turns).toBeGreaterThanOrEqual(19);
  });

  it('keeps the loop while the slice lasts', async () => {
    let pieces: string[] = [];
    const turns = await turnsDuring(async () => (pieces = await drain(paced(twenty(), 60_000))));
    expect(pieces).toEqual(twenty());
    expect(turns).toBeLessThan(2);
  });
});
