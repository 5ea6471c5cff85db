/**
 * The per-check families kept and rendered in a worker thread of their own (its half:
 * check-series-host.ts). At 20,000 checks they are 260,000 series and a 15.7 MiB page: made in the
 * agent's thread, a scrape joined megabytes of strings on the heap that also holds every probe's
 * garbage, and the slowest scrapes were those that met its mark-compacts (docs/performance.md,
 * "The 20,000-check stretch"). Here the agent's thread only posts what changed, in batches, and
 * writes the bytes the worker sends; the worker's heap holds the series alone.
 *
 * If the thread dies, its scrapes fail (the socket is closed: Prometheus records a failed scrape,
 * never a partial page as a whole one), the error is logged, and a new thread starts with every
 * check, its state and the last certificate expiry seen; the other probe series come back with
 * each check's next result.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CheckState } from '../detect/transition.js';
import type { Op, Reply } from './check-series-host.js';
import type { CheckRef, ObservedResult, PerCheckSeries } from './check-series.js';
import { type Piece, WRITTEN } from '../slices.js';

const WORKER = new URL('./check-series-worker.js', import.meta.url);

/** How long changes wait to be posted together: a scrape posts them at once, before it asks. */
const FLUSH_MS = 50;
/** Pieces of a scrape (PIECE_BYTES each) in flight between the threads. */
const CREDIT = 4;
/** Least time between two starts of the thread, so that one that dies at once does not spin. */
const RESTART_MS = 5_000;

interface Entry {
  id: number;
  ref: CheckRef;
  state: CheckState;
  /**
   * The last certificate expiry a probe saw, for a new thread: the one value a check's next result
   * may not bring back (a TLS check that is down sees no certificate). The others come with it.
   */
  certExpiry?: number;
}

interface Scrape {
  pieces: Piece[];
  done: boolean;
  error?: Error;
  wake?: () => void;
}

export interface ThreadedCheckSeriesOptions {
  log?: Logger;
  /** The worker's module; tests give one that fails. */
  worker?: URL;
  /** Least time between two starts of the thread (RESTART_MS unless given). */
  restartMs?: number;
}

