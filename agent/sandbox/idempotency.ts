/**
 * Idempotency keys (the `Idempotency-Key` header). A request that creates something is remembered
 * under (scope, key) with a hash of its body; the same key with the same body replays the first
 * answer, the same key with another body is a conflict. Only successful answers are remembered, so
 * a request refused for its content can be corrected and sent again under the same key.
 */
import type { IncomingMessage } from 'node:http';
import { IDEMPOTENCY_HEADER } from '../authority/contract.js';
import { json, type Reply } from './http.js';
import { canonicalJson, sha256 } from './ids.js';
import { problems } from './problems.js';
import type { SandboxState } from './state.js';

export const REPLAYED_HEADER = 'idempotent-replayed';
const KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's key: required (400 without it), 1 to 255 printable ASCII characters. */
export function requireKey(req: IncomingMessage): string {
  const key = optionalKey(req);
  if (key === undefined) throw problems.idempotencyKeyMissing();
  return key;
}

/** The request's key when it sent one (teams: optional there, since one team per entity already guards). */
export function optionalKey(req: IncomingMessage): string | undefined {
  const value = req.headers[IDEMPOTENCY_HEADER];
  if (value === undefined) return undefined;
  const key = (Array.isArray(value) ? value.join(',') : value).trim();
  if (!KEY.test(key)) throw problems.idempotencyKeyMissing();
  return key;
}

/** sha256 of the canonical JSON (sorted keys) of what was asked; `operation` tells apart uses of one scope. */
export function requestHash(operation: string, body: unknown): string {
  return sha256(canonicalJson({ operation, body }));
}

export class Idempotency {
  constructor(
    private readonly state: SandboxState,
    private readonly now: () => number,
  ) {}

  /** The replayed answer when this key was seen with this body; 409 when it was seen with another. */
  replay(scope: string, key: string, hash: string): Reply | undefined {
    const seen = this.state.idempotency.get(`${scope}\u0000${key}`);
    if (!seen) return undefined;
    if (seen.hash !== hash) {
      throw problems.conflict(
        'idempotency-key-reused',
        'Idempotency key reused',
        `the Idempotency-Key ${JSON.stringify(key)} was already used with a different request body; use a new key for a new request`,
      );
    }
    return json(seen.status, seen.body, { [REPLAYED_HEADER]: 'true' });
  }

  /** The answer body once given for this key, whatever the body was (for lookups by key). */
  answered(scope: string, key: string): Record<string, unknown> | undefined {
    return this.state.idempotency.get(`${scope}\u0000${key}`)?.body as Record<string, unknown> | undefined;
  }

  remember(scope: string, key: string, hash: string, reply: Reply): void {
    this.state.idempotency.set(`${scope}\u0000${key}`, {
      hash,
      status: reply.status,
      body: structuredClone(reply.body),
      at: new Date(this.now()).toISOString(),
    });
  }
}
