/**
 * Whether V8 stores `s` one byte per character. The V8 serializer writes a string as it is stored:
 * after its two-byte header, tag '"' (kOneByteString), or 'c' (kTwoByteString) after any padding
 * bytes (0) that align the characters.
 */
import { serialize } from 'node:v8';

export function isOneByte(s: string): boolean {
  const bytes = serialize(s);
  let i = 2;
  while (bytes[i] === 0) i++;
  const tag = bytes[i];
  if (tag === 0x22) return true;
  if (tag === 0x63) return false;
  throw new Error(`unexpected V8 serializer tag 0x${tag?.toString(16)} for a string`);
}

/**
 * `s` stored two bytes per character, as V8 keeps a slice of a two-byte text (a config file with
 * Arabic in it). At least 13 characters: a shorter slice is a copy, which V8 12 (Node 22) makes
 * one-byte when it can.
 */
export function twoByteSlice(s: string): string {
  if (s.length < 13) throw new Error(`twoByteSlice needs 13 characters or more, got ${JSON.stringify(s)}`);
  const slice = `${s}ب`.slice(0, -1);
  if (isOneByte(slice)) throw new Error('this V8 made the slice one-byte: twoByteSlice needs another way');
  return slice;
}
