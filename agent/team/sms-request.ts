/**
 * An SMS gateway's request, made from the channel's template: each `{{placeholder}}` is replaced by
 * its value escaped for where it stands. In the URL it is percent-encoded; in the body it follows the
 * request's Content-Type: JSON string escaping for `application/json` (and `…+json`), form encoding
 * for `application/x-www-form-urlencoded`, XML character escaping for `…/xml` and `…+xml` (SOAP
 * gateways), the value as it is for anything else; in a header, the value with line breaks made
 * spaces (the config refuses {{text}} there: a header carries Latin-1 only). A lone surrogate is
 * made U+FFFD first, so no value can fail to encode. Pure: the config rules use it to try a body before it runs.
 */
import { PLACEHOLDER, type SmsChannel, type SmsPlaceholder } from '../config/schema-notifications.js';

export type BodyKind = 'json' | 'form' | 'xml' | 'text';
export type SmsValues = Record<SmsPlaceholder, string>;

export interface GatewayRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request's Content-Type as written in its headers (any case), if any. */
export function contentType(headers: Record<string, string>): string | undefined {
  return Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
}

/** How values are escaped in a body sent with this Content-Type. */
export function bodyKind(type: string | undefined): BodyKind {
  const media = (type ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  if (media.endsWith('/xml') || media.endsWith('+xml')) return 'xml';
  return 'text';
}

const XML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

const ESCAPE: Record<BodyKind | 'url' | 'header', (value: string) => string> = {
  // The template writes the quotes: "text": "{{text}}".
  json: (v) => JSON.stringify(v).slice(1, -1),
  // As a browser encodes a form field: UTF-8, percent-encoded, a space as "+".
  form: (v) => new URLSearchParams({ v }).toString().slice(2),
  xml: (v) => v.replace(/[&<>"']/g, (c) => XML_ENTITY[c]!),
  text: (v) => v,
  url: (v) => encodeURIComponent(v),
  header: (v) => v.replace(/[\r\n]+/g, ' '),
};

/** `s` with every lone surrogate made U+FFFD (String.prototype.toWellFormed, which ES2022's lib lacks). */
const wellFormed = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

export function fill(template: string, values: SmsValues, escape: (value: string) => string): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in values ? escape(wellFormed(values[name as SmsPlaceholder])) : whole));
}

/** The request for one recipient and message. */
export function gatewayRequest(request: SmsChannel['request'], values: SmsValues): GatewayRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, fill(v, values, ESCAPE.header)]));
  const made: GatewayRequest = { method: request.method, url: fill(request.url, values, ESCAPE.url), headers };
  if (request.body !== undefined) made.body = fill(request.body, values, ESCAPE[bodyKind(contentType(request.headers))]);
  return made;
}
