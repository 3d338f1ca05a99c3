import { readFileSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ManifestError } from '../errors.js';
import { parseManifest } from './manifest.js';
import type { Manifest } from './manifest-schema.js';
import type { PlaygroundSession } from '../session/playground-session.js';

/** Manifest file names the watcher follows (editors' hidden temp and lock files are not). */
const MANIFEST_FILE = /^[^.].*\.ya?ml$/;

/** Options of a {@link ManifestWatcher}. */
export interface ManifestWatcherOptions {
  /** Quiet time after the last change to a file before it is reloaded (default 150 ms). */
  debounceMs?: number;
  /** Where reloads and errors are reported (default: the console). */
  log?: (level: 'info' | 'error', message: string) => void;
  /** Called with every manifest reloaded (sessions that live elsewhere, in pods, hear of it this way). */
  onReload?: (manifest: Manifest) => void;
}

/** Where the watcher finds the live sessions to update; a {@link SessionManager} fits. */
export interface LiveSessions {
  /** Every live session. */
  values(): PlaygroundSession[];
}

/**
 * Author hot reload: watches the playgrounds folder and, when a manifest is saved, validates it
 * again. A valid save replaces the playground in `manifests` (new sessions use it) and the task
 * list of every live session of it, shells untouched; an invalid one keeps the last good version
 * and shows the error, with file and line, to the people in those sessions.
 */
export class ManifestWatcher {
  #dir: string;
  #manifests: Map<string, Manifest>;
  #sessions: LiveSessions;
  #debounceMs: number;
  #log: (level: 'info' | 'error', message: string) => void;
  #onReload: ((manifest: Manifest) => void) | undefined;
  /** Per file name, the last good version: the playground name it defines and its text. */
  #files = new Map<string, { name: string; text: string }>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #queue: Promise<void> = Promise.resolve();
  #watcher: FSWatcher | undefined;

  constructor(dir: string, manifests: Map<string, Manifest>, sessions: LiveSessions, options: ManifestWatcherOptions = {}) {
    this.#dir = dir;
    this.#manifests = manifests;
    this.#sessions = sessions;
    this.#debounceMs = options.debounceMs ?? 150;
    this.#onReload = options.onReload;
    this.#log = options.log ?? ((level, message) => (level === 'error' ? console.error : console.log)(`[ix-playground] ${message}`));
    for (const file of readdirSync(dir).filter((f) => MANIFEST_FILE.test(f))) {
      try {
        const text = readFileSync(path.join(dir, file), 'utf8');
        this.#files.set(file, { name: parseManifest(text, file).name, text });
      } catch {
        // The server refuses a bad folder at startup; anything else shows up on its next save.
      }
    }
    this.#watcher = watch(dir, { persistent: false }, (_event, file) => {
      if (file && MANIFEST_FILE.test(file)) this.#schedule(file);
    });
    this.#watcher.on('error', (error) => {
      this.#log('error', `stopped watching ${dir} for manifest changes: ${error.message}`);
      this.close();
    });
  }

  /** Stops watching. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(file: string): void {
    clearTimeout(this.#timers.get(file));
    const timer = setTimeout(() => {
      this.#timers.delete(file);
      // One reload at a time, in the order the saves settled.
      this.#queue = this.#queue.then(() => this.#reload(file)).catch((error: unknown) => this.#log('error', `reloading ${file} failed: ${String(error)}`));
    }, this.#debounceMs);
    timer.unref?.();
    this.#timers.set(file, timer);
  }

  async #reload(file: string): Promise<void> {
    if (!this.#watcher) return;
    const known = this.#files.get(file);
    let text: string;
    try {
      text = await readFile(path.join(this.#dir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (known) {
        this.#files.delete(file);
        this.#manifests.delete(known.name);
        this.#log('info', `${file} was removed: playground "${known.name}" starts no new sessions (live ones keep theirs)`);
      }
      return;
    }
    if (known?.text === text) return; // saved without changes
    let manifest: Manifest;
    try {
      manifest = parseManifest(text, file);
      const owner = [...this.#files].find(([other, v]) => other !== file && v.name === manifest.name)?.[0];
      if (owner) throw new ManifestError(file, lineOf(text, /^name\s*:/), `another manifest (${owner}) already uses the name "${manifest.name}"`, 'name');
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.#log('error', `${error.message} (keeping the last good version)`);
      for (const session of this.#live(known?.name)) session.notify('error', error.message);
      return;
    }
    if (known && known.name !== manifest.name) this.#manifests.delete(known.name);
    this.#files.set(file, { name: manifest.name, text });
    this.#manifests.set(manifest.name, manifest);
    const live = this.#live(manifest.name);
    for (const session of live) {
      session.replaceManifest(manifest);
      session.notify('info', `${file} was reloaded: ${manifest.tasks.length} task(s)`);
    }
    this.#onReload?.(manifest);
    this.#log('info', `${file}: reloaded playground "${manifest.name}" (${manifest.tasks.length} tasks, ${live.length} live session(s) updated)`);
  }

  #live(name: string | undefined): PlaygroundSession[] {
    return name === undefined ? [] : this.#sessions.values().filter((s) => s.manifest.name === name && !s.endReason);
  }
}

/** 1-based line of the first line matching `pattern`, or 1. */
function lineOf(text: string, pattern: RegExp): number {
  return text.split('\n').findIndex((line) => pattern.test(line)) + 1 || 1;
}
