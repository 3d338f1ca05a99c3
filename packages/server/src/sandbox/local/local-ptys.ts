import { spawnLocalPty, type HostPty, type LocalPtyOptions } from './node-pty-process.js';

/** The local ptys a machine started, so that its dispose() kills every one that is still open. */
export class LocalPtys {
  readonly #open = new Set<HostPty>();

  /** Starts `file args` on a new local pty and tracks it until it exits. */
  spawn(file: string, args: string[], options: LocalPtyOptions): HostPty {
    const term = spawnLocalPty(file, args, options);
    this.#open.add(term);
    term.onExit(() => this.#open.delete(term));
    return term;
  }

  /** Kills every pty still open. */
  killAll(): void {
    for (const term of this.#open) term.kill();
  }
}
