/**
 * Calls back when the config file's content changes. Editors and Kubernetes ConfigMaps replace
 * files by rename, so the directory is watched, and a content hash filters out touch-only events.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

async function hashOf(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * `loadedHash` is the hash of the text the running config came from; a change made between
 * loading and watching is caught by one comparison right after the watch starts.
 */
export function watchConfig(file: string, loadedHash: string, onChange: () => void, debounceMs = 300): ConfigWatcher {
  let last = loadedHash;
  let timer: NodeJS.Timeout | undefined;
  const name = basename(file);
  const check = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
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
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
