/**
 * The HTTP plumbing of the sandbox: what a handler answers (`Reply`), reading a bounded request
 * body, parsing JSON and form bodies, and writing an answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { problems } from './problems.js';

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT = 1024 * 1024;

export interface Reply {
  status: number;
  /** Serialized as JSON unless `text` is given. */
  body?: unknown;
  /** A text body sent as is (HTML pages). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers });

/** Reads the whole body, refusing (413) one that announces or reaches more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw problems.tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw problems.tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string | undefined {
  return req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** A JSON body (`application/json` or any `+json` type); 415 for other types, 400 when it does not parse. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json' && !type?.endsWith('+json')) throw problems.unsupportedMediaType('application/json', type);
  const raw = await readBody(req);
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw problems.malformed(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** An `application/x-www-form-urlencoded` body as a plain record (the last value of a repeated name wins). */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const type = mediaType(req);
  if (type !== 'application/x-www-form-urlencoded') throw problems.unsupportedMediaType('application/x-www-form-urlencoded', type);
  const raw = await readBody(req);
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

/** True when the body is a form (the device page posts one); JSON otherwise. */
export function isForm(req: IncomingMessage): boolean {
  return mediaType(req) === 'application/x-www-form-urlencoded';
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const problem = reply.status >= 400 && reply.text === undefined && reply.contentType === undefined && isProblem(reply.body);
  const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const type = reply.contentType ?? (reply.text !== undefined ? 'text/plain; charset=utf-8' : problem ? 'application/problem+json' : 'application/json');
  const headers: Record<string, string | number> = { ...reply.headers };
  if (text !== '' || reply.status !== 204) {
    headers['content-type'] = type;
    headers['content-length'] = Buffer.byteLength(text);
  }
  res.writeHead(reply.status, headers);
  res.end(text);
}

function isProblem(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'type' in body && 'title' in body && 'status' in body;
}
