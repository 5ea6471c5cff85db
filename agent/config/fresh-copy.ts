/**
 * A string copied so that V8 stores it one byte per character when its characters fit in Latin-1:
 * a string built from a two-byte one (a config file with Arabic in it is read two bytes a
 * character) stays two-byte otherwise. Used by agent/metrics/check-series.ts for the labels of its
 * cached lines.
 */

/** Characters V8 can keep one byte each (Latin-1). */
const ONE_BYTE = /^[\u0000-\u00ff]*$/;

/** A new string with the same characters, one byte each when they fit. */
export function freshString(s: string): string {
  if (s.length === 0) return '';
  return ONE_BYTE.test(s) ? Buffer.from(s, 'latin1').toString('latin1') : Buffer.from(s, 'utf16le').toString('utf16le');
}
