import { createNanoEvents, type Emitter, type Unsubscribe } from 'nanoevents';
import { AckTracker } from './ack-tracker.js';
import type { BackoffOptions } from './backoff.js';
import { Connection } from './connection.js';
import { DisposableStore } from './disposable.js';
import { ErrorCode, PlaygroundError } from './errors.js';
import {
  CloseCode,
  MAX_COLS,
  MAX_ROWS,
  clampSize,
  closeError,
  endReasonOf,
  errorCodeOf,
  type AttachMode,
  type ClientMessage,
  type EndReason,
  type OutputFrame,
  type PreviewInfo,
  type ServerMessage,
  type SnapshotInfo,
  type TaskInfo,
  type TerminalInfo,
} from './protocol.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { settleOnce } from './settle-once.js';
import type { OutputEvent, SessionEvents, SessionFeatures, SessionStatus, SnapshotEvent, TerminalSession } from './terminal-session.js';
import type { Tunnel } from './tunnel.js';
import { TunnelChannels } from './tunnel-channels.js';
import type { WebSocketConstructor } from './websocket.js';

/** What a {@link Session} needs to attach to a server-side session. */
export interface SessionOptions {
  /** The WebSocket URL of the gateway, e.g. `ws://localhost:8080/api/ws`. */
  url: string;
  /** Session id returned by the server. */
  id: string;
  /** Token returned by the server: the read-write token, or the spectator token (read-only). */
  token: string;
  /** Read-write (default) or read-only spectator. */
  mode?: AttachMode;
  /** WebSocket implementation; defaults to `globalThis.WebSocket`. In Node pass the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect with backoff after a lost connection (default on); `false` turns it off. */
  reconnect?: BackoffOptions | false;
  /**
   * If true, the client calls {@link Session.ack} itself once output is rendered (what a terminal
   * UI should do). By default the session acknowledges output as soon as it is received.
   */
  manualAck?: boolean;
  /** Heartbeat period in ms (default 10 000); the connection counts as dead after 2.5 silent periods. */
  heartbeatMs?: number;
}

const decoder = new TextDecoder();

/**
 * A live connection to one playground session: its terminals, tasks and status. It reconnects by
 * itself after a lost connection and resumes every terminal where it left off, so no output byte
 * is lost or shown twice. Works in browsers and in Node; it has no DOM dependency.
 *
 * The parts: a {@link Connection} per socket, a {@link ReconnectPolicy} deciding when to try
 * again, and an {@link AckTracker} keeping the byte accounting across connections. This class
 * holds the state the server reported and the promise of {@link open}.
 */
export class Session implements TerminalSession {
  /** What this server offers; `save` and `preview` are known once attached (the welcome says). */
  readonly features: SessionFeatures = { tasks: true, resume: true, tabs: true, save: false, preview: false };
  /** Session id (safe to show; useless without a token). */
  readonly id: string;
  /** Token this client attaches with (keep it like a password). */
  readonly token: string;
  /** Attach mode requested. */
  readonly mode: AttachMode;

