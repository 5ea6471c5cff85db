/**
 * `{ ...obj, [key]: value }`, written so that V8 shares hidden classes. In the V8 that Node 20
 * ships, an object made by a spread and then given a key its source lacks gets a hidden class
 * (Map and DescriptorArray, a few hundred bytes) of its own: one more per probe for the GC, and
 * ~1 KiB per check kept (docs/performance.md §3). Copying with Object.assign and then adding the
 * key goes through the shared transitions instead.
 */
export function withKey<T extends object, K extends string, V>(obj: T, key: K, value: V): T & { [P in K]: V } {
  const out = Object.assign({}, obj) as T & { [P in K]: V };
  (out as Record<string, unknown>)[key] = value;
  return out;
}
