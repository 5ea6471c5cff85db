/**
 * Runs one command and maps errors to exit codes (0 ok, 1 failure, 2 usage or config). Errors
 * raqib raises on purpose print their message only, never a stack trace.
 */
import type { Io } from './common.js';
import { USAGE } from './help.js';
import { isRaqibError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';

type Command = (args: string[], io: Io) => Promise<number>;

/**
 * Each command's modules load only when it runs: the agent does not carry the sandbox, the demo
 * or the CLI's report views in memory (importing all of them up front cost ~46 MiB of RSS).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  'check-config': async () => (await import('./check-config.js')).checkConfigCommand,
  probe: async () => (await import('./probe.js')).probeCommand,
  schema: async () => (await import('./schema.js')).schemaCommand,
  login: async () => (await import('./login.js')).loginCommand,
  team: async () => (await import('./team.js')).teamCommand,
  reports: async () => (await import('./reports.js')).reportsCommand,
  sandbox: async () => (await import('./sandbox.js')).sandboxCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.out(`raqib ${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  try {
    if (!load) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}. See raqib --help`);
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    return await (
      await load()
    )(args, io);
  } catch (err) {
    if (isRaqibError(err)) {
      io.err(`${err.code === 'RAQIB_CONFIG_INVALID' ? '' : 'raqib: '}${err.message}\n`);
      return err.exitCode;
    }
    io.err(`raqib: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
