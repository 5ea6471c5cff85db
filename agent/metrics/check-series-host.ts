/**
 * The worker-thread half of check-series-thread.ts: a CheckSeries kept up to date by the agent's
 * messages, and its scrapes written into pieces of bytes that move to the agent's thread without
 * a copy (transferred ArrayBuffers). Kept apart from the thread's entry (check-series-worker.ts)
 * so that tests drive it in their own thread.
 */
import type { CheckState } from '../detect/transition.js';
import type { ProbePhases, ProbeStatus } from '../probes/types.js';
import { type CheckRef, CheckSeries } from './check-series.js';

/** What the agent's thread asks, in order: one message carries a batch of these. */
export type Op =
  /** A check (an id of the agent's choosing, never reused) with its labels and state. */
  | ['add', id: number, serviceId: string, checkId: string, type: string, state: CheckState]
  | ['remove', id: number]
  | ['state', id: number, state: CheckState]
  | ['observe', id: number, status: ProbeStatus, httpStatus: number | undefined, tlsCertExpiry: number | undefined, phases: ProbePhases]
  /** A scrape: its pieces, `credit` of them at once; more as the agent asks. */
  | ['render', render: number, credit: number]
  | ['more', render: number, credit: number]
  /** The scrape's reader went away: its pieces are no longer wanted. */
  | ['cancel', render: number];

/** What the worker answers: a scrape's next piece, its end, or why it failed. */
export type Reply = { render: number; piece: ArrayBuffer } | { render: number; done: true } | { render: number; error: string };

/**
 * Bytes in a piece sent to the agent's thread: 256 KiB is a handful of the socket's writes, and
 * with a credit of 4 a scrape holds ~1 MiB in flight whatever the page's size.
 */
export const PIECE_BYTES = 256 * 1024;

interface Scrape {
  pieces: Iterator<string | Buffer>;
  credit: number;
}

export class CheckSeriesHost {
  private readonly series = new CheckSeries();
  private readonly refs = new Map<number, CheckRef>();
  private readonly scrapes = new Map<number, Scrape>();

  constructor(
    private readonly post: (reply: Reply, transfer?: ArrayBuffer[]) => void,
    private readonly pieceBytes = PIECE_BYTES,
  ) {}

  apply(ops: readonly Op[]): void {
    for (const op of ops) this.one(op);
  }

  private one(op: Op): void {
    switch (op[0]) {
      case 'add': {
        const [, id, serviceId, checkId, type, state] = op;
        const ref: CheckRef = { key: String(id), serviceId, checkId, type };
        this.refs.set(id, ref);
        this.series.add(ref, state);
        return;
      }
      case 'remove': {
        const ref = this.refs.get(op[1]);
        if (!ref) return;
        this.refs.delete(op[1]);
        this.series.remove(ref);
        return;
      }
      case 'state': {
        const ref = this.refs.get(op[1]);
        if (ref) this.series.setState(ref, op[2]);
        return;
      }
      case 'observe': {
        const [, id, status, httpStatus, tlsCertExpiry, phases] = op;
        const ref = this.refs.get(id);
        if (ref) this.series.observe(ref, { status, httpStatus, tlsCertExpiry, phases });
        return;
      }
      case 'render':
        this.scrapes.set(op[1], { pieces: this.series.chunks()[Symbol.iterator](), credit: op[2] });
        return this.pump(op[1]);
      case 'more': {
        const scrape = this.scrapes.get(op[1]);
        if (!scrape) return;
        scrape.credit += op[2];
        return this.pump(op[1]);
      }
      case 'cancel': {
        const scrape = this.scrapes.get(op[1]);
        this.scrapes.delete(op[1]);
        scrape?.pieces.return?.();
        return;
      }
    }
  }

  /** Sends the scrape's pieces while it has credit, and its end once there is nothing left. */
  private pump(render: number): void {
    const scrape = this.scrapes.get(render)!;
    try {
      while (scrape.credit > 0) {
        const piece = this.nextPiece(scrape.pieces);
        if (piece === undefined) {
          this.scrapes.delete(render);
          return this.post({ render, done: true });
        }
        scrape.credit--;
        this.post({ render, piece }, [piece]);
      }
    } catch (err) {
      this.scrapes.delete(render);
      this.post({ render, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  }

  /** The next `pieceBytes` or more of the text, in memory of its own; undefined at the end. */
  private nextPiece(pieces: Iterator<string | Buffer>): ArrayBuffer | undefined {
    const parts: (string | Buffer)[] = [];
    let bytes = 0;
    while (bytes < this.pieceBytes) {
      const next = pieces.next();
      if (next.done) break;
      const n = typeof next.value === 'string' ? Buffer.byteLength(next.value) : next.value.length;
      if (n === 0) continue;
      parts.push(next.value);
      bytes += n;
    }
    if (bytes === 0) return undefined;
    // allocUnsafeSlow: an ArrayBuffer of exactly these bytes, not a slice of Node's shared pool,
    // so that it can be transferred whole.
    const piece = Buffer.allocUnsafeSlow(bytes);
    let at = 0;
    for (const part of parts) at += typeof part === 'string' ? piece.write(part, at) : part.copy(piece, at);
    return piece.buffer as ArrayBuffer;
  }
}
