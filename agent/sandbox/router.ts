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

export function matchRoute(routes: readonly Route[], method: string, pathname: string): Match {
  const parts = pathname.split('/');
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, parts);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPattern(pattern: string, parts: string[]): Record<string, string> | undefined {
  const want = pattern.split('/');
  if (want.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const p = parts[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (p === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(p);
      } catch {
        return undefined;
      }
    } else if (w !== p) return undefined;
  }
  return params;
}

/** `POST /api/v1/reports/{id}/updates`: how routes are named in request counters and logs. */
export function routeName(route: Route): string {
  return `${route.method} ${route.pattern}`;
}
