import { rm } from 'node:fs/promises';
import net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Pty } from '../pty.js';
import { goneError, goneResult, learnerEnv, type ExecResult, type Machine, type MachineSpec, type SandboxUsage } from '../sandbox.js';
import { execProcess } from './exec-process.js';
import { LocalPtys } from './local-ptys.js';
import { killSessions, liveSessions } from './proc.js';
import { seedFiles } from './seed-files.js';
import { tarOf, untar } from './tar.js';
import { watchFolder } from './watch-folder.js';

/** What a {@link LocalMachine} is. */
export interface LocalMachineOptions {
  /** Its name in the session. */
  name: string;
  /** The home folder on this host (its files are the machine's). */
  home: string;
  /** The user shells and scripts run as (this process's own). */
  user: string;
  /** Delete the home folder on dispose (a temporary home), or keep it (a pod's own). */
  removeHome: boolean;
  /** What the machine uses, where it can be told (a pod's own cgroup). */
  usage?: (() => Promise<SandboxUsage>) | undefined;
}

/**
 * A machine that is this host (or the container this process runs in): shells and scripts are
 * this process's user's, in a home folder. Whatever they start, background jobs included, is
 * killed on dispose (by session id; a daemon that calls setsid itself escapes). The host driver
 * uses it on a developer's machine; the agent uses it inside a pod, where the pod is the sandbox.
 */
export class LocalMachine implements Machine {
  readonly name: string;
  readonly home: string;
  readonly #options: LocalMachineOptions;
  readonly #ptys = new LocalPtys();
  /** The sessions (setsid) of its shells and scripts. */
  readonly #sessions = new Set<number>();
  #disposed = false;

  readonly usage?: () => Promise<SandboxUsage>;

  constructor(options: LocalMachineOptions) {
    this.#options = options;
    this.name = options.name;
    this.home = options.home;
    if (options.usage) this.usage = options.usage;
  }

  #env(): Record<string, string> {
    return learnerEnv(this.home, this.#options.user);
  }

  /** Writes the manifest's files into the home. */
  seed(files: MachineSpec['files']): Promise<void> {
    return seedFiles(this.home, files);
  }

  /** Unpacks a tar of saved files into the home. */
  restore(tar: Readable): Promise<void> {
    return untar(tar, this.home);
  }

  async spawnShell(size: { cols: number; rows: number }): Promise<Pty> {
    if (this.#disposed) throw goneError();
    const term = this.#ptys.spawn('/bin/bash', ['-l'], { ...size, cwd: this.home, env: this.#env() });
    this.#sessions.add(term.pid); // node-pty makes the shell a session leader
    return term;
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.#disposed) return Promise.resolve(goneResult());
    const run = execProcess('/bin/bash', ['-c', script], { env: this.#env(), cwd: this.home, timeoutMs, onSpawn: (pid) => this.#sessions.add(pid) });
    // Checks run every few seconds: forget the sessions nothing runs in any more (their pids get reused).
    if (this.#sessions.size > 64) void run.then(() => this.#forgetEnded());
    return run;
  }

  /** Its own loopback, which is this host's (or the pod's). */
  connect(port: number): Promise<Duplex> {
    if (this.#disposed) return Promise.reject(goneError());
    return Promise.resolve(net.connect(port, '127.0.0.1'));
  }

  exportFiles(): Promise<Readable> {
    return tarOf(this.home);
  }

  watchFiles(onChange: () => void): () => void {
    return watchFolder(this.home, onChange);
  }

  async #forgetEnded(): Promise<void> {
    const known = new Set(this.#sessions);
    const live = await liveSessions(known);
    for (const session of known) if (!live.has(session)) this.#sessions.delete(session);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#ptys.killAll();
    await killSessions(this.#sessions);
    if (this.#options.removeHome) await rm(this.home, { recursive: true, force: true });
  }
}
