import { watch } from 'node:fs';

/**
 * Calls `onChange` when an entry of `folder` is created, removed, renamed or written (the folder
 * itself, not its subfolders: one inotify watch per sandbox). Best effort: where the folder cannot
 * be watched (out of inotify watches, say) nothing is called. Returns a function that stops watching.
 */
export function watchFolder(folder: string, onChange: () => void): () => void {
  try {
    const watcher = watch(folder, { persistent: false }, () => onChange());
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  } catch {
    return () => {};
  }
}
