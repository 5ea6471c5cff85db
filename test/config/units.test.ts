import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize } from '../../agent/config/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h0m5s', 3_605_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    ['0s', 0],
    ['90s', 90_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['30', 'a bare number has no unit'],
    ['s', 'a unit needs a number'],
    ['30 s', 'no space between number and unit'],
    ['-1s', 'no negative durations'],
    ['', 'empty'],
    ['1.s', 'a decimal point needs digits after it'],
    ['.5s', 'a decimal point needs digits before it'],
    ['30sec', 'only ms, s, m, h and d are units'],
    ['1w', 'weeks are not a unit'],
    ['30S', 'units are lowercase'],
    [' 30s', 'no surrounding space'],
    ['1m 30s', 'no space between parts'],
    ['PT30S', 'not ISO 8601'],
  ])('rejects %j (%s)', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_000, '1s'],
    [1_500, '1s500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [86_400_000, '1d'],
    [93_784_005, '1d2h3m4s5ms'],
  ])('spells %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1_000, 59_999, 90_000, 3_605_000, 93_784_005])('round-trips %i ms through parseDuration', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('parseSize', () => {
  it.each([
    [1_048_576, 1_048_576],
    [0, 0],
    ['1048576', 1_048_576],
    ['100B', 100],
    ['2KB', 2_000],
    ['512KiB', 524_288],
    ['2MB', 2_000_000],
    ['1MiB', 1_048_576],
    ['1GB', 1_000_000_000],
    ['1GiB', 1_073_741_824],
    ['10 KiB', 10_240],
    [' 1MiB ', 1_048_576],
  ] as const)('reads %j as %i bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([
    [-1, 'no negative sizes'],
    [1.5, 'whole bytes only'],
    ['1.5MiB', 'whole numbers only'],
    ['-1KiB', 'no negative sizes'],
    ['MiB', 'a unit needs a number'],
    ['1 megabyte', 'unknown unit'],
    ['1mib', 'units are case-sensitive'],
    ['1TiB', 'no units beyond GiB'],
    ['', 'empty'],
  ] as const)('rejects %j (%s)', (input, _why) => {
    expect(parseSize(input)).toBeUndefined();
  });
});
