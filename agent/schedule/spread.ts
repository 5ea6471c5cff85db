/**
 * Where in its interval a check first runs: a stable hash of its key, so 10,000 checks with the
 * same interval do not all fire at once, and a restart keeps each check at the same phase.
 */
export function phaseOffset(key: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % Math.max(1, Math.floor(intervalMs));
}

/** The first time ≥ `now` at which a check with this phase is due, counting from `anchor`. */
export function nextAligned(now: number, anchor: number, intervalMs: number, offset: number): number {
  const first = anchor + offset;
  if (now <= first) return first;
  return first + Math.ceil((now - first) / intervalMs) * intervalMs;
}
