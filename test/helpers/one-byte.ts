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
