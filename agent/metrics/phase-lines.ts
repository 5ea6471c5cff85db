/**
 * raqib_probe_phase_seconds, the one per-check family that changes with every probe, kept as
 * bytes: each block of checks has one Buffer with its checks' phase lines, and a probe writes its
 * new values over the old ones in that Buffer. The values are written in a fixed width
 * (`0.012345678`: 11 characters, nanoseconds below 10 s), so a new value takes the old one's place
 * and no line moves.
 *
 * Before, each probe made a ~600-byte string of its check's lines that lived until the next probe
 * of the check, 30 s later: old-generation garbage at every probe (~0.4 MB/s at 20,000 checks),
 * which made the agent's mark-compacts come more often; and a scrape joined those strings into
 * pieces and encoded them again. Now a scrape sends a copy of each block's Buffer.
 *
 * A Buffer that a scrape was given may still be waiting in the socket when the next probe comes,
 * so a scrape is given a copy (`scrapeCopy`, ~1 ms for all blocks at 20,000 checks), never the
 * block's own Buffer: a value written over while the socket sent it could go out torn. The copy
 * is kept only by the socket's queue, until it is written.
 */
import { flat, num, ownBytes, PHASE } from './check-families.js';

export const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;

/** Characters of a value written in the fixed width. */
export const VALUE_CHARS = 11;

/**
 * Seconds as exactly VALUE_CHARS characters, decimals filling what the integer part leaves
 * (`0.012345678`, `12.34567890`), or undefined when it cannot be (negative, not finite, 1e9 s or
 * more): such a value is written as it is, and its block is made again at the next change.
 */
export function fixedSeconds(ms: number): string | undefined {
  const v = ms / 1000;
  if (!(v >= 0 && v < 1e9)) return undefined;
  let decimals = VALUE_CHARS - 2;
  let s = v.toFixed(decimals);
  // Each decimal less takes one character, or none when rounding carries into the integer part.
  while (s.length > VALUE_CHARS && decimals > 1) s = v.toFixed(--decimals);
  return s.length === VALUE_CHARS ? s : undefined;
}

/** What a check keeps of its phases. */
export interface CheckPhases {
  /** `service="…",check="…"`, and its length in bytes. */
  labels: string;
  labelBytes: number;
  /** The last probe's phases, in ms, in the order of PHASES; bit i of `mask` says phase i is there. */
  ms: Float64Array;
  mask: number;
  /**
   * Where its lines start in its block's cached Buffer (-1 when it has none there), and whether
   * all their values are in the fixed width: only then can a probe write over them. Set when that
   * Buffer is made; any change that moves a check's lines drops the Buffer (CheckSeries).
   */
  at: number;
  fixed: boolean;
}

/** A copy of a block's lines for a scrape to send, in memory of its own. */
export function scrapeCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

/** Bytes of a line before its value: `raqib_probe_phase_seconds{` labels `,phase="` phase `"} `. */
const beforeValue = (c: CheckPhases, phase: number) => PHASE.name.length + 1 + c.labelBytes + 8 + PHASES[phase]!.length + 3;

export function checkPhases(labels: string): CheckPhases {
  return { labels, labelBytes: Buffer.byteLength(labels), ms: new Float64Array(PHASES.length), mask: 0, at: -1, fixed: false };
}

/**
 * The lines of `checks`, in memory of their own. `record`: they are the block's cached Buffer, so
 * each check notes where its lines are.
 */
export function phaseBytes(checks: readonly CheckPhases[], record: boolean): Buffer {
  const parts: string[] = [];
  let bytes = 0;
  for (const c of checks) {
    const start = bytes;
    let fixed = true;
    for (let i = 0; i < PHASES.length; i++) {
      if ((c.mask & (1 << i)) === 0) continue;
      let value = fixedSeconds(c.ms[i]!);
      if (value === undefined) {
        fixed = false;
        value = num(c.ms[i]! / 1000);
      }
      parts.push(PHASE.name, '{', c.labels, ',phase="', PHASES[i]!, '"} ', value, '\n');
      bytes += beforeValue(c, i) + value.length + 1;
    }
    if (record) {
      c.at = bytes > start ? start : -1;
      c.fixed = fixed;
    }
  }
  return ownBytes(flat(parts));
}

/**
 * Keeps a probe's phases (ms by name; a phase it never reached is absent) and writes them over
 * the check's lines in `bytes`, its block's cached Buffer. False when they cannot be written there
 * (no Buffer, other phases than last time, a value that does not fit the width): the caller drops
 * the Buffer, and the next scrape makes it again from the values kept.
 */
export function writePhases(c: CheckPhases, bytes: Buffer | undefined, phases: Readonly<Partial<Record<(typeof PHASES)[number], number>>>): boolean {
  let mask = 0;
  for (let i = 0; i < PHASES.length; i++) {
    const ms = phases[PHASES[i]!];
    if (ms === undefined) continue;
    mask |= 1 << i;
    c.ms[i] = ms;
  }
  if (bytes === undefined || mask !== c.mask || !c.fixed) {
    c.mask = mask;
    return false;
  }
  const values: string[] = [];
  for (let i = 0; i < PHASES.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const value = fixedSeconds(c.ms[i]!);
    if (value === undefined) return false;
    values.push(value);
  }
  // All values fit: written together, so a check's lines are never half new.
  let at = c.at;
  let v = 0;
  for (let i = 0; i < PHASES.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    at += beforeValue(c, i);
    bytes.write(values[v++]!, at, 'latin1');
    at += VALUE_CHARS + 1;
  }
  return true;
}
