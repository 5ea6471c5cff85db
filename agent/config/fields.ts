/**
 * Field types shared by the config schema: each one validates, explains itself in the JSON Schema
 * and carries its own rejection message, so every config error reads the same way.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { validateDetailed } from 'node-cron';
import { parseMatcher } from '../alerts/matchers.js';
import { parseDuration, parseSize } from './units.js';

/**
 * A duration string (`500ms`, `30s`, `5m`, `2h`, `1m30s`) parsed to milliseconds. `positive` refuses
 * `0s` where zero makes no sense (an interval of 0 would run a check in a busy loop).
 */
export const duration = (options: { positive?: boolean } = {}) =>
  z
    .string({ error: 'expected a duration such as 500ms, 30s, 5m or 2h' })
    .refine((s) => parseDuration(s) !== undefined, {
      error: (iss) => `expected a duration such as 500ms, 30s, 5m or 2h, got ${JSON.stringify(iss.input)}`,
    })
    .refine((s) => !options.positive || (parseDuration(s) ?? 1) > 0, {
      error: (iss) => `must be longer than 0, such as 500ms or 30s, got ${JSON.stringify(iss.input)}`,
    })
    .transform((s) => parseDuration(s)!)
    .meta({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$' });

/** A byte size (`1048576`, `512KiB`, `1MiB`) parsed to bytes. */
export const size = () =>
  z
    .union([z.string(), z.number()], { error: 'expected a size such as 1048576, 512KiB or 1MiB' })
    .refine((v) => parseSize(v) !== undefined, {
      error: (iss) => `expected a size such as 1048576, 512KiB or 1MiB, got ${JSON.stringify(iss.input)}`,
    })
    .transform((v) => parseSize(v)!);

const ID_EXPECTED = 'expected an id of lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit)';

/** Ids appear in metric labels, URLs and idempotency keys, so they are kept to a safe alphabet. */
export const id = () =>
  z.string({ error: ID_EXPECTED }).regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: (iss) => `${ID_EXPECTED}, got ${JSON.stringify(iss.input)}` });

/** Entity codes as the authority knows them (MOH, NIC, …); `alternative` names another accepted value. */
export const entityCode = (alternative?: string) => {
  const expected = `expected ${alternative ? `${alternative} or ` : ''}an entity code of uppercase letters, digits, "-" or "_" such as MOH`;
  return z.string({ error: expected }).regex(/^[A-Z0-9][A-Z0-9_-]{1,31}$/, { error: (iss) => `${expected}, got ${JSON.stringify(iss.input)}` });
};

/** A name in both languages the authority's service works in. */
export const bilingual = () =>
  z
    .strictObject({
      ar: z.string({ error: 'expected the name in Arabic' }).min(1, { error: 'must not be empty' }).describe('Arabic'),
      en: z.string({ error: 'expected the name in English' }).min(1, { error: 'must not be empty' }).describe('English'),
    })
    .describe('Text in Arabic (ar) and English (en).');

export const port = () =>
  z
    .number({ error: (iss) => (iss.code === 'invalid_type' ? 'expected a port number from 1 to 65535' : undefined) })
    .int()
    .min(1)
    .max(65535);

/**
 * A DNS host name: labels of letters, digits and inner hyphens, dot-separated, an optional final
 * dot. No nested quantifier: a name that does not match is refused in linear time.
 */
const HOST_NAME = /^(?=.{1,254}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A host name or IP literal, without scheme or port. */
export const host = () =>
  z
    .string({ error: 'expected a host name or IP address' })
    .min(1, { error: 'must not be empty' })
    .refine((h) => isIP(h) !== 0 || HOST_NAME.test(h), {
      error: (iss) => `expected a host name or IP address without scheme or port, got ${JSON.stringify(iss.input)}`,
    });

/** `host:port` or `[ipv6]:port`; port 0 asks the OS for a free one (tests use that). */
export const hostPort = (defaultPort?: number) => {
  const expected = `expected host:port such as 127.0.0.1:${defaultPort ?? 9470}${defaultPort ? ' (the port may be left out)' : ''}`;
  return z.string({ error: expected }).refine((s) => splitHostPort(s, defaultPort) !== undefined, {
    error: (iss) => {
      const port = /:(\d+)$/.exec(String(iss.input))?.[1];
      const range = port !== undefined && Number(port) > 65535 ? `; port ${port} is above 65535` : '';
      return `${expected}, got ${JSON.stringify(iss.input)}${range}`;
    },
  });
};

/**
 * `host:port` of a server to probe (`[ipv6]:port` for an IPv6 literal): a host name or IP address
 * and a port from 1 to 65535, both required (a gRPC server has no usual port to assume).
 */
export const endpoint = () => {
  const expected = 'expected host:port such as grpc.example.gov.sa:443';
  return z.string({ error: expected }).superRefine((s, ctx) => {
    const hp = splitHostPort(s);
    const port = /:(\d+)$/.exec(s)?.[1];
    const hostOk = hp !== undefined && hp.host !== '0.0.0.0' && (isIP(unbracket(hp.host)) !== 0 || HOST_NAME.test(hp.host));
    if (hostOk && hp.port >= 1) return;
    const range =
      port === undefined ? '' : Number(port) > 65535 ? `; port ${port} is above 65535` : Number(port) === 0 ? '; port 0 is not a port to connect to' : '';
    ctx.addIssue({ code: 'custom', message: `${expected}, got ${JSON.stringify(s)}${range}` });
  });
};

/** A `ws://` or `wss://` URL with a host and no credentials. */
export const wsUrl = () =>
  z.string({ error: 'expected an absolute ws:// or wss:// URL' }).superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return void ctx.addIssue({ code: 'custom', message: `expected an absolute ws:// or wss:// URL, got ${JSON.stringify(s)}` });
    }
    if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || u.hostname === '') {
      ctx.addIssue({ code: 'custom', message: `expected an absolute ws:// or wss:// URL, got ${JSON.stringify(s)}` });
    } else if (u.username !== '' || u.password !== '') {
      // Never echo the value: it holds a credential.
      ctx.addIssue({ code: 'custom', message: 'a URL must not carry a user name or password (they would show in logs); send them in headers' });
    }
  });

