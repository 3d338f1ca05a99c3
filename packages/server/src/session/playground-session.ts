import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createNanoEvents } from 'nanoevents';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import type { AttachMode, EndReason, NoticeLevel, TaskInfo, TerminalInfo } from '@ix-playground/sdk/protocol';
import { ErrorCode, PlaygroundError, SandboxError } from '../errors.js';
import type { Pty } from '../sandbox/pty.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import { machinesOf } from './playground-machines.js';
import { NO_USAGE, type Machine, type Sandbox, type SandboxDriver, type SandboxUsage } from '../sandbox/sandbox.js';
import { TaskRunner, type RunOptions } from '../tasks/task-runner.js';
import { Terminal } from '../terminal/terminal.js';
import { SessionCredentials } from './session-credentials.js';
import type { SavedFiles, SnapshotInfo, SnapshotStore } from './snapshot-store.js';
import { formatSize } from '../units.js';

/** How long a manifest's init script may run before the session start is abandoned. */
export const INIT_TIMEOUT_MS = 60_000;

/** Events of a {@link PlaygroundSession}, which the gateway forwards to attached clients. */
export interface PlaygroundSessionEvents {
  /** A terminal was opened. */
  terminal(terminal: Terminal): void;
  /** A terminal's process exited. */
  exit(terminal: number, code: number | null): void;
  /** A task changed. */
  task(task: TaskInfo): void;
  /** The task list was replaced (manifest hot reload). */
  tasks(tasks: TaskInfo[]): void;
  /** Every task is done (on the change to complete, not on every pass). */
  complete(progress: { done: number; total: number }): void;
  /** A message for the people at the page (for example: the manifest was reloaded, or is invalid). */
  notice(level: NoticeLevel, message: string): void;
  /** The session ended; its sandbox is being torn down. */
  ended(reason: EndReason): void;
}

/** Tunables of a playground session. */
export interface PlaygroundSessionOptions {
  /** How long a session without clients lives on (ms). */
  graceMs: number;
  /** Replay buffer per terminal (bytes). */
  replayBytes: number;
  /** Task check timer period (ms); 0 turns it off. */
  checkIntervalMs: number;
  /**
   * Made ahead for a warm pool: the session's time limit and grace period start only when it is
   * {@link PlaygroundSession.claim | claimed}.
   */
  pooled?: boolean;
}

const DEFAULT_SIZE = { cols: 80, rows: 24 };

/**
 * One learner's playground: a sandbox of one or more machines, its terminals, its task checks,
 * and the clients attached to it. Lives until its first shell exits, its time limit passes, or it
 * has had no client for the grace period. Whatever the driver, the session runs the manifest's
 * init script and owns the terminals.
 */
export class PlaygroundSession {
  /** Its id and tokens. */
  readonly credentials: SessionCredentials;
  /** When the session was created (ms since the epoch). */
  readonly createdAt = Date.now();
  /** Who may save it: a signed token's user, or the page's anonymous key. */
  #owner: string | undefined;
  #manifest: Manifest;
  #terminals = new Map<number, Terminal>();
  #runner: TaskRunner;
  #endReason: EndReason | undefined;
  #sandbox: Sandbox;
  #options: PlaygroundSessionOptions;
  #events = createNanoEvents<PlaygroundSessionEvents>();
  #clients = 0;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #lifeTimer: ReturnType<typeof setTimeout> | undefined;
  #nextTerminal = 0;
  /** Terminals asked for whose shells are still starting. */
  #opening = 0;
  /** Out-of-memory kills already told about, and when the count was last read. */
  #oomKills = new Map<string, number>();
  #oomCheckedAt = 0;
  #oomTimer: ReturnType<typeof setTimeout> | undefined;
  #ending: Promise<void> | undefined;
  /** The watches on the machines' files. */
  #watches = new DisposableStore();

