/**
 * docs/authority-api.yaml against the code: every path and method it lists is served by the
 * sandbox and every route the sandbox serves is listed, and its component schemas have the same
 * fields, required fields, enums and defaults as the zod schemas in agent/authority/contract.ts.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';
import * as contract from '../../agent/authority/contract.js';
import { faultSet } from '../../agent/sandbox/faults.js';
import { buildRoutes } from '../../agent/sandbox/routes.js';
import { ROOT } from '../helpers/agent-process.js';
import { sandbox } from './helpers.js';

type Schema = Record<string, unknown>;
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const doc = parse(await readFile(`${ROOT}docs/authority-api.yaml`, 'utf8')) as OpenApi;

function operations(api: OpenApi): string[] {
  return Object.entries(api.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => METHODS.includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** What matters of a schema for the contract: fields, required fields, closedness, enums, defaults, item shapes. */
function shape(s: Schema, resolve: (ref: string) => Schema): unknown {
  if (typeof s['$ref'] === 'string') return shape(resolve(s['$ref']), resolve);
  const out: Record<string, unknown> = {};
  const values = (s['enum'] as unknown[] | undefined) ?? (s['const'] !== undefined ? [s['const']] : undefined);
  out['type'] = s['type'] ?? (values ? typeof values[0] : 'any');
  if (values) out['enum'] = [...values].sort();
  if (s['default'] !== undefined) out['default'] = s['default'];
  if (out['type'] === 'object') {
    const props = (s['properties'] ?? {}) as Record<string, Schema>;
    out['properties'] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, shape(v, resolve)]));
    out['required'] = [...((s['required'] as string[] | undefined) ?? [])].sort();
    const extra = s['additionalProperties'];
    out['additional'] = extra === false ? 'closed' : typeof extra === 'object' ? shape(extra as Schema, resolve) : 'open';
  }
  if (out['type'] === 'array') out['items'] = shape(s['items'] as Schema, resolve);
  return out;
}

const fromYaml = (name: string) =>
  shape({ $ref: `#/components/schemas/${name}` }, (ref) => {
    const found = doc.components.schemas[ref.replace('#/components/schemas/', '')];
    if (!found) throw new Error(`unresolved ${ref}`);
    return found;
  });
const fromZod = (schema: z.ZodType) =>
  shape(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema, () => {
    throw new Error('zod schemas are inlined');
  });

describe('docs/authority-api.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('lists exactly the routes the sandbox serves', () => {
    const served = buildRoutes({} as never).map((r) => `${r.method} ${r.pattern}`);
    expect(operations(doc).sort()).toEqual(served.sort());
  });

  it('describes operations that the running sandbox answers (no 404 for the route, no 405)', async () => {
    const t = await sandbox();
    for (const op of operations(doc)) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await t.call(method, path.replace('{id}', 'x1'), method === 'GET' ? {} : { json: {} });
      expect(res.status, op).not.toBe(405);
      if (res.status === 404) expect(res.body.type, op).not.toBe('https://raqib.invalid/problems/no-such-route');
    }
  });

  const mirrors: [string, z.ZodType][] = [
    ['Bilingual', contract.bilingualText()],
    ['EntityRef', contract.entityRef],
    ['Member', contract.member],
    ['CrisisTeamBody', contract.crisisTeamBody],
    ['CrisisTeam', contract.crisisTeam],
    ['EvidenceItem', contract.evidenceItem],
    ['SubmittedBy', contract.submittedBy],
    ['ReportBody', contract.reportBody],
    ['UpdateBody', contract.updateBody],
    ['ReportUpdate', contract.reportUpdate],
    ['FinalReportBody', contract.finalReportBody],
    ['Guidance', contract.guidance],
    ['Report', contract.report],
    ['ReportCreated', contract.reportCreated],
    ['ReportList', contract.reportList],
    ['Problem', contract.problem],
    ['DeviceAuthorization', contract.deviceAuthorization],
    ['TokenAnswer', contract.tokenAnswer],
    ['UserInfo', contract.userInfo],
    ['TokenError', contract.tokenError],
    ['ReportStatus', z.enum(contract.REPORT_STATUSES)],
    ['ReportType', z.enum(contract.REPORT_TYPES)],
    ['Faults', faultSet],
  ];
  it.each(mirrors)('schema %s mirrors the contract', (name, schema) => {
    expect(fromYaml(name)).toEqual(fromZod(schema));
  });
});
