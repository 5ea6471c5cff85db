/**
 * The sandbox's data file: loaded at start (a file that cannot be trusted stops start-up with a
 * message naming it, and is never overwritten), and written durably after every change. Writes
 * are single-flight: a commit resolves once a write that started after the change has reached the
 * disk, so several changes in flight share one write.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { printableLine, RaqibError } from '../errors.js';
import { realFs, writeFileDurably, type StoreFs } from '../store/durable-file.js';
import { fieldErrors } from './problems.js';
import { sandboxData, type SandboxData } from './state.js';

export interface Persistence {
  /** Resolves when the state as of this call is on disk (at once without a data file). */
  commit(): Promise<void>;
  /** Waits for any write in flight. */
  flush(): Promise<void>;
}

export const memoryPersistence: Persistence = { commit: async () => undefined, flush: async () => undefined };

export class SandboxDataError extends RaqibError {
  override name = 'SandboxDataError';
  constructor(message: string, cause?: unknown) {
    super('RAQIB_SANDBOX_DATA', message, { cause, exitCode: 1 });
  }
}

/** The data in `file`, or undefined when there is no such file yet. */
export async function loadData(file: string, fs: StoreFs = realFs): Promise<SandboxData | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxDataError(`cannot read sandbox data file ${file}: ${(err as Error).message}`, err);
  }
  const advice = `The sandbox will not overwrite it: move ${file} aside to start with empty state.`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SandboxDataError(`sandbox data file ${file} is not valid JSON (${printableLine((err as Error).message)}; ${text.length} bytes). ${advice}`);
  }
  const parsed = sandboxData.safeParse(value);
  if (!parsed.success) {
    const first = fieldErrors(parsed.error)[0];
    const where = first ? ` (${first.path || 'top level'}: ${first.message})` : '';
    throw new SandboxDataError(`sandbox data file ${file} does not hold sandbox state version 1${where}. ${advice}`);
  }
  return parsed.data;
}

export class DurableWriter implements Persistence {
  private version = 0;
  private written = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => SandboxData,
    private readonly fs: StoreFs = realFs,
  ) {}

  /** Creates the file's directory; call once before the first commit. */
  async prepare(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
  }

  async commit(): Promise<void> {
    this.version++;
    await this.sync(this.version);
  }

  async flush(): Promise<void> {
    await this.sync(this.version);
  }

  private async sync(target: number): Promise<void> {
    while (this.written < target) {
      this.running ??= this.writeOnce().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  private async writeOnce(): Promise<void> {
    const version = this.version;
    await writeFileDurably(this.fs, this.file, JSON.stringify(this.snapshot()));
    this.written = Math.max(this.written, version);
  }
}
