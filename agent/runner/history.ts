/**
 * A check's last results, in memory only, packed into one ArrayBuffer per check: at 10,000 checks
 * × 100 results, an object per result took ~112 B of heap (~107 MiB); a packed slot takes 14 B.
 *
 * Each slot holds status and code as indexes into process-wide intern tables (one byte each),
 * the HTTP status (uint16, 0 = none), observedAt as a 48-bit whole number of epoch ms (what
 * Date.now() gives, until the year 10889) and the duration as a uint32 of hundredths of a ms (what
 * the probes' since() gives: 0.01 ms steps, up to ~11.9 h). The detail is kept only for failures,
 * in an array by slot that exists only while the ring holds one. Values a slot cannot hold exactly
 * (an HTTP status outside 1–65535, a 256th distinct code, a time or duration of another kind)
 * go to a side map, so what `toArray()` returns is always exactly what was pushed.
 *
 * The buffer is allocated at the first result with room for 8 and grown once to the full size at
 * the 9th: most of the memory of a full ring is not paid by checks that have run a few times (the
 * start-up, a daily cron check). A single step, because each step leaves a freed block behind in
 * the malloc heap; doubling 8→16→32→64→100 left ~70% more RSS per full ring than one step.
 */
import type { ProbePhases, ProbeResult } from '../probes/types.js';
import { CODES } from '../probes/codes.js';

/** Probe results kept per check, in memory only: the state file is not written per probe. */
export const HISTORY_SIZE = 100;

/** One past result as the status API shows it: the detail only of failures. */
export interface HistoryEntry {
  status: ProbeResult['status'];
  code: string;
  observedAt: number;
  /** Total duration, ms. */
  ms: number;
  detail?: string;
  httpStatus?: number;
}

/** What a ring takes from a result. */
export type HistorySource = Pick<ProbeResult, 'status' | 'code' | 'observedAt' | 'detail' | 'httpStatus'> & { phases: Pick<ProbePhases, 'total'> };

/** Slots allocated at the first result; the ring grows to its full size at the next one. */
export const HISTORY_INITIAL_SLOTS = 8;

const STRIDE = 14;
const STATUS = 0; // uint8: index into the status table
const CODE = 1; // uint8: index into the code table
const HTTP = 2; // uint16: HTTP status, 0 = none
const AT_LOW = 4; // uint32: observedAt, epoch ms, low 32 bits
const AT_HIGH = 8; // uint16: observedAt, high 16 bits
const MS = 10; // uint32: total duration, hundredths of a ms

const TWO_32 = 2 ** 32;
const atFits = (at: number) => Number.isInteger(at) && at >= 0 && at < 2 ** 48 && !Object.is(at, -0);
/** The duration in hundredths of a ms when that gives it back exactly (not -0, not 0.001), else -1. */
function hundredths(ms: number): number {
  const h = Math.round(ms * 100) + 0; // + 0: -0 becomes 0, which does not give -0 back
  return h >= 0 && h <= 0xffffffff && Object.is(h / 100, ms) ? h : -1;
}

/** Strings seen, by index, shared by every ring; at most 255, index 255 says "kept beside the slot". */
class Interner {
  static readonly OUTSIDE = 255;
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];

  constructor(seed: readonly string[]) {
    for (const s of seed) this.of(s);
  }

  /** The index of `value`, added if new; OUTSIDE once the table is full. */
  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      if (this.values.length >= Interner.OUTSIDE) return Interner.OUTSIDE;
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }

  at(i: number): string {
    return this.values[i]!;
  }
}

const statuses = new Interner(['up', 'degraded', 'down'] satisfies ProbeResult['status'][]);
const codes = new Interner(Object.values(CODES));

/** What a slot could not hold itself. */
interface Outside {
  status?: string;
  code?: string;
  httpStatus?: number;
  observedAt?: number;
  ms?: number;
}

export class HistoryRing {
  private view: DataView | undefined = undefined;
  private capacity = 0;
  /** Slot of the oldest result; stays 0 until the ring is full and wraps. */
  private head = 0;
  private count = 0;
  /** Detail of the failures held, by slot; created with the first, dropped with the last. */
  private details: (string | undefined)[] | undefined = undefined;
  private detailCount = 0;
  private outside: Map<number, Outside> | undefined = undefined;

