/** What can go wrong talking to the authority, classified for the outbox: retry, hold, or give up. */
import { RaqibError } from '../errors.js';
import type { Problem } from './contract.js';
import { isRetryableStatus } from '../outbox/retry.js';

export type AuthorityErrorKind =
  /** No answer: connection refused, reset, timeout. Retried. */
  | 'network'
  /** An HTTP error answer; retried only for 408/425/429/5xx. */
  | 'http'
  /** Not signed in, or the sign-in was revoked: held until someone signs in again. */
  | 'auth'
  /** An answer that does not match the contract. Retried: it may be a passing fault. */
  | 'invalid_answer';

export class AuthorityError extends RaqibError {
  override name = 'AuthorityError';
  readonly kind: AuthorityErrorKind;
  readonly status: number | undefined;
  readonly problem: Problem | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: AuthorityErrorKind, message: string, options: { status?: number; problem?: Problem; retryAfterMs?: number; cause?: unknown } = {}) {
    super(`RAQIB_AUTHORITY_${kind.toUpperCase()}`, message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.problem = options.problem;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Worth another attempt later without anyone changing anything. */
  get retryable(): boolean {
    if (this.kind === 'network' || this.kind === 'invalid_answer') return true;
    if (this.kind === 'http') return isRetryableStatus(this.status ?? 0);
    return false;
  }
}

export function isAuthorityError(err: unknown): err is AuthorityError {
  return err instanceof AuthorityError;
}
