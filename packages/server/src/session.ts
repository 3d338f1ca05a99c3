import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createNanoEvents } from 'nanoevents';
import type { AttachMode, EndReason, TaskInfo, TerminalInfo } from '@ix-playground/sdk/protocol';
import type { Manifest } from './manifest-schema.js';
import type { Sandbox, SandboxDriver } from './sandbox.js';
import { TaskRunner } from './task-runner.js';
import { Terminal } from './terminal.js';
import { formatSize } from './units.js';

/** Events of a {@link Session}, which the gateway forwards to attached clients. */
export interface SessionEvents {
  /** A terminal was opened. */
  terminal(terminal: Terminal): void;
  /** A terminal's process exited. */
  exit(terminal: number, code: number | null): void;
  /** A task changed. */
  task(task: TaskInfo): void;
  /** The task list was replaced (manifest hot reload). */
  tasks(tasks: TaskInfo[]): void;
  /** A message for the people at the page (for example: the manifest was reloaded, or is invalid). */
  notice(level: 'info' | 'warning' | 'error', message: string): void;
  /** The session ended; its sandbox is being torn down. */
  ended(reason: EndReason): void;
}

/** Tunables of a session. */
export interface SessionOptions {
  /** How long a session without clients lives on (ms). */
  graceMs: number;
  /** Replay buffer per terminal (bytes). */
  replayBytes: number;
  /** Task check timer period (ms); 0 turns it off. */
  checkIntervalMs: number;
}

const DEFAULT_SIZE = { cols: 80, rows: 24 };

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * One learner's machine: a sandbox, its terminals, its task runner, and the clients attached to
 * it. Lives until its shell exits, its time limit passes, or it has had no client for the grace period.
 */
