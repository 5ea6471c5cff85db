/** Formatting of the benchmark's Markdown report. */
import type { BucketStats } from './prom.js';
import type { ProfileSummary } from './profile.js';

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

/** A duration in ms, with a precision that suits its size. */
export const ms = (v: number): string => (!Number.isFinite(v) ? '–' : v < 10 ? `${fmt(v, 2)} ms` : v < 100 ? `${fmt(v, 1)} ms` : `${fmt(v)} ms`);

/** A histogram bound (seconds) as "≤ 10 ms", or "> 5 s" past the last bound. */
export function bound(seconds: number, stats: BucketStats): string {
  if (Number.isNaN(seconds)) return '–';
  if (!Number.isFinite(seconds)) return `> ${ms((stats.bounds.at(-1) ?? 0) * 1000)}`;
  return `≤ ${ms(seconds * 1000)}`;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const verdict = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? 'met' : '**not met**');

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function profileSection(title: string, p: ProfileSummary, top = 20): string {
  const pct = (x: number) => `${fmt(x * 100, 1)}%`;
  const rows = (list: ProfileSummary['selfByFunction']) => list.slice(0, top).map((r) => [r.what, fmt(r.ms), pct(r.share)]);
  return [
    `#### ${title}`,
    '',
    `Window ${fmt(p.windowMs / 1000, 1)} s, busy ${fmt(p.busyMs / 1000, 1)} s (${pct(p.busyMs / Math.max(1, p.windowMs))} of the main thread).`,
    '',
    'Self time by area:',
    '',
    table(['area', 'ms', 'share of busy'], rows(p.selfByArea)),
    '',
    'Self time by function:',
    '',
    table(
      ['function', 'ms', 'share of busy', 'mostly called from'],
      p.selfByFunction.slice(0, top).map((r) => [r.what, fmt(r.ms), pct(r.share), r.from ?? '']),
    ),
    '',
    'Longest busy stretches (no idle sample between; the event loop did not poll meanwhile):',
    '',
    table(
      ['stretch', 'at', 'where (self time)', 'mostly called from'],
      p.stretches.flatMap((st, i) =>
        st.top.map((r, j) => [j === 0 ? `#${i + 1}: ${fmt(st.ms)} ms` : '', j === 0 ? `${fmt(st.at, 1)} s` : '', `${r.what} (${fmt(r.ms)} ms)`, r.from ?? '']),
      ),
    ),
    '',
    "Inclusive time of the agent's own functions:",
    '',
    table(['function', 'ms', 'share of busy'], rows(p.inclusiveAgent)),
    '',
  ].join('\n');
}
