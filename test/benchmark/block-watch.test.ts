import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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

describe('the benchmark block watch', () => {
  it('measures a 60 ms block inside a timer callback within a few ms, where a 10 ms timer reads up to 70', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raqib-watch-'));
    dirs.push(dir);
    const file = join(dir, 'blocks.log');
    const script = `setTimeout(() => { const t = performance.now(); while (performance.now() - t < 60); }, 300);
      setTimeout(() => process.exit(0), 800);`;
    await run(process.execPath, ['--import', BLOCK_WATCH, '-e', script], { env: { ...process.env, [BLOCK_WATCH_ENV]: file } });
    const log = new BlockLog(file);
    log.read();
    expect(log.polls.length).toBeGreaterThanOrEqual(5);
    const longest = log.longest(0, Infinity);
    expect(longest.ms).toBeGreaterThanOrEqual(59);
    expect(longest.ms).toBeLessThan(75); // a loaded machine may hold the process off the core a little longer
    expect(longest.over).toBe(1);
  });

  it('writes nothing, and changes nothing, without the variable naming its file', async () => {
    const { stdout } = await run(process.execPath, ['--import', BLOCK_WATCH, '-e', 'console.log("ran")'], { env: { ...process.env, [BLOCK_WATCH_ENV]: '' } });
    expect(stdout).toBe('ran\n');
  });

  it('takes the longest block of the polls that ended in the stretch, with the GC pauses that began in it', () => {
    const log = new BlockLog('unused');
    for (const line of [
      'B 1000.0 1100.0 70.00 1090.0', // its poll ends at the stretch's start: outside
      'B 1100.0 1200.0 12.50 1150.0',
      'G 1140.0 20.00 major', // before the longest block began
      'G 1149.0 20.00 major', // began within it, in the poll before
      'B 1200.0 1300.0 55.25 1204.0',
      'G 1190.0 9.10 minor',
      'G 1205.0 3.00 minor', // after it
      'B 1300.0 1400.0 51.00 1350.0',
      'B 1400.0 1500.0 80.00 1450.0', // after the stretch
      'junk line',
      'B 1 2 3',
    ])
      log.add(line);
    const longest = log.longest(1100, 1400);
    expect(longest).toMatchObject({ ms: 55.25, polls: 3, over: 2, poll: { from: 1200, to: 1300, end: 1204 } });
    expect(longest.gc).toEqual([
      { start: 1149, ms: 20, kind: 'major' },
      { start: 1190, ms: 9.1, kind: 'minor' },
    ]);
    expect(log.longest(2000, 3000)).toEqual({ ms: 0, polls: 0, over: 0, gc: [] });
  });

  it('reads the file as it grows, keeping a line cut in two until its end is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raqib-watch-'));
    dirs.push(dir);
    const file = join(dir, 'blocks.log');
    const { appendFile } = await import('node:fs/promises');
    const log = new BlockLog(file);
    log.read(); // not there yet
    await appendFile(file, 'B 0.0 100.0 3.00 50.0\nB 100.0 20');
    log.read();
    expect(log.polls).toEqual([{ from: 0, to: 100, maxMs: 3, end: 50 }]);
    await appendFile(file, '0.0 41.50 150.0\n');
    log.read();
    expect(log.polls.at(-1)).toEqual({ from: 100, to: 200, maxMs: 41.5, end: 150 });
  });
});
