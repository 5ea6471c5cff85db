import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../agent/config/json-schema.js';

describe('config/raqib.schema.json', () => {
  it('is the schema generated from the validation source (run `npm run schema` after changing it)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../config/raqib.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('rejects unknown keys and lists the check types editors can complete', () => {
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      properties: { services: { items: { properties: { checks: { items: { oneOf: { properties: { type: { const: string } } }[] } } } } } };
    };
    expect(schema.additionalProperties).toBe(false);
    const types = schema.properties.services.items.properties.checks.items.oneOf.map((o) => o.properties.type.const);
    expect(types).toEqual(['http', 'tcp', 'dns', 'tls', 'grpc', 'websocket', 'icmp', 'alert']);
  });
});
