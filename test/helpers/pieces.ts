/** Helpers for answers made in pieces (/metrics, /api/v1/status). */

/** Counts event-loop turns (setImmediate callbacks) while `work` runs; gives its result with them. */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  ticking = false;
  return { result, turns };
}

/** Every piece of an answer made in pieces (strings, or Buffers too for /metrics), in order. */
export async function drain<T>(pieces: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const piece of pieces) out.push(piece);
  return out;
}
