/**
 * The Accept-Encoding a check sends, cut to what this runtime decodes. A check often copies a
 * browser's `Accept-Encoding: gzip, deflate, br, zstd`; on a Node without a zstd decoder (below
 * 22.15) a server would answer in zstd, and a page every browser reads would be judged
 * HTTP_CONTENT_ENCODING_UNSUPPORTED. Asking only for what can be read keeps the agent's limit
 * from ever reaching the service's verdict: the server picks among the rest, as it would for an
 * older browser.
 */
import { decodes } from './body-decode.js';

/** A q-value of zero (`;q=0`, `;q=0.000`): the coding is refused, which must stay said (it may narrow a `*`). */
const REFUSED = /;\s*q\s*=\s*0(?:\.0{0,3})?\s*$/i;

/** The coding an Accept-Encoding element asks for and this runtime cannot decode; undefined for any other element. */
function undecodable(element: string): string | undefined {
  const coding = element.split(';')[0]!.trim();
  return coding === '' || coding === '*' || decodes(coding) || REFUSED.test(element) ? undefined : coding;
}

/** The codings `value` (an Accept-Encoding list) asks for that this runtime cannot decode, as written. */
export function undecodableCodings(value: string): string[] {
  return value.split(',').flatMap((e) => undecodable(e.trim()) ?? []);
}

/**
 * `value` (an Accept-Encoding list) without the codings this runtime cannot decode, the rest
 * (`*`, refusals with q=0, q-values, order) as written; `identity` when nothing is left, so the
 * server sends the body as it is rather than guessing. Returns `value` itself when nothing is
 * dropped.
 */
export function decodableAcceptEncoding(value: string): string {
  const elements = value.split(',').map((e) => e.trim());
  const kept = elements.filter((e) => undecodable(e) === undefined);
  if (kept.length === elements.length) return value;
  const rest = kept.filter((e) => e !== '');
  return rest.length === 0 ? 'identity' : rest.join(', ');
}
