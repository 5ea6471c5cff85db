/**
 * Runs one command and maps errors to exit codes (0 ok, 1 failure, 2 usage or config). Errors
 * raqib raises on purpose print their message only, never a stack trace.
 */
import { checkConfigCommand } from './check-config.js';
import type { Io } from './common.js';
import { USAGE } from './help.js';
import { probeCommand } from './probe.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { loginCommand } from './login.js';
import { reportsCommand } from './reports.js';
import { sandboxCommand } from './sandbox.js';
import { schemaCommand } from './schema.js';
import { teamCommand } from './team.js';
import { isRaqibError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  run: runCommand,
  'check-config': checkConfigCommand,
  probe: probeCommand,
  schema: schemaCommand,
  login: loginCommand,
  team: teamCommand,
  reports: reportsCommand,
  sandbox: sandboxCommand,
  demo: demoCommand,
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
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}. See raqib --help`);
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    return await run(args, io);
  } catch (err) {
    if (isRaqibError(err)) {
      io.err(`${err.code === 'RAQIB_CONFIG_INVALID' ? '' : 'raqib: '}${err.message}\n`);
      return err.exitCode;
    }
    io.err(`raqib: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

