/**
 * Errors as RFC 9457 problem details (`application/problem+json`), and the OAuth error answers of
 * RFC 6749 §5.2 that the /oauth endpoints give instead. Handlers throw these; the server turns
 * them into answers.
 */
import type * as z from 'zod';
import type { Problem } from '../authority/contract.js';

export const PROBLEM_BASE = 'https://raqib.invalid/problems/';

export type FieldError = { path: string; message: string };

export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }

  toProblem(instance?: string): Problem {
    return {
      type: `${PROBLEM_BASE}${this.slug}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
    };
  }
}

/** An OAuth error (`{"error": "authorization_pending"}`), answered as plain JSON per RFC 6749. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly error: string,
    description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

/** `members[0].email`: a zod issue path as people write it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

export const problems = {
  malformed: (detail: string) => new ProblemError(400, 'malformed-request', 'Malformed request', detail),
  badQuery: (errors: FieldError[]) =>
    new ProblemError(400, 'invalid-query', 'Invalid query parameters', 'one or more query parameters are not valid', { errors }),
  idempotencyKeyMissing: () =>
    new ProblemError(
      400,
      'idempotency-key-missing',
      'Idempotency-Key required',
      'send an Idempotency-Key header (1 to 255 printable ASCII characters) with every request that creates something',
    ),
  invalidToken: (detail: string) =>
    new ProblemError(401, 'invalid-token', 'Invalid access token', detail, {
      headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${detail}"` },
    }),
  insufficientScope: (scope: string) =>
    new ProblemError(403, 'insufficient-scope', 'Insufficient scope', `this request needs the scope ${scope}`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    }),
  forbidden: (detail: string) => new ProblemError(403, 'forbidden', 'Forbidden', detail),
  notFound: (detail: string) => new ProblemError(404, 'not-found', 'Not found', detail),
  noRoute: (method: string, path: string) => new ProblemError(404, 'no-such-route', 'No such route', `nothing is served at ${method} ${path}`),
  methodNotAllowed: (method: string, path: string, allowed: string[]) =>
    new ProblemError(405, 'method-not-allowed', 'Method not allowed', `${path} does not accept ${method}; it accepts ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    }),
  conflict: (slug: string, title: string, detail: string, headers?: Record<string, string>) =>
    new ProblemError(409, slug, title, detail, headers ? { headers } : {}),
  tooLarge: (limit: number) =>
    new ProblemError(413, 'payload-too-large', 'Payload too large', `request bodies are limited to ${limit} bytes`, {
      headers: { connection: 'close' },
    }),
  unsupportedMediaType: (expected: string, got: string | undefined) =>
    new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', `expected ${expected}, got ${got ?? 'no Content-Type'}`),
  invalid: (errors: FieldError[], detail = 'the request body is not valid') =>
    new ProblemError(422, 'validation-failed', 'Validation failed', detail, { errors }),
  rateLimited: (seconds: number) =>
    new ProblemError(429, 'rate-limited', 'Too many requests', `retry after ${seconds} seconds`, { headers: { 'retry-after': String(seconds) } }),
  internal: (detail: string) => new ProblemError(500, 'internal', 'Internal error', detail),
  unavailable: (detail: string) => new ProblemError(503, 'unavailable', 'Service unavailable', detail),
};

/** The parsed value, or 422 with one entry per problem. */
export function validate<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error));
  return parsed.data;
}
