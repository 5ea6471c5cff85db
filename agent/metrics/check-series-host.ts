/**
 * The worker-thread half of check-series-thread.ts: a CheckSeries kept up to date by the agent's
 * messages, and its scrapes written into pieces of bytes that move to the agent's thread without
 * a copy (transferred ArrayBuffers). Kept apart from the thread's entry (check-series-worker.ts)
 * so that tests drive it in their own thread.
 */
import type { CheckState } from '../detect/transition.js';
import type { ProbeStatus } from '../probes/types.js';
import { type CheckRef, CheckSeries, nextPhaseLinesBound, type PhaseRun, writePhaseLines } from './check-series.js';

/** What the agent's thread asks, in order: one message carries a batch of these. */
export type Op =
  /** A check (an id of the agent's choosing, never reused) with its labels and state. */
  | ['add', id: number, serviceId: string, checkId: string, type: string, state: CheckState]
  | ['remove', id: number]
  | ['state', id: number, state: CheckState]
  | [
      'observe',
      id: number,
      status: ProbeStatus,
      httpStatus: number | undefined,
      tlsCertExpiry: number | undefined,
      dns: number | undefined,
      connect: number | undefined,
      tls: number | undefined,
      ttfb: number | undefined,
      transfer: number | undefined,
      total: number,
    ]
  /** The last certificate expiry seen, for a check a new thread is given. */
  | ['expiry', id: number, tlsCertExpiry: number]
  /** A scrape: its pieces, `credit` of them at once; more as the agent asks. */
  | ['render', render: number, credit: number]
  | ['more', render: number, credit: number]
  /** The scrape's reader went away: its pieces are no longer wanted. */
  | ['cancel', render: number]
  /** A piece's memory, written to its socket: to make a later piece in (transferred with the batch). */
  | ['recycle', memory: ArrayBuffer];

/**
 * What the worker answers: a scrape's next piece (its first `length` bytes; `recycle`: memory the
 * agent's thread may give back), its end, or why it failed.
 */
export type Reply = { render: number; piece: ArrayBuffer; length: number; recycle: boolean } | { render: number; done: true } | { render: number; error: string };

/**
 * Memory of a piece sent to the agent's thread: 256 KiB is a handful of the socket's writes, and
 * with a credit of 4 a scrape holds ~1 MiB in flight whatever the page's size. A piece is filled
 * until the next part would not fit; a part larger than that goes alone, in memory of its size.
 */
export const PIECE_BYTES = 256 * 1024;
/** Pieces' memory kept for later pieces: those in flight for a scrape or two. */
const POOL_MAX = 8;

interface Scrape {
  parts: Iterator<string | Buffer | PhaseRun>;
  credit: number;
  /** A part that did not fit in the last piece (or a run of phase lines left): the start of the next. */
  carried?: string | Buffer | PhaseRun;
}

interface Made {
  memory: ArrayBuffer;
  length: number;
  recycle: boolean;
}

export class CheckSeriesHost {
  private readonly series = new CheckSeries();
  private readonly refs = new Map<number, CheckRef>();
  private readonly scrapes = new Map<number, Scrape>();
  private readonly pool: ArrayBuffer[] = [];

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
        const [, id, status, httpStatus, tlsCertExpiry, dns, connect, tls, ttfb, transfer, total] = op;
        const ref = this.refs.get(id);
        if (ref) this.series.observe(ref, { status, httpStatus, tlsCertExpiry, phases: { dns, connect, tls, ttfb, transfer, total } });
        return;
      }
      case 'expiry': {
        const ref = this.refs.get(op[1]);
        if (ref) this.series.setCertExpiry(ref, op[2]);
        return;
      }
      case 'recycle':
        if (op[1].byteLength === this.pieceBytes && this.pool.length < POOL_MAX) this.pool.push(op[1]);
        return;
      case 'render':
        this.scrapes.set(op[1], { parts: this.series.parts(), credit: op[2] });
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
        scrape?.parts.return?.();
        return;
      }
    }
  }

  /** Sends the scrape's pieces while it has credit, and its end once there is nothing left. */
  private pump(render: number): void {
    const scrape = this.scrapes.get(render)!;
    try {
      while (scrape.credit > 0) {
        const made = this.nextPiece(scrape);
        if (made === undefined) {
          this.scrapes.delete(render);
          return this.post({ render, done: true });
        }
        scrape.credit--;
        this.post({ render, piece: made.memory, length: made.length, recycle: made.recycle }, [made.memory]);
      }
    } catch (err) {
      this.scrapes.delete(render);
      this.post({ render, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  }

  /** The next piece of the scrape's text, in memory that is the piece's alone; undefined at the end. */
  private nextPiece(scrape: Scrape): Made | undefined {
    let memory: ArrayBuffer | undefined;
    let piece: Buffer | undefined;
    let at = 0;
    const take = () => {
      memory = this.pool.pop() ?? new ArrayBuffer(this.pieceBytes);
      return Buffer.from(memory);
    };
    for (;;) {
      let part = scrape.carried;
      scrape.carried = undefined;
      if (part === undefined) {
        const next = scrape.parts.next();
        if (next.done) break;
        part = next.value;
      }
      if (typeof part === 'object' && !Buffer.isBuffer(part)) {
        // Phase lines, written here check by check.
        piece ??= take();
        at = writePhaseLines(part, piece, at);
        if (part.next === part.checks.length) continue;
        scrape.carried = part;
        if (at > 0) break;
        // One check's lines larger than a whole piece: alone, in memory of their size.
        const alone = Buffer.allocUnsafeSlow(nextPhaseLinesBound(part));
        const length = writePhaseLines(part, alone, 0);
        this.pool.push(memory!);
        return { memory: alone.buffer as ArrayBuffer, length, recycle: false };
      }
      const bytes = typeof part === 'string' ? Buffer.byteLength(part) : part.length;
      if (bytes === 0) continue;
      if (bytes > this.pieceBytes - at) {
        if (at > 0) {
          scrape.carried = part;
          break;
        }
        // Larger than a piece: alone, in memory of its size (allocUnsafeSlow: not a slice of
        // Node's shared pool, so it can be transferred whole).
        const alone = Buffer.allocUnsafeSlow(bytes);
        if (typeof part === 'string') alone.write(part);
        else part.copy(alone);
        if (memory) this.pool.push(memory);
        return { memory: alone.buffer as ArrayBuffer, length: bytes, recycle: false };
      }
      piece ??= take();
      at += typeof part === 'string' ? piece.write(part, at) : part.copy(piece, at);
    }
    if (memory && at === 0) this.pool.push(memory);
    return memory && at > 0 ? { memory, length: at, recycle: true } : undefined;
  }
}
