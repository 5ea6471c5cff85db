/**
 * Process figures from /proc (Linux): CPU time (utime + stime of every thread, in clock ticks) and
 * resident memory. Reading /proc costs the measured process nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on Linux), asked once. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds in user and kernel mode (all threads) used by `pid` so far; NaN once it is gone. */
export function cpuTimes(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / clockTicks(), system: Number(fields[12]) / clockTicks() };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/** CPU seconds (user + system, all threads) used by `pid` so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

export interface Memory {
  /** Resident set now, MiB. */
  rss: number;
  /** Peak resident set over the process's life (VmHWM), MiB. */
  peak: number;
}

export function memory(pid: number): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** One-minute load average and core count, to say how quiet the machine was. */
export function machine(): { load1: number; load5: number; cores: number; cpu: string } {
  const [load1 = NaN, load5 = NaN] = loadavg();
  const list = cpus();
  return { load1, load5, cores: list.length, cpu: list[0]?.model.trim() ?? 'unknown' };
}

/** Samples a process's CPU and RSS; `window()` gives what happened since `mark()`. */
export class ProcWatch {
  private startCpu = NaN;
  private startSystem = NaN;
  private startAt = 0;
  private rssMax = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    everyMs = 1000,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    const { rss } = memory(this.pid);
    if (rss > this.rssMax) this.rssMax = rss;
  }

  /** Starts a measurement window. */
  mark(): void {
    const t = cpuTimes(this.pid);
    this.startCpu = t.user + t.system;
    this.startSystem = t.system;
    this.startAt = performance.now();
    this.rssMax = memory(this.pid).rss;
  }

  /** CPU seconds (and the kernel's part of them), wall seconds and the largest RSS sampled since `mark()`. */
  window(): { cpu: number; system: number; wall: number; rssMax: number; rssEnd: number; peak: number } {
    const t = cpuTimes(this.pid);
    const mem = memory(this.pid);
    if (mem.rss > this.rssMax) this.rssMax = mem.rss;
    return {
      cpu: t.user + t.system - this.startCpu,
      system: t.system - this.startSystem,
      wall: (performance.now() - this.startAt) / 1000,
      rssMax: this.rssMax,
      rssEnd: mem.rss,
      peak: mem.peak,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
