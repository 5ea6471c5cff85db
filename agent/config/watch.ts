/**
 * Calls back when the config file's content changes. Editors and Kubernetes ConfigMaps replace
 * files by rename, so the directory is watched, and a content hash filters out touch-only events.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { systemClock, type Clock } from '../clock.js';

export interface ConfigWatcher {
  close(): void;
}

async function hashOf(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * `loadedHash` is the hash of the text the running config came from; a change made between
 * loading and watching is caught by one comparison right after the watch starts. The debounce
 * that gathers a burst of events into one look at the file runs on `clock`.
 */
export function watchConfig(
  file: string,
  loadedHash: string,
  onChange: () => void,
  { clock = systemClock, debounceMs = 300 }: { clock?: Clock; debounceMs?: number } = {},
): ConfigWatcher {
  let last = loadedHash;
  let timer: unknown;
  const name = basename(file);
  const check = () => {
    if (timer !== undefined) clock.clearTimer(timer);
    timer = clock.setTimer(() => {
      timer = undefined;
      void hashOf(file).then((hash) => {
        if (hash === undefined || hash === last) return;
        last = hash;
        onChange();
      });
    }, debounceMs);
  };
  let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name || String(changed).startsWith('..')) check();
  });
  watcher.on('error', () => undefined);
  check();
  return {
    close: () => {
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      watcher?.close();
      watcher = undefined;
    },
  };
}
