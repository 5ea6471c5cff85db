/**
 * The config as the YAML library gives it (`doc.toJS()`: plain objects, arrays and scalars),
 * copied so that no string in it is a slice of the file's text, and so that every string whose
 * characters fit in Latin-1 is stored one byte per character.
 *
 * Why both:
 * - toJS gives a scalar as a slice of the whole text, and a slice keeps its parent alive: one
 *   config value kept the 2 MiB text of a 10,000-check file in the agent's heap.
 * - V8 stores a string two bytes per character when the string it came from was, and a file with
 *   one Arabic name is: every id, url and label of every check then took twice the memory, and
 *   so did the /metrics lines built from them (all ASCII). A copy through latin1 is one byte per
 *   character: at 20,000 checks the JS heap in use fell from 139–143 to 95 MiB (Node 20; Node
 *   22's V8 makes most short slices one-byte by itself).
 */

/** Characters V8 can keep one byte each (Latin-1). */
const ONE_BYTE = /^[\u0000-\u00ff]*$/;

/** A new string with the same characters, one byte each when they fit. */
export function freshString(s: string): string {
  if (s.length === 0) return '';
  return ONE_BYTE.test(s) ? Buffer.from(s, 'latin1').toString('latin1') : Buffer.from(s, 'utf16le').toString('utf16le');
}

/** A deep copy of YAML's toJS() output with fresh strings, keys included. */
export function freshCopy(value: unknown): unknown {
  if (typeof value === 'string') return freshString(value);
  if (Array.isArray(value)) return value.map(freshCopy);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value); // not from the core schema; copied as before
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // A `__proto__:` key in the file is data, as toJS made it, not the copy's prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: freshCopy(v), enumerable: true, writable: true, configurable: true });
    else out[freshString(key)] = freshCopy(v);
  }
  return out;
}
