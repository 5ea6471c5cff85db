/**
 * Undoes a response's content codings (RFC 9110 §8.4) before its body is judged, as a browser
 * would: a check that copied `Accept-Encoding: gzip` from a browser, or a server that compresses
 * unasked (nginx `gzip_static always`), must not turn compressed bytes into a false BODY_MISMATCH.
 * Every coding's output is capped at `max_body_size`, so a decompression bomb costs at most that.
 */
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { CODES, type ResultCode } from './codes.js';
import { abortError } from './connect.js';

/** zstd's decoder where this Node has one (22.15+, 23.8+; not 20), found at run time. */
const createZstd = (zlib as unknown as { createZstdDecompress?: (o: zlib.ZlibOptions) => Decoder }).createZstdDecompress;

/** A node:zlib decompression stream. */
type Decoder = Transform & zlib.Zlib;

/** Bigger than zlib's 16 KiB default: fewer trips to the thread pool per body. */
const CHUNK = 64 * 1024;

/**
 * Most gzip members decoded in one body. Each member costs a decoder of its own (about 0.12 ms on
 * Node 20), whatever its size: 20,000 empty members (400 KB) took 2.2 s. Servers write one member
 * per response; several come only from joined files or proxies appending, and block formats such
 * as BGZF write one per 64 KiB (16 for the default 1 MiB max_body_size). 1,000 is far above any of
 * them and costs about 0.15 s at most.
 */
export const MAX_GZIP_MEMBERS = 1000;

/** What a failed expectation is reported as instead, when the judged text is not the whole body. */
export interface Instead {
  code: ResultCode;
  why: string;
}

/** The body to judge, or why it cannot be read. */
export type ReadBody =
  | {
      /** UTF-8 text without a leading byte order mark (RFC 8259 §8.1 lets a JSON parser ignore it). */
      text: string;
      /** Set when `text` is not all a browser would show, so a failed expectation is not a plain mismatch. */
      instead?: Instead;
      /** For the result's detail: what was done to the body, e.g. that it was cut at the cap. */
      note?: string;
    }
  | { failed: Instead };

/** A leading UTF-8 byte order mark (EF BB BF) is not part of the text. */
function bodyText(body: Buffer): string {
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return body.toString('utf8', bom ? 3 : 0);
}

/** Codings in the order they were applied (`gzip, br`: gzip first), without `identity`, lower-cased. */
function contentCodings(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/** The codings this runtime decodes. */
const DECODED_CODINGS: readonly string[] = ['gzip', 'x-gzip', 'deflate', 'br', ...(createZstd ? ['zstd'] : [])];

/** Whether this runtime decodes the content coding `name` (identity: there is nothing to do). */
export function decodes(name: string): boolean {
  const c = name.trim().toLowerCase();
  return c === 'identity' || DECODED_CODINGS.includes(c);
}

/**
 * The body a check's expectations are judged against: `raw` with its codings undone, cut at
 * `maxBody` bytes. `truncated` says `raw` itself was cut at `maxBody` (the rest was not downloaded).
 *
 * What the agent could not read is its own limit, not the service's fault, so expectations that
 * fail on a part are not a mismatch (codes.ts, AGENT_LIMIT_CODES: degraded, never an outage):
 * - An unknown coding leaves the body as sent, as Chromium does (a server that mislabels a plain
 *   page still serves it); expectations that fail on it are HTTP_CONTENT_ENCODING_UNSUPPORTED.
 * - A raw body cut at the cap, and decoded output past `maxBody` (not produced: a bomb ends there),
 *   have their start judged; expectations that fail on it are BODY_TOO_LARGE.
 *
 * Data that is not what its coding says is HTTP_CONTENT_DECODING_FAILED: the server sent it broken.
 */
export async function readBody(raw: Buffer, contentEncoding: string | undefined, maxBody: number, signal: AbortSignal, truncated = false): Promise<ReadBody> {
  if (raw.length === 0) return { text: '' }; // also every body no expectation reads: it was not kept
  const codings = contentCodings(contentEncoding);
  const cut: Instead | undefined = truncated
    ? { code: CODES.BODY_TOO_LARGE, why: `the body is larger than max_body_size ${maxBody} bytes, and the part read fails` }
    : undefined;
  if (codings.length === 0) return { text: bodyText(raw), ...(cut ? { instead: cut } : {}) };
  const unknown = codings.find((c) => !DECODED_CODINGS.includes(c));
  if (unknown !== undefined) {
    const why = `Content-Encoding ${unknown} is not decoded${unknown === 'zstd' ? ` by Node ${process.version} (22.15+ does)` : ''}, and the body as sent fails`;
    return { text: bodyText(raw), instead: { code: CODES.HTTP_CONTENT_ENCODING_UNSUPPORTED, why }, note: `Content-Encoding ${unknown} not decoded` };
  }
  let body = raw;
  let over = false;
  let short: string | undefined;
  for (const coding of codings.reverse()) {
    let out: Decoded;
    try {
      out = await decode(coding, body, maxBody, signal);
    } catch (err) {
      if (err instanceof DecodeError)
        return { failed: { code: CODES.HTTP_CONTENT_DECODING_FAILED, why: `the ${coding} body cannot be decoded: ${err.message}` } };
      throw err;
    }
    body = out.body;
    over ||= out.over;
    if (!out.ended && !out.over) short ??= coding;
  }
  const text = bodyText(body);
  if (over) {
    const why = `the decoded body exceeds max_body_size ${maxBody} bytes, and its first ${maxBody} bytes fail`;
    return { text, instead: { code: CODES.BODY_TOO_LARGE, why }, note: `decoded body truncated at ${maxBody} bytes` };
  }
  const note = short === undefined ? undefined : `the ${short} data ends early; its start was judged`;
  return { text, ...(cut ? { instead: cut } : {}), ...(note ? { note } : {}) };
}

/** Corrupt data, as opposed to an abort. */
class DecodeError extends Error {}

interface Decoded {
  body: Buffer;
  /** More output than the cap: `body` holds the first `cap` bytes. */
  over: boolean;
  /** The coded data was complete (false: it ended early, and `body` is what it held). */
  ended: boolean;
}

/** One coding undone, its output capped at `cap` bytes. */
async function decode(coding: string, input: Buffer, cap: number, signal: AbortSignal): Promise<Decoded> {
  const opts = { chunkSize: CHUNK };
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return gunzip(input, cap, signal);
    case 'deflate':
      // RFC 9110 means zlib-wrapped (RFC 1950); some servers send raw deflate, which browsers take.
      return run(zlibHeader(input) ? zlib.createInflate(opts) : zlib.createInflateRaw(opts), input, cap, signal);
    case 'br':
      return run(zlib.createBrotliDecompress(opts), input, cap, signal);
    default:
      return run(createZstd!(opts), input, cap, signal);
  }
}