export class ThreadedCheckSeries implements PerCheckSeries {
  private readonly entries = new Map<string, Entry>();
  private readonly scrapes = new Map<number, Scrape>();
  private pending: Op[] = [];
  /** Memory the pending ops give back to the thread. */
  private transfer: ArrayBuffer[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private thread: Worker | undefined;
  private lastStart = 0;
  private nextId = 0;
  private nextRender = 0;
  /** The thread is started with the first check or scrape (not before the agent's store is open). */
  private started = false;
  private closed = false;

  constructor(private readonly options: ThreadedCheckSeriesOptions = {}) {}

  get size(): number {
    return this.entries.size;
  }

  add(spec: CheckRef, state: CheckState): void {
    this.remove(spec);
    const entry: Entry = { id: ++this.nextId, ref: { key: spec.key, serviceId: spec.serviceId, checkId: spec.checkId, type: spec.type }, state };
    this.entries.set(spec.key, entry);
    this.send(addOp(entry));
  }

  remove(spec: CheckRef): void {
    const entry = this.entries.get(spec.key);
    if (!entry) return;
    this.entries.delete(spec.key);
    this.send(['remove', entry.id]);
  }

  setState(spec: CheckRef, current: CheckState): void {
    const entry = this.entries.get(spec.key);
    if (!entry || entry.state === current) return;
    entry.state = current;
    this.send(['state', entry.id, current]);
  }

  observe(spec: CheckRef, result: ObservedResult): void {
    const entry = this.entries.get(spec.key);
    if (!entry) return;
    const { phases: p } = result;
    // The numbers, not the result's phases object: the op is read when the batch is posted.
    if (result.tlsCertExpiry !== undefined) entry.certExpiry = result.tlsCertExpiry;
    this.send(['observe', entry.id, result.status, result.httpStatus, result.tlsCertExpiry, p.dns, p.connect, p.tls, p.ttfb, p.transfer, p.total]);
  }

  /**
   * The pieces of one scrape, as the thread makes them: the checks are those added and not
   * removed before it was asked for, with the values posted by then.
   */
  async *chunks(): AsyncGenerator<Piece> {
    this.started || this.start();
    if (!this.thread) throw new Error(this.closed ? 'the agent is stopping' : 'the thread of the per-check metrics is not running (it exited and is being restarted)');
    const render = ++this.nextRender;
    const scrape: Scrape = { pieces: [], done: false };
    this.scrapes.set(render, scrape);
    this.send(['render', render, CREDIT], true);
    try {
      for (;;) {
        const piece = scrape.pieces.shift();
        if (piece) {
          this.send(['more', render, 1], true);
          yield piece;
        } else if (scrape.done) return;
        else if (scrape.error) throw scrape.error;
        else await new Promise<void>((resolve) => (scrape.wake = resolve));
      }
    } finally {
      this.scrapes.delete(render);
      if (!scrape.done && !scrape.error && this.thread) this.send(['cancel', render], true);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    this.thread = undefined;
    this.failScrapes(new Error('the agent is stopping'));
    await thread?.terminate();
  }

  private send(op: Op, now = false): void {
    this.started || this.start();
    // With no thread, the op is dropped: a new thread is given every check anew (start()).
    if (!this.thread) return;
    this.pending.push(op);
    if (now) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Gives a piece's memory back to the thread, to make a later piece in. */
  private recycle(memory: ArrayBuffer): void {
    if (!this.thread || memory.byteLength === 0) return; // detached already
    this.transfer.push(memory);
    this.send(['recycle', memory]);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const { thread, pending, transfer } = this;
    this.pending = [];
    this.transfer = [];
    if (!thread || pending.length === 0) return;
    try {
      thread.postMessage(pending, transfer);
    } catch (err) {
      // A batch that cannot be sent would leave the thread's checks wrong: start again from ours.
      this.options.log?.error({ err }, 'could not post to the thread of the per-check metrics; restarting it');
      void thread.terminate();
    }
  }

  private start(): void {
    this.started = true;
    this.restartTimer = undefined;
    if (this.closed) return;
    this.lastStart = Date.now();
    let thread: Worker;
    try {
      thread = new Worker(this.options.worker ?? WORKER);
    } catch (err) {
      // No thread could be made (a pids or memory limit): /metrics fails until one can.
      this.scheduleStart(err);
      return;
    }
    // The agent's server and timers keep the process alive; this thread alone must not.
    thread.unref();
    thread.on('message', (reply: Reply) => this.receive(reply));
    thread.on('messageerror', (err) => {
      this.options.log?.error({ err }, 'an answer of the thread of the per-check metrics could not be read; restarting it');
      void thread.terminate();
    });
    thread.on('error', (err) => this.options.log?.error({ err }, 'the thread of the per-check metrics failed'));
    thread.on('exit', (code) => this.exited(thread, code));
    this.thread = thread;
    this.pending = [];
    this.transfer = [];
    for (const entry of this.entries.values()) {
      this.pending.push(addOp(entry));
      if (entry.certExpiry !== undefined) this.pending.push(['expiry', entry.id, entry.certExpiry]);
    }
    this.flush();
  }

  private scheduleStart(err?: unknown): void {
    const wait = Math.max(0, this.lastStart + (this.options.restartMs ?? RESTART_MS) - Date.now());
    this.options.log?.error({ err, restartInMs: wait }, 'the thread of the per-check metrics is not running; starting a new one');
    this.restartTimer = setTimeout(() => this.start(), wait).unref();
  }

  private exited(thread: Worker, code: number): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    this.failScrapes(new Error(`the thread of the per-check metrics exited (code ${code})`));
    if (this.closed) return;
    this.options.log?.error({ code }, 'the thread of the per-check metrics exited');
    this.scheduleStart();
  }

  private receive(reply: Reply): void {
    const scrape = this.scrapes.get(reply.render);
    if (!scrape) return; // cancelled
    if ('piece' in reply) {
      const memory = reply.piece;
      const piece: Piece = Buffer.from(memory, 0, reply.length);
      // Once the socket has it, the memory goes back to the thread for a later piece, rather than
      // waiting here for a garbage collection (~16 MiB a scrape at 20,000 checks).
      if (reply.recycle) piece[WRITTEN] = () => this.recycle(memory);
      scrape.pieces.push(piece);
    }
    else if ('done' in reply) scrape.done = true;
    else scrape.error = new Error(`rendering the per-check metrics failed in their thread: ${reply.error}`);
    scrape.wake?.();
    scrape.wake = undefined;
  }

  private failScrapes(error: Error): void {
    for (const scrape of this.scrapes.values()) {
      if (scrape.done) continue; // all its pieces are here
      scrape.error ??= error;
      scrape.wake?.();
      scrape.wake = undefined;
    }
  }
}

const addOp = ({ id, ref, state }: Entry): Op => ['add', id, ref.serviceId, ref.checkId, ref.type, state];
