/** Values of command-line flags of the benchmark and the soak run, with errors that name the flag. */

/** A duration such as 500ms, 30s, 2m or 1h30m (a bare number is seconds), in ms. */
export function duration(text: string, flag: string): number {
  let total = 0;
  let rest = text.trim();
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (/^\d+(\.\d+)?$/.test(rest)) return Number(rest) * 1000;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`--${flag}: expected a duration such as 500ms, 30s or 2m, got ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** A positive whole number; `_` and `,` may group its digits. */
export function count(text: string, flag: string): number {
  const n = Number(text.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}
