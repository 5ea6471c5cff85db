import { describe, expect, it } from 'vitest';
import { PHASE } from '../../agent/metrics/check-families.js';
import { CheckSeries } from '../../agent/metrics/check-series.js';
import { fixedSeconds, PHASES, VALUE_CHARS } from '../../agent/metrics/phase-lines.js';
import type { ProbeResult } from '../../agent/probes/types.js';

type Phases = ProbeResult['phases'];
const result = (phases: Phases): ProbeResult => ({ status: 'up', code: 'OK', detail: '', phases, observedAt: 0, httpStatus: 200 });
const ref = (i: number) => ({ key: `web/c${i}`, serviceId: 'web', checkId: `c${i}`, type: 'http' });
/** The Buffers of raqib_probe_phase_seconds in a scrape's pieces. */
const phaseBuffers = (s: CheckSeries) =>
  [...s.chunks()].filter((p): p is Buffer => typeof p !== 'string' && p.toString('latin1', 0, 32).startsWith('raqib_probe_phase_seconds'));
/** Every phase line of a page, as series → value text. */
const phaseValues = (text: string) =>
  new Map([...text.matchAll(/^raqib_probe_phase_seconds\{service="web",check="(c\d+)",phase="(\w+)"\} (\S+)$/gm)].map((m) => [`${m[1]}/${m[2]}`, m[3]!]));

/** A random set of phases (total always), each a random duration from 1 µs to ~10 s. */
function randomPhases(random: () => number, shape = Math.floor(random() * 32)): Phases {
  const phases: Phases = { total: 1e-3 * 10 ** (7 * random()) };
  PHASES.slice(0, 5).forEach((p, bit) => {
    if (shape & (1 << bit)) phases[p] = 1e-3 * 10 ** (7 * random());
  });
  return phases;
}

