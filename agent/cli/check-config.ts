/** `raqib check-config`: validate without running; the same checks `run` and reload make. */
import { loadConfigFile } from '../config/load.js';
import { formatProblem } from '../errors.js';
import { parseArgs } from 'node:util';
import { configPath, usage, type Io } from './common.js';

export async function checkConfigCommand(args: string[], io: Io): Promise<number> {
  const { values } = usage('check-config', () => parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true }));
  const file = configPath(values.config, io.env);
  const loaded = await loadConfigFile(file, { env: io.env });
  io.out(`${file}: valid (${loaded.config.services.length} services, ${loaded.checks.length} checks)\n`);
  for (const w of loaded.warnings) io.err(`warning: ${formatProblem(w)}\n`);
  return 0;
}
