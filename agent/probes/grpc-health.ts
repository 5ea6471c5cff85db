/**
 * The two messages of the standard gRPC health checking protocol (grpc.health.v1), encoded and
 * decoded by hand, and the gRPC framing and status names around them. Two one-field messages do
 * not need a protobuf library:
 *
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }   // 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN
 */

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** ServingStatus by number; proto3 leaves a 0 (UNKNOWN) out of the message. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** gRPC status codes by number (grpc/doc/statuscodes.md), for details. */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A HealthCheckRequest in a gRPC message frame (uncompressed flag, 4-byte big-endian length). */
export function healthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Reads a varint at `at`; undefined when the buffer ends inside it or it is longer than 32 bits need. */
function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (at + i >= buf.length) return undefined;
    const b = buf[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  // Longer varints (negative enum values are sign-extended to 10 bytes) are not a ServingStatus.
  return undefined;
}

/**
 * The ServingStatus number in a gRPC response body (one message frame), or a reason it cannot be
 * read. Unknown fields are skipped, as protobuf requires.
 */
export function readServingStatus(body: Buffer): { status: number } | { error: string } {
  if (body.length < 5) return { error: body.length === 0 ? 'no response message' : 'a response message cut short' };
  if (body[0] !== 0) return { error: 'a compressed response message, which was not asked for' };
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return { error: 'a response message cut short' };
  const message = body.subarray(5, 5 + length);
  let status = 0;
  for (let at = 0; at < message.length;) {
    const tag = readVarint(message, at);
    if (!tag) return { error: 'a malformed response message' };
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value & 7;
    if (wire === 0) {
      const v = readVarint(message, at);
      if (!v) return { error: 'a malformed response message' };
      if (field === 1) status = v.value;
      at = v.next;
    } else if (wire === 2) {
      const len = readVarint(message, at);
      if (!len || len.next + len.value > message.length) return { error: 'a malformed response message' };
      at = len.next + len.value;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > message.length) return { error: 'a malformed response message' };
    } else {
      return { error: 'a malformed response message' };
    }
  }
  return { status };
}

/** `grpc-message` is percent-encoded (gRPC over HTTP/2); shown as sent when it is not valid. */
export function grpcMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `grpc-timeout` for `ms` milliseconds: at most 8 digits, in milliseconds or whole seconds. */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.floor(ms));
  return whole < 1e8 ? `${whole}m` : `${Math.min(99_999_999, Math.floor(whole / 1000))}S`;
}
