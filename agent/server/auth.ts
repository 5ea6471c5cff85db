/** Bearer-token check for the agent's endpoints, in constant time so the token cannot be guessed byte by byte. */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** True when the Authorization header carries exactly `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Compare fixed-length digests: timingSafeEqual needs equal lengths, and the length must not leak either.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}