/** A small deterministic generator (mulberry32), so that a failure can be run again. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('phase values in a fixed width', () => {
  it('writes seconds in 11 characters, nanoseconds below 10 s, fewer decimals above', () => {
    expect(fixedSeconds(0)).toBe('0.000000000');
    expect(fixedSeconds(0.000001)).toBe('0.000000001');
    expect(fixedSeconds(12.5)).toBe('0.012500000');
    expect(fixedSeconds(0.12)).toBe('0.000120000');
    expect(fixedSeconds(12_345.678)).toBe('12.34567800');
    expect(fixedSeconds(123_456_789)).toBe('123456.7890');
    expect(fixedSeconds(999_999_999_400)).toBe('999999999.4');
  });

  it('takes the carry of rounding into the width (9.9999999996 s is 10.00000000)', () => {
    expect(fixedSeconds(9_999.9999996)).toBe('10.00000000');
    expect(fixedSeconds(99_999.999996)).toBe('100.0000000');
    expect(fixedSeconds(99_999.99999)).toBe('99.99999999');
  });

  it('has no fixed form for what does not fit: negative, not finite, 1e9 s or more', () => {
    for (const ms of [-1, Number.NaN, Infinity, -Infinity, 1e12, 999_999_999_960]) expect(fixedSeconds(ms)).toBeUndefined();
  });

  it('keeps every value to within half its last decimal, in exactly the width', () => {
    const random = seeded(6);
    for (let n = 0; n < 20_000; n++) {
      const ms = 10 ** (15 * random() - 3); // 1 µs to 1e9 s
      const text = fixedSeconds(ms);
      if (ms >= 999_999_999_950) continue;
      expect(text).toHaveLength(VALUE_CHARS);
      const decimals = text!.length - text!.indexOf('.') - 1;
      expect(Math.abs(Number(text) - ms / 1000)).toBeLessThanOrEqual(0.5 * 10 ** -decimals * (1 + 1e-9));
    }
  });
});

describe('phase lines written over in their block', () => {
  it('shows each check its last probe, across blocks, after removals, merges and new shapes', () => {
    const random = seeded(19);
    const s = new CheckSeries();
    const shape = new Map<number, number>();
    const last = new Map<number, Phases>();
    const observe = (i: number) => {
      const phases = randomPhases(random, shape.get(i));
      s.observe(ref(i), result(phases));
      last.set(i, phases);
    };
    // Ids of 2 to 5 characters (c0 … c1199), so lines of different lengths share a block.
    for (let i = 0; i < 1_200; i++) {
      s.add(ref(i), 'UP');
      shape.set(i, Math.floor(random() * 32));
      observe(i);
    }
    const expected = () => {
      const want = new Map<string, string>();
      for (const [i, phases] of last) for (const p of PHASES) if (phases[p] !== undefined) want.set(`c${i}/${p}`, fixedSeconds(phases[p])!);
      return want;
    };
    for (let round = 0; round < 6; round++) {
      expect(phaseValues(s.render())).toEqual(expected());
      if (round === 2) {
        // A reload takes most checks of the first blocks away: the next scrape merges blocks.
        for (let i = 0; i < 600; i++) {
          if (i % 7 === 0) continue;
          s.remove(ref(i));
          last.delete(i);
        }
      }
      // New values, written over the old ones; in round 3, a few checks change shape (a phase more
      // or less), so their blocks are made again, with the others' values.
      if (round === 3) for (const i of [0, 601, 602, 1_100]) shape.set(i, (shape.get(i)! + 1) % 32);
      for (const i of last.keys()) observe(i);
    }
    expect(phaseValues(s.render())).toEqual(expected());
  });

  it('makes a block again when a later block merges into it, after a scrape had made it anew', () => {
    const s = new CheckSeries();
    for (let i = 0; i < 600; i++) {
      s.add(ref(i), 'UP');
      s.observe(ref(i), result({ connect: 1, total: 2 }));
    }
    s.render();
    // During a scrape, a reload leaves 56 checks in the second block; the scrape, not yet at the
    // phases, makes that block's Buffer again. The next scrape merges the third block (88 checks) into it.
    const scrape = s.chunks();
    scrape.next();
    for (let i = 256; i < 456; i++) s.remove(ref(i));
    for (const _ of scrape);
    for (let i = 456; i < 600; i++) s.observe(ref(i), result({ connect: 3, total: 4 }));
    const merged = phaseValues(s.render());
    for (let i = 456; i < 600; i++) expect(merged.get(`c${i}/total`)).toBe('0.004000000');
    for (let i = 456; i < 600; i++) s.observe(ref(i), result({ connect: 5, total: 6 }));
    const after = phaseValues(s.render());
    expect(after.size).toBe(2 * 400);
    for (let i = 456; i < 600; i++) expect([after.get(`c${i}/connect`), after.get(`c${i}/total`)]).toEqual(['0.005000000', '0.006000000']);
    for (let i = 0; i < 256; i++) expect(after.get(`c${i}/total`)).toBe('0.002000000');
  });

  it('never writes into a Buffer a scrape was given: a scrape sends a copy', () => {
    const s = new CheckSeries();
    s.add(ref(0), 'UP');
    s.observe(ref(0), result({ connect: 1, total: 2 }));
    const [given] = phaseBuffers(s);
    const sent = given!.toString();
    s.observe(ref(0), result({ connect: 3, total: 4 }));
    expect(given!.toString()).toBe(sent); // what the socket may still be sending
    const [next] = phaseBuffers(s);
    expect(next).not.toBe(given);
    expect(next!.toString()).toBe(
      'raqib_probe_phase_seconds{service="web",check="c0",phase="connect"} 0.003000000\n' +
        'raqib_probe_phase_seconds{service="web",check="c0",phase="total"} 0.004000000\n',
    );
  });

  it("writes a probe's values into its block's own Buffer, made again only when a check changes shape", () => {
    const s = new CheckSeries();
    for (let i = 0; i < 10; i++) {
      s.add(ref(i), 'UP');
      s.observe(ref(i), result({ connect: 1, total: 2 }));
    }
    const own = () => (s as unknown as { blocks: { text: Map<unknown, Buffer> }[] }).blocks[0]!.text.get(PHASE);
    expect(own()).toBeUndefined(); // made by the first scrape
    const [first] = phaseBuffers(s);
    const made = own()!;
    expect(first).not.toBe(made); // a copy
    for (let i = 0; i < 10; i++) s.observe(ref(i), result({ connect: 5, total: 6 }));
    s.observe(ref(3), result({ connect: 7, total: 8 }));
    expect(own()).toBe(made);
    expect(made.toString()).toContain('check="c3",phase="total"} 0.008000000\n');
    expect(made.toString()).toContain('check="c9",phase="connect"} 0.005000000\n');
    const [second] = phaseBuffers(s);
    expect(second!.equals(made)).toBe(true);

    // c3's connection is refused: no connect phase, its lines change shape, the block is made again.
    s.observe(ref(3), result({ total: 9 }));
    expect(own()).toBeUndefined();
    const text = phaseBuffers(s)[0]!.toString();
    expect(own()).not.toBe(made);
    expect(text).toContain('check="c3",phase="total"} 0.009000000\n');
    expect(text).not.toContain('check="c3",phase="connect"');
    expect(text).toContain('check="c4",phase="connect"} 0.005000000\n');
  });

  it('writes a value that does not fit the width as it is, and the fixed width again after', () => {
    const s = new CheckSeries();
    s.add(ref(0), 'UP');
    s.add(ref(1), 'UP');
    s.observe(ref(0), result({ total: 2 }));
    s.observe(ref(1), result({ total: 1e15 }));
    expect(phaseValues(s.render())).toEqual(
      new Map([
        ['c0/total', '0.002000000'],
        ['c1/total', '1000000000000'],
      ]),
    );
    s.observe(ref(0), result({ total: 3 }));
    s.observe(ref(1), result({ total: 4 }));
    expect(phaseValues(s.render())).toEqual(
      new Map([
        ['c0/total', '0.003000000'],
        ['c1/total', '0.004000000'],
      ]),
    );
    s.observe(ref(1), result({ total: -5 }));
    expect(phaseValues(s.render()).get('c1/total')).toBe('-0.005');
  });
});