  constructor(readonly size: number = HISTORY_SIZE) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`history size must be a positive integer, not ${size}`);
  }

  /** Results held: at most `size`. */
  get length(): number {
    return this.count;
  }

  /** Slots allocated now: 0, then HISTORY_INITIAL_SLOTS, then `size`. */
  get slots(): number {
    return this.capacity;
  }

  /** Results held that kept a value beside their slot, not packed in it. */
  get spilled(): number {
    return this.outside?.size ?? 0;
  }

  /** Keep `result`, dropping the oldest once `size` are held. */
  push(result: HistorySource): void {
    let slot: number;
    if (this.count < this.capacity) {
      slot = this.count++; // not wrapped yet: head is 0
    } else if (this.capacity < this.size) {
      this.grow();
      slot = this.count++;
    } else {
      slot = this.head;
      this.head = slot + 1 === this.capacity ? 0 : slot + 1;
      // The slot's old result goes: so do its detail and whatever it kept beside the slot.
      if (this.details?.[slot] !== undefined) this.dropDetail(slot);
      if (this.outside?.delete(slot) && this.outside.size === 0) this.outside = undefined;
    }
    this.write(slot, result);
  }

  /** The results held, oldest first, as the status API shows them. */
  toArray(): HistoryEntry[] {
    const out = new Array<HistoryEntry>(this.count);
    for (let i = 0; i < this.count; i++) {
      let slot = this.head + i;
      if (slot >= this.capacity) slot -= this.capacity;
      out[i] = this.read(slot);
    }
    return out;
  }

  private grow(): void {
    const capacity = this.capacity === 0 ? Math.min(HISTORY_INITIAL_SLOTS, this.size) : this.size;
    const buffer = new ArrayBuffer(capacity * STRIDE);
    if (this.view) new Uint8Array(buffer).set(new Uint8Array(this.view.buffer));
    this.view = new DataView(buffer);
    if (this.details) {
      const details = new Array<string | undefined>(capacity);
      for (let i = 0; i < this.capacity; i++) details[i] = this.details[i];
      this.details = details;
    }
    this.capacity = capacity;
  }

  private keepDetail(slot: number, detail: string): void {
    const details = (this.details ??= new Array<string | undefined>(this.capacity));
    // An outage repeats the same detail ("no answer within 5000 ms"): share the newest's string.
    const newest = details[slot === 0 ? this.capacity - 1 : slot - 1];
    details[slot] = newest === detail ? newest : detail;
    this.detailCount++;
  }

  private dropDetail(slot: number): void {
    if (--this.detailCount === 0) this.details = undefined;
    else this.details![slot] = undefined;
  }

  private write(slot: number, r: HistorySource): void {
    const view = this.view!;
    const base = slot * STRIDE;
    const status = statuses.of(r.status);
    const code = codes.of(r.code);
    const http = r.httpStatus;
    const httpFits = http === undefined || (Number.isInteger(http) && http >= 1 && http <= 0xffff);
    const at = r.observedAt;
    const inAt = atFits(at);
    const ms = hundredths(r.phases.total);
    view.setUint8(base + STATUS, status);
    view.setUint8(base + CODE, code);
    view.setUint16(base + HTTP, http !== undefined && httpFits ? http : 0, true);
    view.setUint32(base + AT_LOW, inAt ? at % TWO_32 : 0, true);
    view.setUint16(base + AT_HIGH, inAt ? Math.floor(at / TWO_32) : 0, true);
    view.setUint32(base + MS, ms >= 0 ? ms : 0, true);
    if (r.status !== 'up' && r.detail !== undefined) this.keepDetail(slot, r.detail);
    if (status === Interner.OUTSIDE || code === Interner.OUTSIDE || !httpFits || !inAt || ms < 0) {
      const odd: Outside = {};
      if (status === Interner.OUTSIDE) odd.status = r.status;
      if (code === Interner.OUTSIDE) odd.code = r.code;
      if (!httpFits) odd.httpStatus = http;
      if (!inAt) odd.observedAt = at;
      if (ms < 0) odd.ms = r.phases.total;
      (this.outside ??= new Map()).set(slot, odd);
    }
  }

  private read(slot: number): HistoryEntry {
    const view = this.view!;
    const base = slot * STRIDE;
    const status = view.getUint8(base + STATUS);
    const code = view.getUint8(base + CODE);
    const http = view.getUint16(base + HTTP, true);
    const odd = this.outside?.get(slot);
    const entry: HistoryEntry = {
      status: (status === Interner.OUTSIDE ? odd!.status : statuses.at(status)) as HistoryEntry['status'],
      code: code === Interner.OUTSIDE ? odd!.code! : codes.at(code),
      observedAt: odd?.observedAt ?? view.getUint32(base + AT_LOW, true) + view.getUint16(base + AT_HIGH, true) * TWO_32,
      ms: odd?.ms ?? view.getUint32(base + MS, true) / 100,
    };
    if (entry.status !== 'up') entry.detail = this.details?.[slot];
    if (odd && 'httpStatus' in odd) entry.httpStatus = odd.httpStatus;
    else if (http !== 0) entry.httpStatus = http;
    return entry;
  }
}
