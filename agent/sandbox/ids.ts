/**
 * Random identifiers and secrets, hashing and a seeded generator. Secrets (tokens, device codes)
 * always come from the crypto RNG, never from the injectable `random` (which exists only so that
 * tests can make the error_rate fault deterministic).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
/** RFC 8628 §6.1: consonants only, so no word can be spelt and nothing looks alike. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `team_k3x9q2m7a4` style ids: a prefix and 12 lowercase letters or digits. */
export function newId(prefix: string): string {
  return `${prefix}_${pick(ID_ALPHABET, 12)}`;
}

/** An opaque secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `WDJB-MJHT`: 8 consonants, about 34 bits, typed by a person. */
export function newUserCode(): string {
  const code = pick(USER_CODE_ALPHABET, 8);
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person may type for a user code: any case, with or without the dash or spaces. */
export function normalizeUserCode(text: string): string {
  const plain = text.toUpperCase().replace(/[^A-Z]/g, '');
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : text.toUpperCase();
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** mulberry32: a small seeded generator of numbers in [0, 1), for reproducible fault injection. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `a***@moh.gov.sa`: enough to tell people apart in a log without writing their address. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}
