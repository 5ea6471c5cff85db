/**
 * The file block-watch.mjs writes inside the agent's process: event-loop blocks measured with a
 * 1 ms timer, and the GC pauses beside them, in ms of the machine's monotonic clock (monoMs() in
 * profile.ts reads the same). Read as it grows (one reader per run), and asked for the longest
 * block in a stretch of time with the GC pauses that fell in it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.js';

/** The preload to give the agent's node (`--import`, as a file URL), and the variable naming its file (read in block-watch.mjs). */
export const BLOCK_WATCH = pathToFileURL(join(ROOT, 'test/bench/lib/block-watch.mjs')).href;
export const BLOCK_WATCH_ENV = 'RAQIB_BENCH_BLOCK_WATCH';

/** One line B of the watch: from `from` to `to`, the longest block that ended then (`ms`) and when it ended. */
export interface Poll {
  from: number;
  to: number;
  ms: number;
  end: number;
}

export interface GcPause {
  start: number;
  ms: number;
  kind: string;
}

export interface LongestBlock {
  /** 0 when the watch wrote nothing in the stretch (`polls` is 0 then). */
  ms: number;
  /** The poll it was in. */
  poll?: Poll;
  /** Polls in the stretch, and those whose block was over `limitMs`. */
  polls: number;
  over: number;
  /** GC pauses that began within the block (to the 0.1 ms the file rounds to). */
  gc: GcPause[];
}

export class BlockLog {
  readonly polls: Poll[] = [];
  readonly gc: GcPause[] = [];
  private offset = 0;
  private rest = '';
  /** Polls already looked at by sinceLast(). */
  private seen = 0;

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
      for (let n; (n = readSync(fd, buf, 0, buf.length, this.offset)) > 0;) {
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
    if (f[0] === 'B' && f.length === 5) this.polls.push({ from: Number(f[1]), to: Number(f[2]), ms: Number(f[3]), end: Number(f[4]) });
    else if (f[0] === 'G' && f.length === 4) this.gc.push({ start: Number(f[1]), ms: Number(f[2]), kind: f[3]! });
  }

  /**
   * The longest of the blocks that ended after `from` and by `to`, how many were over `limitMs`,
   * and the GC pauses that began within it. Read once the watch has written its poll after `to`
   * (it writes every 100 ms).
   */
  longest(from: number, to: number, limitMs = 50): LongestBlock {
    return this.longestOf(
      this.polls.filter((p) => p.end > from && p.end <= to),
      limitMs,
    );
  }

  /**
   * An upper bound for a stretch shorter than a poll (a few GETs): the longest block of the polls
   * that overlap it, which hold every block that ended in it (and some that ended up to 100 ms
   * around it).
   */
  longestAround(from: number, to: number, limitMs = 50): LongestBlock {
    return this.longestOf(
      this.polls.filter((p) => p.to > from && p.from < to),
      limitMs,
    );
  }

  /**
   * What the agent's main thread did while a GET of `from` to `to` was served: an upper bound of
   * its longest block (longestAround: the polls that overlap it), and every GC pause of 1 ms or
   * more that overlapped it. To tell a slow scrape made of one long block from one spread over
   * many short turns of the loop.
   */
  during(from: number, to: number): { block: LongestBlock; gc: GcPause[] } {
    return { block: this.longestAround(from, to), gc: this.gc.filter((g) => g.start + g.ms > from && g.start <= to) };
  }

  /** The longest of the blocks in the polls read since the last call that ended after `from` (for progress lines). */
  sinceLast(from = -Infinity, limitMs = 50): LongestBlock {
    const polls = this.polls.slice(this.seen).filter((p) => p.end > from);
    this.seen = this.polls.length;
    return this.longestOf(polls, limitMs);
  }

  private longestOf(polls: Poll[], limitMs: number): LongestBlock {
    let poll: Poll | undefined;
    for (const p of polls) if (!poll || p.ms > poll.ms) poll = p;
    if (!poll) return { ms: 0, polls: 0, over: 0, gc: [] };
    const { end, ms } = poll;
    return {
      ms,
      poll,
      polls: polls.length,
      over: polls.filter((p) => p.ms > limitMs).length,
      gc: this.gc.filter((g) => g.start >= end - ms - 0.1 && g.start <= end),
    };
  }
}
