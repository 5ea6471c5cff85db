/**
 * A bounded memo of a pure function's answers, the least recently used first to go: for answers
 * that cost more to compute than to keep (a parsed cron expression, a signature check), where an
 * unbounded map would grow with every config reload or endpoint ever seen.
 */
export class Lru<V> {
  private readonly kept = new Map<string, V>();

  constructor(readonly max: number) {}

  /** The answer kept for `key`, or `make()`'s, kept from now on. */
  get(key: string, make: () => V): V {
    let value = this.kept.get(key);
    if (value !== undefined || this.kept.has(key)) {
      this.kept.delete(key); // moved to the end: used last
    } else {
      value = make();
      if (this.kept.size >= this.max) this.kept.delete(this.kept.keys().next().value!);
    }
    this.kept.set(key, value as V);
    return value as V;
  }
}
