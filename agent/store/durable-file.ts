/**
 * A JSON file written so that a crash at any instant leaves either the old or the new content:
 * write a temp file, fsync it, rename it over the old one, fsync the directory. (lowdb's own
 * adapter uses steno, which renames but never fsyncs, so a power cut can lose the rename.)
 * File-system calls go through `fs` so tests can inject ENOSPC or EIO.
 */
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { printableLine, StoreError } from '../errors.js';

/** The file-system calls the store makes; the seam through which tests inject faults. */
export type StoreFs = Pick<typeof nodeFs, 'open' | 'rename' | 'readFile' | 'stat' | 'unlink' | 'mkdir' | 'utimes'>;

export const realFs: StoreFs = nodeFs;

export async function writeFileDurably(fs: StoreFs, file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp`);
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    // open's mode applies only when it creates the file: a temp file a crash left behind with
    // wider permissions would pass them on to what holds tokens and state.
    await handle.chmod(0o600);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined); // keep the write error, not a close error
    throw err;
  }
  await handle.close();
  await fs.rename(tmp, file);
  const dir = await fs.open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Reads and validates the state file; a file that cannot be trusted stops start-up. */
export class DurableJsonFile<T> implements Adapter<T> {
  constructor(
    private readonly file: string,
    private readonly validate: (value: unknown) => value is T,
    private readonly fs: StoreFs = realFs,
  ) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await this.fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreError('RAQIB_STORE_IO', `cannot read state file ${this.file}: ${(err as Error).message}`, err);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // JSON.parse quotes the bytes it stopped at: a garbage file's newlines and escape codes would
      // break the one-line message (and the terminal showing it).
      throw await this.corrupt(`is not valid JSON (${printableLine((err as Error).message)}; ${text.length} bytes)`);
    }
    if (!this.validate(value)) throw await this.corrupt('does not hold raqib state (unknown version or missing fields)');
    return value;
  }

  async write(data: T): Promise<void> {
    await writeFileDurably(this.fs, this.file, JSON.stringify(data));
  }

  /** Keep a copy of the state that just read back well, for recovery from later corruption. */
  async backup(data: T): Promise<void> {
    await writeFileDurably(this.fs, this.backupFile, JSON.stringify(data));
  }

  get backupFile(): string {
    return `${this.file}.bak`;
  }

  private async corrupt(why: string): Promise<StoreError> {
    let backup: string;
    try {
      const info = await this.fs.stat(this.backupFile);
      backup =
        `The last good backup is ${this.backupFile} (written ${info.mtime.toISOString()}): to restore it, ` + `stop raqib and copy it over ${this.file}.`;
    } catch {
      backup = `There is no backup (${this.backupFile} does not exist).`;
    }
    return new StoreError(
      'RAQIB_STORE_CORRUPT',
      `state file ${this.file} ${why}. raqib will not overwrite it. ${backup} ` +
        `To start with empty state instead, move ${this.file} aside (open incidents will be forgotten).`,
    );
  }
}