/**
 * `host` without the brackets URLs and `host:port` put around an IPv6 literal (`[::1]` → `::1`), for
 * what takes a bare address (net.isIP, DNS, connect); anything else is returned as it is. The one
 * way of doing it: a bracket on one side only is left alone, not half-stripped.
 */
export function unbracket(host: string): string {
  return host.length >= 2 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function splitHostPort(s: string, defaultPort?: number): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const hostPart = m[1] ?? m[2] ?? '';
  const portPart = m[3] === undefined ? defaultPort : Number(m[3]);
  if (portPart === undefined || portPart > 65535) return undefined;
  if (m[1] !== undefined && isIP(hostPart) !== 6) return undefined;
  return { host: hostPart === '' ? '0.0.0.0' : hostPart, port: portPart };
}

export const httpUrl = () =>
  z
    .string({ error: 'expected an absolute http:// or https:// URL' })
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
        } catch {
          return false;
        }
      },
      { error: (iss) => `expected an absolute http:// or https:// URL, got ${JSON.stringify(iss.input)}` },
    )
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return u.username === '' && u.password === '';
        } catch {
          return true;
        }
      },
      // Never echo the value: it holds a credential.
      { error: 'a URL must not carry a user name or password (they would show in logs); send them in headers, e.g. Authorization: Basic ${CREDENTIALS}' },
    );

/**
 * A cron expression as node-cron reads it. `alsoRefused` is a further check for a field whose
 * times another library computes (maintenance windows: croner), so one expression cannot be
 * valid and mean something else there; it runs only on what node-cron accepts.
 */
export const cron = (alsoRefused?: (expr: string) => string | undefined) =>
  z.string().superRefine((expr, ctx) => {
    const v = validateDetailed(expr);
    const refused = v.valid ? alsoRefused?.(expr) : undefined;
    if (refused !== undefined) ctx.addIssue({ code: 'custom', message: `invalid cron expression ${JSON.stringify(expr)}: ${refused}` });
    if (!v.valid) {
      // node-cron says "61 is a invalid expression for second"; say which field and keep it readable.
      const why = v.errors.map((e) => e.message.replace(/^(.*) is a invalid expression for (.*)$/, '"$1" is not valid for the $2 field')).join('; ');
      ctx.addIssue({
        code: 'custom',
        message: `invalid cron expression ${JSON.stringify(expr)}: ${why}. Write 6 fields (second minute hour day month weekday) such as "0 */5 * * * *", or 5 without seconds`,
      });
    }
  });

/** An Alertmanager label matcher (agent/alerts/matchers.ts). */
export const labelMatcher = () =>
  z.string({ error: 'expected a label matcher such as job="blackbox"' }).superRefine((text, ctx) => {
    const m = parseMatcher(text);
    if (typeof m === 'string') ctx.addIssue({ code: 'custom', message: `invalid label matcher ${JSON.stringify(text)}: ${m}` });
  });

export const regex = () =>
  z.string().superRefine((src, ctx) => {
    try {
      new RegExp(src);
    } catch (err) {
      // V8 says "Invalid regular expression: /(a/: Unterminated group"; keep only the reason.
      const why = (err as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
      ctx.addIssue({ code: 'custom', message: `invalid regular expression ${JSON.stringify(src)}: ${why.charAt(0).toLowerCase()}${why.slice(1)}` });
    }
  });

export const timezone = () =>
  z.string().refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { error: (iss) => `expected an IANA time zone such as Asia/Riyadh, got ${JSON.stringify(iss.input)}` },
  );

/** One HTTP status, a class (`2xx`) or a range (`200-299`), kept as an inclusive range. */
export const statusRange = () =>
  z.union([z.number().int(), z.string()], { error: 'expected a status code (200), a class (2xx) or a range (200-299)' }).transform((v, ctx) => {
    const r = parseStatusRange(v);
    if (!r) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a status code (200), a class (2xx) or a range (200-299), got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return r;
  });

export function parseStatusRange(v: number | string): { min: number; max: number } | undefined {
  const ok = (n: number) => n >= 100 && n <= 599;
  if (typeof v === 'number') return ok(v) ? { min: v, max: v } : undefined;
  let m = /^([1-5])xx$/i.exec(v);
  if (m) return { min: Number(m[1]) * 100, max: Number(m[1]) * 100 + 99 };
  m = /^(\d{3})(?:-(\d{3}))?$/.exec(v);
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = Number(m[2] ?? m[1]);
  return ok(min) && ok(max) && min <= max ? { min, max } : undefined;
}