export class Session {
  readonly id = randomBytes(12).toString('base64url');
  readonly token = randomBytes(24).toString('base64url');
  /** A second token that only ever attaches read-only (for an instructor or a live demo). */
  readonly spectatorToken = randomBytes(24).toString('base64url');
  #manifest: Manifest;
  readonly terminals = new Map<number, Terminal>();
  readonly runner: TaskRunner;
  endReason: EndReason | undefined;
  #sandbox: Sandbox;
  #options: SessionOptions;
  #events = createNanoEvents<SessionEvents>();
  #clients = 0;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #lifeTimer: ReturnType<typeof setTimeout>;
  #tokenDigest: Buffer;
  #spectatorDigest: Buffer;
  #nextTerminal = 0;
  /** Out-of-memory kills already told about, and when the count was last read. */
  #oomKills = 0;
  #oomCheckedAt = 0;
  #oomTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(manifest: Manifest, sandbox: Sandbox, options: SessionOptions) {
    this.#manifest = manifest;
    this.#sandbox = sandbox;
    this.#options = options;
    this.#tokenDigest = digest(this.token);
    this.#spectatorDigest = digest(this.spectatorToken);
    this.runner = new TaskRunner(manifest.tasks, { exec: (s, t) => sandbox.exec(s, t), intervalMs: options.checkIntervalMs });
    this.runner.on('task', (task) => this.#events.emit('task', task));
    this.runner.on('tasks', (tasks) => this.#events.emit('tasks', tasks));
    this.#lifeTimer = setTimeout(() => void this.end('expired'), manifest.limits.time);
    this.#lifeTimer.unref?.();
    this.#startGrace();
  }

  /** Creates the sandbox and opens the manifest's terminals. */
  static async create(manifest: Manifest, driver: SandboxDriver, options: SessionOptions): Promise<Session> {
    const id = randomBytes(4).toString('hex');
    const sandbox = await driver.create({
      sessionId: id,
      hostname: manifest.name,
      files: manifest.files,
      init: manifest.init,
      limits: manifest.limits,
    });
    const session = new Session(manifest, sandbox, options);
    try {
      for (const t of manifest.terminals) session.openTerminal(t.name);
    } catch (error) {
      await session.end('error');
      throw error;
    }
    void session.runner.run();
    return session;
  }

  /** The playground's manifest; a hot reload replaces it (see {@link replaceManifest}). */
  get manifest(): Manifest {
    return this.#manifest;
  }

  /**
   * Hot reload: new titles, hints and tasks for this live session, without touching its sandbox or
   * shells (limits, files, init and terminals only apply to new sessions). Done tasks stay done.
   */
  replaceManifest(manifest: Manifest): void {
    if (this.endReason) return;
    this.#manifest = manifest;
    this.runner.replaceTasks(manifest.tasks);
  }

  /** Shows a message to every client of this session. */
  notify(level: 'info' | 'warning' | 'error', message: string): void {
    if (!this.endReason) this.#events.emit('notice', level, message);
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<E extends keyof SessionEvents>(event: E, callback: SessionEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** Constant-time check of a client's token: the access it grants, or undefined. */
  verifyToken(token: string): AttachMode | undefined {
    const given = digest(token);
    if (timingSafeEqual(given, this.#tokenDigest)) return 'rw';
    if (timingSafeEqual(given, this.#spectatorDigest)) return 'ro';
    return undefined;
  }

  /** What clients are told about the terminals. */
  get terminalInfo(): TerminalInfo[] {
    return [...this.terminals.values()].map((t) => ({ id: t.id, name: t.name, cols: t.cols, rows: t.rows }));
  }

  /** Opens one more shell in the same sandbox. */
  openTerminal(name: string): Terminal {
    const id = this.#nextTerminal++;
    const pty = this.#sandbox.spawnShell(DEFAULT_SIZE);
    const terminal = new Terminal({ id, name, pty, ...DEFAULT_SIZE, replayBytes: this.#options.replayBytes });
    this.terminals.set(id, terminal);
    // The shell prints "Killed" when the kernel stops a process at the memory limit: say why.
    terminal.on('output', () => this.#checkOomKills());
    terminal.on('exit', (code) => {
      this.#events.emit('exit', id, code);
      // The first terminal is the session's shell: when it exits, the session is over.
      if (id === 0) void this.end('exited');
    });
    this.#events.emit('terminal', terminal);
    return terminal;
  }

  /** Keyboard input for a terminal; Enter triggers the task checks. */
  input(terminal: number, data: Uint8Array): void {
    const t = this.terminals.get(terminal);
    if (!t || this.endReason) return;
    t.write(data);
    if (data.includes(13)) this.runner.trigger();
  }

  /** Reads the sandbox's out-of-memory kill count (at most every 2 s) and tells the page about new ones. */
  #checkOomKills(): void {
    const sandbox = this.#sandbox;
    if (!sandbox.usage || this.#oomTimer || this.endReason) return;
    this.#oomTimer = setTimeout(
      () => {
        this.#oomCheckedAt = Date.now();
        void sandbox.usage?.().then(({ oomKills: kills }) => {
          this.#oomTimer = undefined;
          if (kills <= this.#oomKills) return;
          this.#oomKills = kills;
          this.notify('warning', `A program was stopped because this playground ran out of memory: its processes may use ${formatSize(this.#manifest.limits.memory)} in all.`);
        });
      },
      Math.max(0, this.#oomCheckedAt + 2000 - Date.now()),
    );
    this.#oomTimer.unref?.();
  }

  /** A client attached: cancels the grace timer. */
  attachClient(): void {
    this.#clients++;
    clearTimeout(this.#graceTimer);
  }

  /** A client left: the last one starts the grace timer. */
  detachClient(): void {
    this.#clients = Math.max(0, this.#clients - 1);
    if (this.#clients === 0) this.#startGrace();
  }

  /** Number of attached clients. */
  get clientCount(): number {
    return this.#clients;
  }

  #startGrace(): void {
    if (this.endReason) return;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => void this.end('expired'), this.#options.graceMs);
    this.#graceTimer.unref?.();
  }

  /** Ends the session: tells clients why, stops checks, kills the sandbox. Idempotent. */
  async end(reason: EndReason): Promise<void> {
    if (this.endReason) return;
    this.endReason = reason;
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#lifeTimer);
    clearTimeout(this.#oomTimer);
    this.runner.dispose();
    this.#events.emit('ended', reason);
    // The sandbox first: it kills its shells from the inside, so none is orphaned (see BwrapSandbox.dispose).
    await this.#sandbox.dispose();
    for (const t of this.terminals.values()) t.dispose();
  }
}