  #status: SessionStatus = 'idle';
  #emitter: Emitter<SessionEvents> = createNanoEvents<SessionEvents>();
  #options: SessionOptions;
  #connection: Connection | undefined;
  /** Listeners and timers of the current connection attempt; cleared when it is replaced or closed. */
  #attempt = new DisposableStore();
  #acks: AckTracker;
  #policy: ReconnectPolicy;
  /** Rejects the pending {@link open}, if any. */
  #cancelOpen: ((error: PlaygroundError) => void) | undefined;
  #terminals = new Map<number, TerminalInfo>();
  #tasks: TaskInfo[] = [];
  #playground = { name: '', title: '' };
  #machines: string[] = [];
  #tunnels = new TunnelChannels(() => this.#connection);
  /** The pending {@link save}, answered by `saved` or the next `error`. */
  #saving: { resolve: (snapshot: SnapshotInfo) => void; reject: (error: PlaygroundError) => void } | undefined;
  #previews: PreviewInfo[] = [];
  #grantedMode: AttachMode | undefined;
  /** Output and snapshots that came before anyone listened to output, in order. */
  #early: (OutputEvent | SnapshotEvent)[] = [];
  /** True once the session has been ready on some connection (only then are drops retried). */
  #wasUp = false;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.id = options.id;
    this.token = options.token;
    this.mode = options.mode ?? 'rw';
    this.#acks = new AckTracker((terminal, offset) => this.#connection?.send({ type: 'ack', terminal, offset }));
    this.#policy = new ReconnectPolicy(options.reconnect ?? {});
  }

  /** Current status. */
  get status(): SessionStatus {
    return this.#status;
  }

  /** The mode the server granted: `ro` for spectators, even if `rw` was asked for with a spectator token. */
  get grantedMode(): AttachMode | undefined {
    return this.#grantedMode;
  }

  /** The terminals of this session, by id. */
  get terminals(): ReadonlyMap<number, TerminalInfo> {
    return this.#terminals;
  }

  /** The latest known state of every task. */
  get tasks(): readonly TaskInfo[] {
    return this.#tasks;
  }

  /** The session's machines (one name per machine; empty when it has one unnamed machine). */
  get machines(): readonly string[] {
    return this.#machines;
  }

  /** Web servers in the session a page can show, each on an origin of its own. */
  get previews(): readonly PreviewInfo[] {
    return this.#previews;
  }

  /**
   * Opens a TCP connection to `port` inside the playground (on `machine`, or the first one), over
   * this session's connection. The tunnel's `open` or `close` event says how it went. Tunnels
   * close when the connection drops (a reconnect does not bring them back).
   */
  openTunnel(port: number, machine?: string): Tunnel {
    return this.#tunnels.open(port, machine);
  }

  /**
   * Saves the playground's files on the server (processes are not saved), to restore later
   * (`connect({ restore: id, owner })`) or to share for `fork`. With `stop`, the session ends
   * once saved. Rejects with the server's error (a size limit, say).
   */
  save(options: { stop?: boolean } = {}): Promise<SnapshotInfo> {
    if (!this.#connection?.open) return Promise.reject(new PlaygroundError(ErrorCode.Network, 'the session is not connected'));
    if (this.#saving) return Promise.reject(new PlaygroundError(ErrorCode.BadRequest, 'a save is already under way'));
    return new Promise<SnapshotInfo>((resolve, reject) => {
      this.#saving = { resolve, reject };
      this.#send({ type: 'save', ...(options.stop ? { stop: true } : {}) });
    }).finally(() => (this.#saving = undefined));
  }

  /** Asks for a preview of `port` (on `machine`, or the first one); a `preview` event answers. */
  openPreview(port: number, machine?: string): void {
    this.#send(machine ? { type: 'preview', port, machine } : { type: 'preview', port });
  }

  /** The playground's name and title, once ready. */
  get playground(): { name: string; title: string } {
    return this.#playground;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SessionEvents>(event: E, callback: SessionEvents[E]): Unsubscribe {
    const unsubscribe = this.#emitter.on(event, callback);
    // Output that came before anyone listened (right after open() resolved, say) is not lost.
    if (event === 'output' && this.#early.length) queueMicrotask(() => this.#flushEarly());
    return unsubscribe;
  }

  /** Whether anyone listens to output; until then, output and snapshots wait in order. */
  #listening(): boolean {
    return (this.#emitter.events.output?.length ?? 0) > 0;
  }

  #flushEarly(): void {
    if (!this.#listening()) return;
    for (const event of this.#early.splice(0)) {
      if ('data' in event && typeof event.data !== 'string') this.#deliverOutput(event as OutputEvent);
      else this.#emitter.emit('snapshot', event as SnapshotEvent);
    }
  }

  /**
   * Opens the WebSocket and attaches. Resolves once the server has welcomed us; rejects with a
   * {@link PlaygroundError} if it refuses, or with `cancelled` if {@link close} comes first. Later
   * drops are retried by the session itself.
   */
  open(): Promise<void> {
    if (this.#status === 'ended') return Promise.reject(new PlaygroundError(ErrorCode.Ended, 'the session has ended'));
    this.#cancelOpen?.(new PlaygroundError(ErrorCode.Cancelled, 'open() was called again'));
    this.#setStatus('connecting');
    const { promise, settle } = settleOnce(() => (this.#cancelOpen = undefined));
    this.#cancelOpen = settle;
    this.#connect(settle);
    return promise;
  }

  /** Sends keyboard input to a terminal. Refused (with an `error` event) for read-only sessions. */
  write(terminal: number, data: string | Uint8Array): void {
    if (this.mode === 'ro' || this.#grantedMode === 'ro') {
      this.#emitter.emit('error', new PlaygroundError(ErrorCode.ReadOnly, 'this session is attached read-only'));
      return;
    }
    this.#connection?.sendInput(terminal, data);
  }

  /** Resizes a terminal's pty (sizes are clamped to 1…{@link MAX_COLS} by 1…{@link MAX_ROWS}). */
  resize(terminal: number, cols: number, rows: number): void {
    cols = clampSize(cols, MAX_COLS);
    rows = clampSize(rows, MAX_ROWS);
    const info = this.#terminals.get(terminal);
    if (info) Object.assign(info, { cols, rows });
    this.#send({ type: 'resize', terminal, cols, rows });
  }

  /** Opens another terminal (a tab) on the session's first machine, or on `machine`; a `terminal` event follows. */
  openTerminal(name?: string, machine?: string): void {
    this.#send({ type: 'open', ...(name ? { name } : {}), ...(machine ? { machine } : {}) });
  }

  /**
   * Tells the server everything up to `offset` (exclusive) is rendered, which lets it send more
   * (flow control). Only needed with `manualAck`; sent in batches.
   */
  ack(terminal: number, offset: number): void {
    this.#acks.rendered(terminal, offset);
  }

  /** Asks the server to run the task checks now. */
  runChecks(): void {
    this.#send({ type: 'run-checks' });
  }

  /**
   * Closes the connection and stops reconnecting; a pending {@link open} rejects with `cancelled`.
   * The server keeps the session for its grace period, so {@link open} may attach again.
   */
  close(): void {
    this.#drop();
    this.#acks.dispose();
    this.#cancelOpen?.(new PlaygroundError(ErrorCode.Cancelled, 'the session was closed before it was ready'));
    if (this.#status !== 'ended' && this.#status !== 'error') this.#setStatus('idle');
  }

  /** Closes the current connection without reporting anything, and cancels a scheduled retry. */
  #drop(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#tunnels.endAll('the session was closed');
    this.#attempt.clear();
    connection?.close(1000, 'client closed');
  }

  /** One connection attempt; `settle` (the pending open, if any) hears how it went. */
  #connect(settle: (error?: PlaygroundError) => void): void {
    this.#drop();
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      this.#fail(new PlaygroundError(ErrorCode.Network, 'no WebSocket implementation: pass one in the WebSocket option'), settle);
      return;
    }
    let connection: Connection;
    try {
      connection = new Connection({
        url: this.#options.url,
        WebSocket: Ctor,
        heartbeatMs: this.#options.heartbeatMs ?? 10_000,
        attach: () => ({ type: 'attach', session: this.id, token: this.token, mode: this.mode, resume: this.#acks.resumePoints() }),
      });
    } catch (error) {
      this.#fail(error as PlaygroundError, settle);
      return;
    }
    this.#connection = connection;
    let ready = false;
    this.#attempt.add(
      connection.on('message', (message) => {
        this.#handle(message);
        if (message.type === 'welcome') {
          ready = true;
          connection.startHeartbeat();
          settle();
        } else if (message.type === 'error' && !ready) {
          settle(new PlaygroundError(errorCodeOf(message.code), message.message));
        }
      }),
      connection.on('output', (frame) => {
        try {
          this.#handleOutput(frame);
        } catch (error) {
          this.#emitter.emit('error', error as PlaygroundError);
          connection.close(CloseCode.ProtocolError, (error as Error).message.slice(0, 120));
        }
      }),
      connection.on('invalid', (error) => this.#emitter.emit('error', error)),
      connection.on('tunnel', (channel, data) => this.#tunnels.received(channel, data)),
      connection.on('close', (code, reason) => {
        if (this.#connection !== connection) return;
        this.#connection = undefined;
        this.#tunnels.endAll('the connection to the server was lost');
        this.#attempt.clear();
        const error = closeError(code, reason, this.#options.url);
        settle(error ?? new PlaygroundError(ErrorCode.Network, 'connection closed before the session was ready'));
        this.#handleClose(code, error);
      }),
    );
  }

  #send(message: ClientMessage): void {
    this.#connection?.send(message);
  }

  #handleOutput(frame: OutputFrame): void {
    const fresh = this.#acks.accept(frame);
    if (!fresh) return;
    const event = { terminal: fresh.terminal, offset: fresh.offset, data: fresh.data };
    // Nobody listens yet: keep it, unacknowledged (the server's flow control bounds how much).
    if (!this.#listening()) this.#early.push(event);
    else this.#deliverOutput(event);
  }

  #deliverOutput(event: OutputEvent): void {
    this.#emitter.emit('output', event);
    if (!this.#options.manualAck) this.ack(event.terminal, event.offset + event.data.byteLength);
  }

  #handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#playground = message.playground;
        this.#grantedMode = message.mode;
        for (const t of message.terminals) {
          this.#terminals.set(t.id, t);
          // A terminal we never saw starts at 0; the server sends a snapshot if that is gone.
          this.#acks.track(t.id);
        }
        this.#tasks = message.tasks;
        this.#machines = message.machines ?? [];
        this.#previews = message.previews ?? [];
        this.features.save = message.save === true;
        this.features.preview = message.preview === true;
        this.#wasUp = true;
        this.#policy.reset();
        this.#setStatus('ready');
        this.#emitter.emit('tasks', this.#tasks);
        break;
      case 'terminal':
        this.#terminals.set(message.terminal.id, message.terminal);
        this.#acks.track(message.terminal.id);
        this.#emitter.emit('terminal', message.terminal);
        break;
      case 'tunnel':
        this.#tunnels.answered(message.channel, message.open, message.error);
        break;
      case 'preview':
        this.#previews = [...this.#previews.filter((p) => p.url !== message.preview.url), message.preview];
        this.#emitter.emit('preview', message.preview);
        break;
      case 'snapshot':
        this.#acks.snapshot(message.terminal, message.offset);
        if (this.#early.length || !this.#listening()) this.#early.push({ terminal: message.terminal, offset: message.offset, data: message.data });
        else this.#emitter.emit('snapshot', { terminal: message.terminal, offset: message.offset, data: message.data });
        break;
      case 'exit':
        this.#emitter.emit('exit', { terminal: message.terminal, code: message.code });
        break;
      case 'task': {
        const i = this.#tasks.findIndex((t) => t.id === message.task.id);
        this.#tasks = i >= 0 ? this.#tasks.map((t, j) => (j === i ? message.task : t)) : [...this.#tasks, message.task];
        this.#emitter.emit('task', message.task);
        break;
      }
      case 'tasks':
        this.#tasks = message.tasks;
        this.#emitter.emit('tasks', message.tasks);
        break;
      case 'progress':
        this.#emitter.emit('progress', { done: message.done, total: message.total });
        break;
      case 'notice':
        this.#emitter.emit('notice', { level: message.level, message: message.message });
        break;
      case 'ended':
        this.#end(message.reason);
        break;
      case 'saved':
        this.#saving?.resolve(message.snapshot);
        break;
      case 'error': {
        const error = new PlaygroundError(errorCodeOf(message.code), message.message);
        if (this.#saving) this.#saving.reject(error);
        else this.#emitter.emit('error', error);
        break;
      }
      case 'ping':
      case 'pong':
        break;
    }
  }

  #handleClose(code: number, error: PlaygroundError | undefined): void {
    if (this.#status === 'ended') return;
    const reason = endReasonOf(code);
    if (reason) {
      this.#end(reason);
      return;
    }
    const decision = this.#policy.next(code, this.#wasUp);
    if (!decision.retry) {
      const exhausted = new PlaygroundError(ErrorCode.Network, `lost the connection and could not resume after ${this.#policy.attempts} attempts`);
      this.#fail(decision.exhausted ? exhausted : (error ?? new PlaygroundError(ErrorCode.Network, 'connection lost')));
      return;
    }
    this.#setStatus('reconnecting');
    this.#emitter.emit('reconnecting', { attempt: decision.attempt, delayMs: decision.delayMs });
    // The retry belongs to the attempt store: close() cancels it.
    this.#attempt.timeout(() => this.#connect(() => {}), decision.delayMs);
  }

  #end(reason: EndReason): void {
    if (this.#status === 'ended') return;
    this.#drop();
    this.#acks.dispose();
    this.#setStatus('ended');
    this.#emitter.emit('ended', reason);
    // Attached to a session that had already ended (a tab coming back to it): open() learns why.
    // #drop() took the connection's listeners, so nothing else would settle it.
    this.#cancelOpen?.(new PlaygroundError(ErrorCode.Ended, `the session has ended (${reason})`));
  }

  #fail(error: PlaygroundError, settle?: (error?: PlaygroundError) => void): void {
    this.#drop();
    this.#acks.dispose();
    settle?.(error);
    this.#emitter.emit('error', error);
    this.#setStatus('error');
  }

  #setStatus(status: SessionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#emitter.emit('status', status);
  }

  /** Decodes a terminal's bytes as UTF-8 text (convenience for Node scripts and tests). */
  static text(data: Uint8Array): string {
    return decoder.decode(data);
  }
}