/** Whether `b` starts with a zlib header: CM 8 (deflate) and a check value that is a multiple of 31. */
const zlibHeader = (b: Buffer) => b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;

/**
 * gzip as Chromium reads it: the header, then the deflate data; the trailer's CRC is not checked
 * and bytes after it are ignored. Further members (concatenated gzip files) are decoded too, up to
 * MAX_GZIP_MEMBERS: data with more is refused as corrupt rather than decoded at length.
 */
async function gunzip(input: Buffer, cap: number, signal: AbortSignal): Promise<Decoded> {
  const parts: Buffer[] = [];
  const joined = () => (parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  let size = 0;
  let at = 0;
  for (let members = 1; ; members++) {
    if (members > MAX_GZIP_MEMBERS) throw new DecodeError(`it holds more than ${MAX_GZIP_MEMBERS} gzip members, far more than any server writes`);
    const start = memberStart(input, at);
    if (start === undefined) return { body: joined(), over: false, ended: false };
    const inflate = zlib.createInflateRaw({ chunkSize: CHUNK });
    const out = await run(inflate, input.subarray(start), cap - size, signal);
    parts.push(out.body);
    size += out.body.length;
    if (out.over || !out.ended) return { body: joined(), over: out.over, ended: out.ended };
    at = start + inflate.bytesWritten + 8; // the trailer: CRC-32 and size
    // Another member starts with the magic and CM 8; anything else after the trailer is ignored.
    if (input[at] !== 0x1f || input[at + 1] !== 0x8b || input[at + 2] !== 8) return { body: joined(), over: false, ended: true };
  }
}

/** Where a gzip member's deflate data starts (RFC 1952 §2.3); undefined when the header is cut short. */
function memberStart(b: Buffer, at: number): number | undefined {
  for (const [k, byte] of [0x1f, 0x8b, 8].entries()) {
    if (at + k < b.length && b[at + k] !== byte) throw new DecodeError('not gzip data'); // magic, CM deflate
  }
  if (b.length - at < 10) return undefined;
  const flags = b[at + 3]!;
  let i = at + 10;
  if (flags & 4) i = b.length - i < 2 ? Infinity : i + 2 + b.readUInt16LE(i); // FEXTRA
  for (const flag of [8, 16]) {
    if (!(flags & flag)) continue; // FNAME, FCOMMENT: zero-terminated
    const end = b.indexOf(0, i);
    i = end < 0 ? Infinity : end + 1;
  }
  if (flags & 2) i += 2; // FHCRC
  return i < b.length ? i : undefined;
}

/** Feeds `input` to a decoder and collects at most `cap` bytes of its output. */
function run(z: Decoder, input: Buffer, cap: number, signal: AbortSignal): Promise<Decoded> {
  return new Promise<Decoded>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (over: boolean, ended: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      z.destroy();
      resolve({ body: Buffer.concat(parts, size), over, ended });
    };
    const onAbort = () => {
      if (settled) return;
      settled = true;
      z.destroy();
      reject(abortError(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    z.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = cap - size;
      parts.push(chunk.length <= room ? chunk : chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
      if (chunk.length > room) finish(true, false); // the cap: stop decoding
    });
    z.on('end', () => finish(false, true));
    z.on('error', (err: NodeJS.ErrnoException) => {
      // Input that stops mid-stream: everything it held came out at the flush below.
      if (err.code === 'Z_BUF_ERROR') return finish(false, false);
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      reject(new DecodeError(err.message));
    });
    z.write(input);
    z.flush(() => {
      if (!settled) z.end();
    });
  });
}
