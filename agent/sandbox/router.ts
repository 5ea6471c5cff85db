/**
 * Routes: a method and a path pattern (`/api/v1/reports/{id}`) per handler. A path that matches no
 * pattern is 404; one that matches with another method is 405 with `Allow`.
 */
import type { IncomingMessage } from 'node:http';
import type { Reply } from './http.js';
import type { Principal } from './tokens.js';

export interface Ctx {
  req: IncomingMessage;
  url: URL;
  /** Values of the pattern's `{name}` segments, decoded. */
  params: Record<string, string>;
}

/** oauth and api routes are what a client uses (faults apply); control routes drive the sandbox. */
export type Route =
  | { method: string; pattern: string; kind: 'api'; scope?: string; handler: (ctx: Ctx, who: Principal) => Promise<Reply> | Reply }
  | { method: string; pattern: string; kind: 'oauth' | 'control'; handler: (ctx: Ctx) => Promise<Reply> | Reply };

export type Match = { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined;

/**
 * What a path parameter names, by the collection segment it follows: `{ reports: … }` turns the
 * `{id}` of every `…/reports/{id}…` pattern — API and control routes alike — into the id the
 * handlers look up. One place, so no route can take one form of a name and refuse another.
 */
export type Resolvers = Readonly<Record<string, (value: string) => string>>;

export function matchRoute(routes: readonly Route[], method: string, pathname: string, resolvers: Resolvers = {}): Match {
  const parts = pathname.split('/');
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, parts, resolvers);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPattern(pattern: string, parts: string[], resolvers: Resolvers): Record<string, string> | undefined {
  const want = pattern.split('/');
  if (want.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const p = parts[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (p === '') return undefined;
      let value: string;
      try {
        value = decodeURIComponent(p);
      } catch {
        return undefined;
      }
      const resolve = i > 0 ? resolvers[want[i - 1]!] : undefined;
      params[w.slice(1, -1)] = resolve ? resolve(value) : value;
    } else if (w !== p) return undefined;
  }
  return params;
}

/** `POST /api/v1/reports/{id}/updates`: how routes are named in request counters and logs. */
export function routeName(route: Route): string {
  return `${route.method} ${route.pattern}`;
}