  private constructor(manifest: Manifest, sandbox: Sandbox, options: PlaygroundSessionOptions, credentials = SessionCredentials.create()) {
    this.#manifest = manifest;
    this.#sandbox = sandbox;
    this.#options = options;
    this.credentials = credentials;
    this.#runner = new TaskRunner(manifest.tasks, { exec: (s, t, machine) => this.#machine(machine).exec(s, t), intervalMs: options.checkIntervalMs });
    this.#runner.on('task', (task) => this.#events.emit('task', task));
    this.#runner.on('tasks', (tasks) => this.#events.emit('tasks', tasks));
    this.#runner.on('complete', (progress) => this.#events.emit('complete', progress));
    if (!options.pooled) this.claim();
  }

  /**
   * Starts the session's clock: its time limit, and the grace period while no client is attached.
   * `owner` is who may save it (a session taken from the warm pool learns it here).
   */
  claim(owner?: string): void {
    if (owner !== undefined) this.#owner = owner;
    if (this.#lifeTimer || this.#endReason) return;
    this.#lifeTimer = setTimeout(() => void this.end('expired'), this.#manifest.limits.time);
    this.#lifeTimer.unref?.();
    if (this.#clients === 0) this.#startGrace();
  }

  /**
   * Creates the machines, runs their init scripts, opens the manifest's terminals and starts the
   * checks. With `start.restore` (a tar per machine, from a saved playground), the machines start
   * from those files instead, and init does not run again. `start.owner` is who may save it. When
   * `start.signal` aborts (server shutdown), a session still being made is torn down and this
   * rejects: no sandbox outlives it.
   */
  static async create(
    manifest: Manifest,
    driver: SandboxDriver,
    options: PlaygroundSessionOptions,
    start: { restore?: SavedFiles; owner?: string | undefined; signal?: AbortSignal; credentials?: SessionCredentials } = {},
  ): Promise<PlaygroundSession> {
    const machines = machinesOf(manifest);
    const restore = new Map(machines.flatMap((m) => (start.restore?.has(m.name) ? [[m.name, start.restore.get(m.name)?.()] as const] : [])));
    let sandbox: Sandbox;
    try {
      sandbox = await driver.create({
        sessionId: randomBytes(4).toString('hex'),
        machines: machines.map(({ init: _init, ...spec }) => ({ ...spec, restore: restore.get(spec.name) })),
      });
    } finally {
      for (const tar of restore.values()) tar?.destroy(); // read to the end by now, or never to be
    }
    const session = new PlaygroundSession(manifest, sandbox, options, start.credentials);
    session.#owner = start.owner;
    const abort = () => void session.end('shutdown');
    if (start.signal?.aborted) abort();
    start.signal?.addEventListener('abort', abort);
    try {
      if (!start.restore) for (const machine of machines) for (const script of machine.init) await session.#runInit(machine.name, script);
      if (session.#endReason) throw new PlaygroundError(ErrorCode.Unavailable, 'the server is shutting down');
      for (const t of manifest.terminals) await session.openTerminal(t.name, t.machine);
    } catch (error) {
      await session.end('error');
      throw session.#endReason === 'shutdown' ? new PlaygroundError(ErrorCode.Unavailable, 'the server is shutting down', { cause: error }) : error;
    } finally {
      start.signal?.removeEventListener('abort', abort);
    }
    // Checks follow what the learner does: Enter, file changes (from now on: init's are not theirs), exits.
    for (const machine of sandbox.machines.values()) {
      const unwatch = machine.watchFiles?.(() => session.#runner.trigger());
      if (unwatch) session.#watches.add({ dispose: unwatch });
    }
    void session.#runner.run();
    return session;
  }

  async #runInit(machine: string, script: string): Promise<void> {
    const result = await this.#machine(machine).exec(script, INIT_TIMEOUT_MS);
    if (result.code === 0) return;
    const why = result.timedOut ? `timed out after ${INIT_TIMEOUT_MS / 1000}s` : `exit ${result.code}`;
    const where = this.#sandbox.machines.size > 1 ? ` on ${machine}` : '';
    throw new SandboxError(`the playground's init script failed${where} (${why}): ${result.output.trim().slice(-500)}`);
  }

  /** A machine by name; the first one when `name` is undefined. */
  #machine(name?: string): Machine {
    const machine = name === undefined ? this.#sandbox.machines.values().next().value : this.#sandbox.machines.get(name);
    if (!machine) throw new SandboxError(name === undefined ? 'the sandbox has no machine' : `this playground has no machine named "${name}"`);
    return machine;
  }

  /** The names of the session's machines, first one first. */
  get machines(): string[] {
    return [...this.#sandbox.machines.keys()];
  }

  /** The playground's manifest; a hot reload replaces it (see {@link replaceManifest}). */
  get manifest(): Manifest {
    return this.#manifest;
  }

  /** Why the session ended, once it has. */
  get endReason(): EndReason | undefined {
    return this.#endReason;
  }

  /** The terminals, by id (exited ones included). */
  get terminals(): ReadonlyMap<number, Terminal> {
    return this.#terminals;
  }

  /** What clients are told about the terminals (with their machine when there are several). */
  get terminalInfo(): TerminalInfo[] {
    return [...this.#terminals.values()].map((t) => this.describe(t));
  }

  /** What clients are told about one terminal. */
  describe(t: Terminal): TerminalInfo {
    return { id: t.id, name: t.name, cols: t.cols, rows: t.rows, ...(this.#sandbox.machines.size > 1 ? { machine: t.machine } : {}) };
  }

  /** Whether {@link save} can work: the session has an owner and every machine's files can be exported. */
  get canSave(): boolean {
    return !!this.#owner && [...this.#sandbox.machines.values()].every((m) => !!m.exportFiles);
  }

  /**
   * Saves the files of every machine to `store`, owned by the session's owner; answers the
   * snapshot. Processes are not saved.
   */
  async save(store: SnapshotStore): Promise<SnapshotInfo> {
    if (!this.#owner)
      throw new PlaygroundError(ErrorCode.BadRequest, 'this session has no owner to save it for: start it with an owner key (the element and SDK send one)');
    const machines = [...this.#sandbox.machines.values()];
    const exports = machines.map((m) => ({
      machine: m.name,
      tar: () => (m.exportFiles ? m.exportFiles() : Promise.reject(new SandboxError(`the ${m.name} machine cannot be saved with this sandbox driver`))),
    }));
    return store.save(this.#owner, this.#manifest.name, exports);
  }

  /** What all of the session's machines use together now (zeros where the driver cannot tell). */
  async usage(): Promise<SandboxUsage> {
    const all = await Promise.all([...this.#sandbox.machines.values()].map((m) => m.usage?.()));
    return all.reduce<SandboxUsage>(
      (sum, u = NO_USAGE) => ({
        memoryBytes: sum.memoryBytes + u.memoryBytes,
        memoryPeakBytes: sum.memoryPeakBytes + u.memoryPeakBytes,
        processes: sum.processes + u.processes,
        oomKills: sum.oomKills + u.oomKills,
      }),
      { ...NO_USAGE },
    );
  }

  /** A TCP connection to `port` on a machine (the first by default), for web previews. */
  async connect(port: number, machine?: string): Promise<Duplex> {
    const target = this.#machine(machine);
    if (!target.connect) throw new SandboxError(`the ${target.name} machine cannot be reached on its ports with this sandbox driver`);
    return target.connect(port);
  }

  /** The current state of every task, in manifest order. */
  get tasks(): TaskInfo[] {
    return this.#runner.tasks;
  }

  /** Done and total task counts. */
  get progress(): { done: number; total: number } {
    return this.#runner.progress;
  }

  /**
   * Hot reload: new titles, hints and tasks for this live session, without touching its sandbox or
   * shells (limits, files, init and terminals only apply to new sessions). Done tasks stay done.
   */
  replaceManifest(manifest: Manifest): void {
    if (this.#endReason) return;
    this.#manifest = manifest;
    this.#runner.replaceTasks(manifest.tasks);
  }

  /** Shows a message to every client of this session. */
  notify(level: NoticeLevel, message: string): void {
    if (!this.#endReason) this.#events.emit('notice', level, message);
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<E extends keyof PlaygroundSessionEvents>(event: E, callback: PlaygroundSessionEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** Session id (safe to show; useless without a token). */
  get id(): string {
    return this.credentials.id;
  }

  /** Constant-time check of a client's token: the access it grants, or undefined. */
  verifyToken(token: string): AttachMode | undefined {
    return this.credentials.verify(token);
  }

  /** Terminals asked for whose shells are still starting (they count against the limit on terminals). */
  get openingTerminals(): number {
    return this.#opening;
  }

  /**
   * Opens one more shell on a machine (the first if `machine` is undefined); rejects with a
   * `PlaygroundError` if it cannot (the machine is gone or unreachable, the session has ended).
   */
  async openTerminal(name: string, machine?: string): Promise<Terminal> {
    const host = this.#machine(machine);
    if (this.#endReason) throw new PlaygroundError(ErrorCode.Ended, 'the session has ended');
    this.#opening++;
    let pty: Pty;
    try {
      pty = await host.spawnShell(DEFAULT_SIZE);
    } finally {
      this.#opening--;
    }
    if (this.#endReason) {
      pty.kill(); // the session ended while the shell started: nobody is left to read it
      throw new PlaygroundError(ErrorCode.Ended, 'the session has ended');
    }
    const id = this.#nextTerminal++;
    const terminal = new Terminal({ id, name, machine: host.name, pty, ...DEFAULT_SIZE, replayBytes: this.#options.replayBytes });
    this.#terminals.set(id, terminal);
    // The shell prints "Killed" when the kernel stops a process at the memory limit: say why.
    terminal.on('output', () => this.#checkOomKills(host));
    terminal.on('exit', (code) => {
      this.#events.emit('exit', id, code);
      // The first terminal is the session's shell: when it exits, the session is over.
      if (id === 0) void this.end('exited');
      else this.#runner.trigger();
    });
    this.#events.emit('terminal', terminal);
    return terminal;
  }

  /** Keyboard input for a terminal; Enter triggers the task checks, other keys wake their slow timer. */
  input(terminal: number, data: Uint8Array): void {
    const t = this.#terminals.get(terminal);
    if (!t || this.#endReason) return;
    t.write(data);
    if (data.includes(13)) this.#runner.trigger();
    else this.#runner.activity();
  }

  /** Resizes a terminal (unknown and exited terminals are ignored). */
  resize(terminal: number, cols: number, rows: number): void {
    this.#terminals.get(terminal)?.resize(cols, rows);
  }

  /** Runs the task checks now; resolves when they are idle. */
  runChecks(options: RunOptions = {}): Promise<void> {
    return this.#runner.run(options);
  }

  /** Reads the sandbox's out-of-memory kill count (at most every 2 s) and tells the page about new ones. */
  #checkOomKills(machine: Machine): void {
    if (!machine.usage || this.#oomTimer || this.#endReason) return;
    this.#oomTimer = setTimeout(
      () => {
        this.#oomCheckedAt = Date.now();
        void machine.usage?.().then(({ oomKills: kills }) => {
          this.#oomTimer = undefined;
          if (kills <= (this.#oomKills.get(machine.name) ?? 0)) return;
          this.#oomKills.set(machine.name, kills);
          this.notify(
            'warning',
            `A program was stopped because this playground ran out of memory: its processes may use ${formatSize(this.#manifest.machines?.find((m) => m.name === machine.name)?.limits.memory ?? this.#manifest.limits.memory)} in all.`,
          );
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
    if (this.#endReason) return;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => void this.end('expired'), this.#options.graceMs);
    this.#graceTimer.unref?.();
  }

  /** Ends the session: tells clients why, stops checks, kills the sandbox. Idempotent: every call resolves once it is torn down. */
  end(reason: EndReason): Promise<void> {
    this.#ending ??= this.#end(reason);
    return this.#ending; // a second caller waits for the same teardown
  }

  async #end(reason: EndReason): Promise<void> {
    this.#endReason = reason;
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#lifeTimer);
    clearTimeout(this.#oomTimer);
    this.#watches.dispose();
    this.#runner.dispose();
    this.#events.emit('ended', reason);
    // The sandbox first: it kills its shells from the inside, so none is orphaned (see BwrapMachine.dispose).
    await this.#sandbox.dispose();
    for (const t of this.#terminals.values()) t.dispose();
  }
}
