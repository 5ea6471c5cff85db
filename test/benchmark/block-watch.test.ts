import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK_WATCH, BLOCK_WATCH_ENV, BlockLog } from '../bench/lib/block-log.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function logFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raqib-watch-'));
  dirs.push(dir);
  return join(dir, 'blocks.log');
}

/** Runs `script` in a node with the watch, writing to `file`; its stdout. */
async function watched(file: string, script: string, flags: string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, [...flags, '--import', BLOCK_WATCH, '--input-type=module', '-e', script], {
    env: { ...process.env, [BLOCK_WATCH_ENV]: file },
    timeout: 20_000,
  });
  return stdout;
}

const mono = 'const mono = () => Number(process.hrtime.bigint()) / 1e6;';

describe('the benchmark block watch', () => {
  it('measures a 60 ms block inside a timer callback, and when it ended, on the clock the benchmark reads', async () => {
    const file = await logFile();
    // The process ends by itself: the watch's timers must not hold it.
    const out = await watched(
      file,
      `${mono} setTimeout(() => { const t = performance.now(); while (performance.now() - t < 60); console.log(mono()); }, 300); setTimeout(() => {}, 700);`,
    );
    const spinEnd = Number(out.trim());
    const log = new BlockLog(file);
    log.read();
    expect(log.polls.length).toBeGreaterThanOrEqual(5);
    const longest = log.longest(-Infinity, Infinity);
    // A version on monitorEventLoopDelay read this block as 1.1 ms (its reset() loses the gap).
    expect(longest.ms).toBeGreaterThanOrEqual(60);
    expect(longest.ms).toBeLessThan(100); // a loaded machine may hold the process off the core a while
    expect(longest.over).toBeGreaterThanOrEqual(1);
    // The tick that ended the block follows the spin's end: same clock, same process.
    expect(longest.poll!.end - spinEnd).toBeGreaterThanOrEqual(0);
    expect(longest.poll!.end - spinEnd).toBeLessThan(40);
  });

  it('writes the main-thread GC pauses, in the clock of its polls', async () => {
    const file = await logFile();
    const script = `${mono} const from = mono(); let keep = []; for (let i = 0; i < 3e5; i++) keep.push({ i, s: String(i) }); globalThis.gc(); console.log(from, mono()); setTimeout(() => {}, 300);`;
    const [from, to] = (await watched(file, script, ['--expose-gc'])).trim().split(' ').map(Number) as [number, number];
    const log = new BlockLog(file);
    log.read();
    const major = log.gc.filter((g) => g.kind === 'major');
    expect(major.length).toBeGreaterThanOrEqual(1);
    for (const g of major) {
      expect(g.start).toBeGreaterThanOrEqual(from - 1);
      expect(g.start).toBeLessThanOrEqual(to);
    }
  });

  it('writes nothing, and changes nothing, without the variable naming its file', async () => {
    const { stdout } = await run(process.execPath, ['--import', BLOCK_WATCH, '-e', 'console.log("ran")'], { env: { ...process.env, [BLOCK_WATCH_ENV]: '' } });
    expect(stdout).toBe('ran\n');
  });

  it('takes the longest of the blocks that ended in the stretch, with the GC pauses that began in it', () => {
    const log = new BlockLog('unused');
    for (const line of [
      'B 1000.0 1100.0 70.00 1100.0', // ended at the stretch's start: outside
      'B 1100.0 1200.0 12.50 1150.0',
      'G 1148.0 20.00 major', // began before the longest block
      'G 1148.9 20.00 major', // began with it (rounded), in the poll before
      'B 1200.0 1300.0 55.25 1204.1',
      'G 1190.0 9.10 minor',
      'G 1205.0 3.00 minor', // after it
      'B 1300.0 1400.0 51.00 1350.0',
      'B 1400.0 1500.0 80.00 1401.0', // its poll ended after the stretch, but the block inside it
      'B 1500.0 1600.0 90.00 1550.0', // after the stretch
      'junk line',
      'B 1 2 3',
    ])
      log.add(line);
    const longest = log.longest(1100, 1401);
    expect(longest).toMatchObject({ ms: 80, polls: 4, over: 3, poll: { from: 1400, to: 1500, end: 1401 } });
    const second = log.longest(1100, 1400);
    expect(second).toMatchObject({ ms: 55.25, polls: 3, over: 2 });
    expect(second.gc).toEqual([
      { start: 1148.9, ms: 20, kind: 'major' },
      { start: 1190, ms: 9.1, kind: 'minor' },
    ]);
    expect(log.longest(2000, 3000)).toEqual({ ms: 0, polls: 0, over: 0, gc: [] });
    // A stretch of a few ms in which no block ended: the polls around it bound it.
    expect(log.longestAround(1360, 1370)).toMatchObject({ ms: 51, polls: 1, poll: { from: 1300 } });
    expect(log.longestAround(1390, 1410)).toMatchObject({ ms: 80, polls: 2 });
  });

  it('lays a scrape beside the longest block of the polls around it and every GC pause that overlapped it', () => {
    const log = new BlockLog('unused');
    for (const line of [
      'B 1000.0 1100.0 40.00 1090.0', // its poll ended before the scrape began
      'G 1060.0 30.00 major', // ended before the scrape
      'G 1105.0 7.00 minor', // began before the scrape and ran into it
      'B 1100.0 1200.0 12.00 1150.0',
      'G 1140.0 2.00 minor',
      'G 1180.0 18.50 major',
      'B 1200.0 1300.0 20.50 1260.0', // overlaps the scrape's end: its block may have been in it
      'G 1255.0 1.20 minor', // after the scrape
      'B 1300.0 1400.0 60.00 1350.0', // after the scrape
    ])
      log.add(line);
    const { block, gc } = log.during(1110, 1250);
    expect(block).toMatchObject({ ms: 20.5, polls: 2 });
    expect(gc).toEqual([
      { start: 1105, ms: 7, kind: 'minor' },
      { start: 1140, ms: 2, kind: 'minor' },
      { start: 1180, ms: 18.5, kind: 'major' },
    ]);
    expect(log.during(2000, 2100)).toEqual({ block: { ms: 0, polls: 0, over: 0, gc: [] }, gc: [] });
  });

  it('gives the progress lines each poll once, and none that ended before the window', () => {
    const log = new BlockLog('unused');
    log.add('B 0.0 100.0 30.00 50.0');
    log.add('B 100.0 200.0 20.00 150.0');
    expect(log.sinceLast()).toMatchObject({ ms: 30, polls: 2 });
    expect(log.sinceLast()).toMatchObject({ ms: 0, polls: 0 });
    log.add('B 200.0 300.0 10.00 250.0');
    expect(log.sinceLast()).toMatchObject({ ms: 10, polls: 1 });
    // The first line of a window leaves out what ended before it (the agent's start, the warm-up).
    log.add('B 300.0 400.0 90.00 310.0');
    log.add('B 400.0 500.0 5.00 450.0');
    expect(log.sinceLast(400)).toMatchObject({ ms: 5, polls: 1 });
  });

  it('reads the file as it grows, keeping a line cut in two until its end is written', async () => {
    const file = await logFile();
    const log = new BlockLog(file);
    log.read(); // not there yet
    await appendFile(file, 'B 0.0 100.0 3.00 50.0\nB 100.0 20');
    log.read();
    expect(log.polls).toEqual([{ from: 0, to: 100, ms: 3, end: 50 }]);
    await appendFile(file, '0.0 41.50 150.0\n');
    log.read();
    expect(log.polls.at(-1)).toEqual({ from: 100, to: 200, ms: 41.5, end: 150 });
  });
});
