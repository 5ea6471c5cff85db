/** `raqib schema`: the JSON Schema of the config, for editors (config/raqib.schema.json is this output). */
import { configJsonSchema } from '../config/json-schema.js';
import { parseArgs } from 'node:util';
import { usage, type Io } from './common.js';

export async function schemaCommand(args: string[], io: Io): Promise<number> {
  usage('schema', () => parseArgs({ args, options: {}, strict: true }));
  io.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
