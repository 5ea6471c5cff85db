/**
 * The runtime configuration raqib ships with: config/node-flags, node flags and environment
 * variables that bin/raqib (the container's entry point, `npm start`) applies before node starts,
 * when they can no longer be set from inside. `raqib run` started another way (`node
 * dist/agent/main.js run`) would then run with another heap and malloc set-up without anyone
 * knowing, so it says at start which of them it lacks. It does not re-execute itself with them:
 * a second process under the one the operator started would be harder to run and to signal.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RuntimeSettings {
  /** Node and V8 flags (`--name=value`), for node's command line. */
  flags: string[];
  /** Environment variables (`NAME=value`). */
  env: Record<string, string>;
}

/** config/node-flags: `--flag` and `NAME=value` lines; anything else (comments, blank lines) is skipped. */
export function parseRuntimeSettings(text: string): RuntimeSettings {
  const settings: RuntimeSettings = { flags: [], env: {} };
  for (const line of text.split('\n')) {
    if (line.startsWith('--')) settings.flags.push(line.trim());
    else if (/^[A-Za-z_]\w*=/.test(line)) settings.env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1).trim();
  }
  return settings;
}

/** A flag's name as V8 and Node compare them: `--max_old_space_size=1` is `--max-old-space-size`. */
const flagName = (flag: string) => flag.split('=')[0]!.replace(/_/g, '-');

/**
 * The settings this process started without: a flag whose name is neither on node's command line
 * nor in NODE_OPTIONS, a variable not in the environment. A setting given another value counts as
 * given: that is a choice, not an omission.
 */
export function missingRuntimeSettings(settings: RuntimeSettings, execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const given = new Set([...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)].map(flagName));
  return [
    ...settings.flags.filter((flag) => !given.has(flagName(flag))),
    ...Object.entries(settings.env)
      .filter(([name]) => env[name] === undefined)
      .map(([name, value]) => `${name}=${value}`),
  ];
}

/** config/node-flags beside this module, from the sources (agent/cli) or the build (dist/agent/cli). */
function readShipped(): { file: string; settings: RuntimeSettings } | undefined {
  for (const rel of ['../../config/node-flags', '../../../config/node-flags']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // not at this level; try the next
    }
    return { file, settings: parseRuntimeSettings(text) };
  }
  return undefined;
}

/** What `raqib run` logs at start when this process lacks some of the shipped settings; undefined when it has them all. */
export function runtimeSettingsMissing(execArgv: readonly string[], env: NodeJS.ProcessEnv): { missing: string[]; file: string } | undefined {
  const shipped = readShipped();
  if (!shipped) return { missing: ['config/node-flags, which is not beside the agent'], file: 'config/node-flags' };
  const missing = missingRuntimeSettings(shipped.settings, execArgv, env);
  return missing.length ? { missing, file: shipped.file } : undefined;
}
