/**
 * The file block-watch.mjs writes inside the agent's process: event-loop blocks measured with a
 * 1 ms timer, and the GC pauses beside them. Read as it grows (one reader per run), and asked for
 * the longest block in a stretch of time with the GC pauses that fell in it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** The preload to give the agent's node (`--import`, which takes a path), and the variable naming its file. */
export const BLOCK_WATCH = join(ROOT, 'test/bench/lib/block-watch.mjs');
export const BLOCK_WATCH_ENV = 'RAQIB_BENCH_BLOCK_WATCH';

/** From ... to (epoch ms): the longest block the watch's 1 ms ticks saw end then, ms, and when it ended. */
export interface Poll {
  from: number;
  to: number;
  maxMs: number;
  end: number;
}

export interface GcPause {
  /** Epoch ms. */
  start: number;
  ms: number;
  kind: string;
}

export interface LongestBlock {
  /** 0 when the watch wrote nothing in the stretch. */
  ms: number;
  /** The poll it was in. */
  poll?: Poll;
  /** Polls in the stretch, and those whose block was over `limitMs`. */
  polls: number;
  over: number;
  /** GC pauses that began within the block (or up to 2 ms before it: the watch's tick and rounding). */
  gc: GcPause[];
}

export class BlockLog {
  readonly polls: Poll[] = [];
  readonly gc: GcPause[] = [];
  private offset = 0;
  private rest = '';

  constructor(readonly file: string) {}

  /** Reads what the watch wrote since the last call (nothing when the file is not there yet). */
  read(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (let n; (n = readSync(fd, buf, 0, buf.length, this.offset)) > 0; ) {
        this.offset += n;
        this.rest += buf.toString('latin1', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.add(line);
  }

  /** One line of the file; a line of another shape is ignored. */
  add(line: string): void {
    const f = line.split(' ');
    if (f[0] === 'B' && f.length === 5) this.polls.push({ from: Number(f[1]), to: Number(f[2]), maxMs: Number(f[3]), end: Number(f[4]) });
    else if (f[0] === 'G' && f.length === 4) this.gc.push({ start: Number(f[1]), ms: Number(f[2]), kind: f[3]! });
  }

  /**
   * The longest block in the polls that ended after `from` and by `to` (epoch ms), how many were
   * over `limitMs`, and the GC pauses that began within it.
   */
  longest(from: number, to: number, limitMs = 50): LongestBlock {
    const polls = this.polls.filter((p) => p.to > from && p.to <= to);
    let poll: Poll | undefined;
    for (const p of polls) if (!poll || p.maxMs > poll.maxMs) poll = p;
    if (!poll) return { ms: 0, polls: 0, over: 0, gc: [] };
    const { end, maxMs } = poll;
    return {
      ms: maxMs,
      poll,
      polls: polls.length,
      over: polls.filter((p) => p.maxMs > limitMs).length,
      gc: this.gc.filter((g) => g.start >= end - maxMs - 2 && g.start <= end),
    };
  }
}
