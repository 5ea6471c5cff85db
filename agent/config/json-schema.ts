/** The JSON Schema of the config, generated from the same zod schema that validates it. */
import * as z from 'zod';
import { configSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://raqib.invalid/schema/raqib.schema.json',
    title: 'raqib configuration',
    description: 'Config of the raqib agent: what to watch, how often, and who it reports for.',
  };
}
