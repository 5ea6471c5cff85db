/**
 * Long answers (/metrics, /api/v1/status: megabytes at 10,000 checks) are made in pieces, and the
 * event loop turns between pieces once a time slice is used, so that probes keep their timing
 * while the answer is made and written.
 */
import { performance } from 'node:perf_hooks';

/** Longest stretch, in ms, that making a long answer holds the event loop before it lets it turn. */
export const SLICE_MS = 5;

/**
 * Characters in a piece: 64 KiB is ~850 lines of /metrics and one write to the socket. Pieces of
 * 16 KiB to 1 MiB scraped as fast at 10,000 and 20,000 checks; a small one holds less memory while
 * the socket is busy.
 */
export const PIECE_CHARS = 64 * 1024;

/**
 * Joins the parts of a long answer into pieces of about `size` characters: add() says when the
 * parts reach the size, take() joins them. Nothing is taken by add(), so a caller that does not
 * look at its answer gets a longer piece, never a lost one. Joined, not concatenated with `+`:
 * one flat string, not a rope.
 */
export class PieceJoiner {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly size = PIECE_CHARS) {}

  /** Adds a part; true once the parts since the last take() make a piece. */
  add(part: string): boolean {
    this.parts.push(part);
    this.length += part.length;
    return this.length >= this.size;
  }

  /** The parts since the last take(), joined: a piece, or what is left at the end ('' if nothing). */
  take(): string {
    const piece = this.parts.join('');
    this.parts = [];
    this.length = 0;
    return piece;
  }
}

/**
 * A function to await between pieces: it lets the event loop turn once (setImmediate: after the
 * I/O that is ready, such as probes' sockets) when `sliceMs` have passed since it last did.
 */
function breather(sliceMs: number): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}

/**
 * The pieces of a generator that makes each one as it is asked for (sync, or async where making a
 * piece awaits), the loop turning in between once a slice is used.
 */
export async function* paced<T>(pieces: Iterable<T> | AsyncIterable<T>, sliceMs = SLICE_MS): AsyncGenerator<T> {
  const breathe = breather(sliceMs);
  for await (const piece of pieces) {
    yield piece;
    await breathe();
  }
}
