import { describe, expect, it } from 'vitest';
import { missingRuntimeSettings, parseRuntimeSettings } from '../../agent/cli/runtime-flags.js';

const settings = parseRuntimeSettings('# why\n--max-old-space-size=512\n\n  # indented comment\n--concurrent-marking-max-worker-num=1\nMALLOC_ARENA_MAX=2\n');

describe('the runtime settings raqib ships with (config/node-flags)', () => {
  it('reads flags and variables, skipping comments and blank lines', () => {
    expect(settings).toEqual({ flags: ['--max-old-space-size=512', '--concurrent-marking-max-worker-num=1'], env: { MALLOC_ARENA_MAX: '2' } });
  });

  it('names what this process started without', () => {
    expect(missingRuntimeSettings(settings, [], {})).toEqual(['--max-old-space-size=512', '--concurrent-marking-max-worker-num=1', 'MALLOC_ARENA_MAX=2']);
    expect(missingRuntimeSettings(settings, ['--max-old-space-size=512', '--concurrent-marking-max-worker-num=1'], { MALLOC_ARENA_MAX: '2' })).toEqual([]);
  });

  it('counts a flag given in NODE_OPTIONS, with underscores or with another value, as given', () => {
    expect(
      missingRuntimeSettings(settings, ['--concurrent_marking_max_worker_num=2'], { NODE_OPTIONS: '--max-old-space-size=1024', MALLOC_ARENA_MAX: '8' }),
    ).toEqual([]);
    expect(missingRuntimeSettings(settings, ['--max-old-space-size', '600'], {})).toEqual(['--concurrent-marking-max-worker-num=1', 'MALLOC_ARENA_MAX=2']);
  });
});
