/**
 * The WebSocket framing a probe needs (RFC 6455, section 5): frames a client sends (masked, as a
 * client must) and a reader of the server's frames that keeps at most `cap` bytes of a message,
 * so a server that floods cannot make the agent hold more.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The GUID RFC 6455 appends to the key to compute Sec-WebSocket-Accept. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}${WS_GUID}`).digest('base64');
}

/** A masked client frame, FIN set. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** A close frame with status 1000 (normal closure). */
export function closeFrame(): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(1000);
  return clientFrame(OPCODE.close, payload);
}

export type FrameEvent =
  | { kind: 'message'; binary: boolean; data: Buffer; truncated: boolean }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'close'; code: number | undefined; reason: string }
  | { kind: 'error'; why: string };

/**
 * Reads the server's frames as bytes arrive. `push` returns what completed: messages (fragments
 * joined), pings to answer, a close, or a protocol error; after a message, a close or an error
 * the reader has said all it will.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private size = 0;
  private binary: boolean | undefined;
  private finished = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): FrameEvent[] {
    if (this.finished) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      const event = this.next();
      if (!event) break;
      events.push(event);
      if (event.kind !== 'ping') {
        this.finished = true;
        break;
      }
    }
    return events;
  }

  /** One frame's worth, or undefined when more bytes are needed (or only a pong was read). */
  private next(): FrameEvent | undefined {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return undefined;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const len7 = b[1]! & 0x7f;
      const head = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      if (b.length < head) return undefined;
      if ((b[0]! & 0x70) !== 0) return { kind: 'error', why: 'a frame with reserved bits set, though no extension was agreed' };
      if ((b[1]! & 0x80) !== 0) return { kind: 'error', why: 'a masked frame from the server' };
      let len = len7;
      if (len7 === 126) len = b.readUInt16BE(2);
      else if (len7 === 127) {
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'error', why: 'a frame length out of range' };
        len = Number(big);
      }
      const control = opcode >= 0x8;
      if (![0x0, 0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) return { kind: 'error', why: `a frame of unknown opcode ${opcode}` };
      if (control && (!fin || len > 125)) return { kind: 'error', why: 'a fragmented or oversized control frame' };
      if (opcode === OPCODE.continuation && this.binary === undefined) return { kind: 'error', why: 'a continuation frame without a message to continue' };
      if ((opcode === OPCODE.text || opcode === OPCODE.binary) && this.binary !== undefined) {
        return { kind: 'error', why: 'a new message before the previous one ended' };
      }
      if (!control) {
        // Enough of the message to judge: the rest is never read, however large it is.
        const avail = b.length - head;
        if (this.size + len > this.cap && this.size + avail >= this.cap) {
          this.binary ??= opcode === OPCODE.binary;
          this.parts.push(b.subarray(head, head + (this.cap - this.size)));
          return { kind: 'message', binary: this.binary, data: Buffer.concat(this.parts), truncated: true };
        }
      }
      if (b.length < head + len) return undefined;
      const payload = b.subarray(head, head + len);
      this.buf = b.subarray(head + len);
      if (opcode === OPCODE.ping) return { kind: 'ping', data: Buffer.from(payload) };
      if (opcode === OPCODE.pong) continue;
      if (opcode === OPCODE.close) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
        return { kind: 'close', code, reason: payload.subarray(2).toString('utf8') };
      }
      this.binary ??= opcode === OPCODE.binary;
      this.parts.push(payload);
      this.size += len;
      if (fin) return { kind: 'message', binary: this.binary, data: Buffer.concat(this.parts, this.size), truncated: false };
    }
  }
}
