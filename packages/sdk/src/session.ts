import { createNanoEvents, type Emitter, type Unsubscribe } from 'nanoevents';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import {
  CloseCode,
  MAX_COLS,
  MAX_ROWS,
  PROTOCOL,
  RETRYABLE_CLOSE_CODES,
  decodeOutput,
  decodeServerMessage,
  encodeInput,
  encodeMessage,
  type AttachMode,
  type ClientMessage,
  type EndReason,
  type ServerMessage,
  type TaskInfo,
  type TerminalInfo,
} from './protocol.js';
import { ErrorCode, PlaygroundError } from './errors.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

/** Where a session is in its life. */
export type SessionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'ended' | 'error';

/** Output bytes for one terminal, with the stream offset of the first byte. */
export interface OutputEvent {
  /** Terminal id. */
  terminal: number;
  /** Stream offset of `data[0]`. */
  offset: number;
  /** The bytes, exactly as the pty produced them. */
  data: Uint8Array;
}

/** Events a {@link Session} emits; subscribe with `session.on(name, cb)`. */
export interface SessionEvents {
  /** The status changed. */
  status(status: SessionStatus): void;
  /** The connection was lost; attempt `attempt` to resume starts after `delayMs`. */
  reconnecting(event: { attempt: number; delayMs: number }): void;
  /** A terminal produced output. Every byte arrives exactly once, in order, across reconnects. */
  output(event: OutputEvent): void;
  /**
   * The output since the last byte this client had is gone from the server's replay buffer:
   * replace the terminal's screen with `data` (a serialized screen); output continues at `offset`.
   */
  snapshot(event: { terminal: number; offset: number; data: string }): void;
  /** A terminal was opened. */
  terminal(info: TerminalInfo): void;
  /** A terminal's process exited. */
  exit(event: { terminal: number; code: number | null }): void;
  /** A task changed state. */
  task(task: TaskInfo): void;
  /** The whole task list was replaced (on attach, or after a manifest reload). */
  tasks(tasks: TaskInfo[]): void;
  /** Progress over all tasks. */
  progress(progress: { done: number; total: number }): void;
  /** A message for the person at the page (for example: the manifest was reloaded, or is invalid). */
  notice(notice: { level: 'info' | 'warning' | 'error'; message: string }): void;
  /** The session ended for good. */
  ended(reason: EndReason): void;
  /** Something went wrong; the session may still be usable unless status is `error`. */
  error(error: PlaygroundError): void;
}

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

/** Unacknowledged bytes after which an ack is sent at once rather than on the timer. */
const ACK_BYTES = 32 * 1024;
const ACK_DELAY_MS = 50;

const decoder = new TextDecoder();

/**
 * A live connection to one playground session: its terminals, tasks and status. It reconnects by
 * itself after a lost connection and resumes every terminal where it left off, so no output byte
 * is lost or shown twice. Works in browsers and in Node; it has no DOM dependency.
 */
export class Session {
  /** Session id (safe to show; useless without a token). */
  readonly id: string;
  /** Token this client attaches with (keep it like a password). */
  readonly token: string;
  /** Attach mode requested. */
  readonly mode: AttachMode;

  #status: SessionStatus = 'idle';
  #emitter: Emitter<SessionEvents> = createNanoEvents<SessionEvents>();
  #socket: WebSocketLike | undefined;
  #options: SessionOptions;
  #terminals = new Map<number, TerminalInfo>();
  #tasks: TaskInfo[] = [];
  #received = new Map<number, number>();
  #acked = new Map<number, number>();
  #rendered = new Map<number, number>();
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #playground = { name: '', title: '' };
  #grantedMode: AttachMode | undefined;
  #closedByUser = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.id = options.id;
    this.token = options.token;
    this.mode = options.mode ?? 'rw';
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

  /** The playground's name and title, once ready. */
  get playground(): { name: string; title: string } {
    return this.#playground;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SessionEvents>(event: E, callback: SessionEvents[E]): Unsubscribe {
    return this.#emitter.on(event, callback);
  }

  /**
   * Opens the WebSocket and attaches. Resolves once the server has welcomed us; rejects with a
   * {@link PlaygroundError} if it refuses. Later drops are retried by the session itself.
   */
  open(): Promise<void> {
    if (this.#status === 'ended') return Promise.reject(new PlaygroundError(ErrorCode.Ended, 'the session has ended'));
    this.#closedByUser = false;
    this.#setStatus('connecting');
    return this.#connect();
  }

  /** Sends keyboard input to a terminal. Refused (with an `error` event) for read-only sessions. */
  write(terminal: number, data: string | Uint8Array): void {
    if (this.mode === 'ro' || this.#grantedMode === 'ro') {
      this.#emitter.emit('error', new PlaygroundError(ErrorCode.ReadOnly, 'this session is attached read-only'));
      return;
    }
    if (this.#socket?.readyState === 1) this.#socket.send(encodeInput(terminal, data));
  }

  /** Resizes a terminal's pty (sizes are clamped to 1…{@link MAX_COLS} by 1…{@link MAX_ROWS}). */
  resize(terminal: number, cols: number, rows: number): void {
    cols = clamp(cols, MAX_COLS);
    rows = clamp(rows, MAX_ROWS);
    const info = this.#terminals.get(terminal);
    if (info) Object.assign(info, { cols, rows });
    this.#send({ type: 'resize', terminal, cols, rows });
  }

  /** Opens another terminal (a tab) in the same sandbox; a `terminal` event follows. */
  openTerminal(name?: string): void {
    this.#send(name ? { type: 'open', name } : { type: 'open' });
  }

  /**
   * Tells the server everything up to `offset` (exclusive) is rendered, which lets it send more
   * (flow control). Only needed with `manualAck`; sent in batches.
   */
  ack(terminal: number, offset: number): void {
    if (offset <= (this.#rendered.get(terminal) ?? 0)) return;
    this.#rendered.set(terminal, offset);
    if (offset - (this.#acked.get(terminal) ?? 0) >= ACK_BYTES) this.#flushAcks();
    else this.#ackTimer ??= setTimeout(() => this.#flushAcks(), ACK_DELAY_MS);
  }

  /** Asks the server to run the task checks now. */
  runChecks(): void {
    this.#send({ type: 'run-checks' });
  }

  /** Closes the connection and stops reconnecting. The server keeps the session for its grace period. */
  close(): void {
    this.#closedByUser = true;
    this.#stopTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'client closed');
    if (this.#status !== 'ended' && this.#status !== 'error') this.#setStatus('idle');
  }

  #connect(): Promise<void> {
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      return Promise.reject(new PlaygroundError(ErrorCode.Network, 'no WebSocket implementation: pass one in the WebSocket option'));
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: PlaygroundError) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      let socket: WebSocketLike;
      try {
        socket = new Ctor(this.#options.url, [PROTOCOL]);
      } catch (cause) {
        const error = new PlaygroundError(ErrorCode.Network, `cannot open ${this.#options.url}`, { cause });
        settle(error);
        this.#fail(error);
        return;
      }
      socket.binaryType = 'arraybuffer';
      this.#socket = socket;
      socket.onopen = () => {
        if (socket.protocol && socket.protocol !== PROTOCOL) {
          settle(new PlaygroundError(ErrorCode.Version, `server chose protocol ${socket.protocol}, expected ${PROTOCOL}`));
          socket.close();
          return;
        }
        this.#lastHeard = Date.now();
        const resume = [...this.#received].map(([terminal, offset]) => ({ terminal, offset }));
        this.#send({ type: 'attach', session: this.id, token: this.token, mode: this.mode, resume });
      };
      socket.onmessage = (event) => {
        if (this.#socket !== socket) return;
        this.#lastHeard = Date.now();
        try {
          if (typeof event.data === 'string') {
            const message = decodeServerMessage(event.data);
            this.#handle(message);
            if (message.type === 'welcome') settle();
            if (message.type === 'error' && !settled) settle(new PlaygroundError(message.code as ErrorCode, message.message));
          } else {
            this.#handleOutput(new Uint8Array(event.data as ArrayBuffer));
          }
        } catch (error) {
          const err = error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Protocol, String(error));
          this.#emitter.emit('error', err);
          socket.close(CloseCode.ProtocolError, err.message.slice(0, 120));
        }
      };
      socket.onerror = () => {
        // The close event that always follows carries the reason.
      };
      socket.onclose = (event) => {
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        this.#stopHeartbeat();
        const error = closeError(event.code, event.reason, this.#options.url);
        const wasReady = settled;
        settle(error ?? new PlaygroundError(ErrorCode.Network, 'connection closed before the session was ready'));
        this.#handleClose(event.code, error, wasReady);
      };
    });
  }

  #send(message: ClientMessage): void {
    if (this.#socket?.readyState === 1) this.#socket.send(encodeMessage(message));
  }

  #flushAcks(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    for (const [terminal, offset] of this.#rendered) {
      if (offset > (this.#acked.get(terminal) ?? 0)) {
        this.#acked.set(terminal, offset);
        this.#send({ type: 'ack', terminal, offset });
      }
    }
  }

  #handleOutput(frame: Uint8Array): void {
    const out = decodeOutput(frame);
    const have = this.#received.get(out.terminal) ?? 0;
    const end = out.offset + out.data.byteLength;
    if (end <= have) return; // already seen (replay overlap): never show a byte twice
    if (out.offset > have && this.#received.has(out.terminal)) {
      // A gap would corrupt the screen silently; only a snapshot may move the offset forward.
      throw new PlaygroundError(ErrorCode.Protocol, `output for terminal ${out.terminal} skipped from ${have} to ${out.offset}`);
    }
    const data = out.offset < have ? out.data.subarray(have - out.offset) : out.data;
    const offset = Math.max(out.offset, have);
    this.#received.set(out.terminal, end);
    this.#emitter.emit('output', { terminal: out.terminal, offset, data });
    if (!this.#options.manualAck) this.ack(out.terminal, end);
  }

  #handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#playground = message.playground;
        this.#grantedMode = message.mode;
        for (const t of message.terminals) {
          this.#terminals.set(t.id, t);
          // A terminal we never saw starts at 0; the server sends a snapshot if that is gone.
          if (!this.#received.has(t.id)) this.#received.set(t.id, 0);
        }
        this.#tasks = message.tasks;
        this.#attempt = 0;
        this.#startHeartbeat();
        this.#setStatus('ready');
        this.#emitter.emit('tasks', this.#tasks);
        break;
      case 'terminal':
        this.#terminals.set(message.terminal.id, message.terminal);
        if (!this.#received.has(message.terminal.id)) this.#received.set(message.terminal.id, 0);
        this.#emitter.emit('terminal', message.terminal);
        break;
      case 'snapshot':
        this.#received.set(message.terminal, message.offset);
        this.#rendered.set(message.terminal, message.offset);
        this.#emitter.emit('snapshot', { terminal: message.terminal, offset: message.offset, data: message.data });
        this.#send({ type: 'ack', terminal: message.terminal, offset: message.offset });
        this.#acked.set(message.terminal, message.offset);
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
        this.#stopTimers();
        this.#setStatus('ended');
        this.#emitter.emit('ended', message.reason);
        break;
      case 'error':
        this.#emitter.emit('error', new PlaygroundError(message.code as ErrorCode, message.message));
        break;
      case 'ping':
        this.#send({ type: 'pong', t: message.t });
        break;
      case 'pong':
        break;
    }
  }

  #handleClose(code: number, error: PlaygroundError | undefined, wasReady: boolean): void {
    if (this.#status === 'ended' || this.#closedByUser) return;
    if (code === CloseCode.Ended || code === CloseCode.Expired || code === CloseCode.Shutdown || code === CloseCode.Kicked) {
      this.#setStatus('ended');
      return;
    }
    const reconnect = this.#options.reconnect;
    // Only a session that was up reconnects by itself; a first connection that fails is reported.
    const mayRetry = reconnect !== false && (wasReady || this.#status === 'reconnecting') && RETRYABLE_CLOSE_CODES.includes(code);
    if (!mayRetry) {
      this.#fail(error ?? new PlaygroundError(ErrorCode.Network, 'connection lost'));
      return;
    }
    const options = reconnect || {};
    const attempts = options.attempts ?? 12;
    if (this.#attempt >= attempts) {
      this.#fail(new PlaygroundError(ErrorCode.Network, `lost the connection and could not resume after ${attempts} attempts`));
      return;
    }
    this.#attempt++;
    const delayMs = backoffDelay(this.#attempt, options);
    this.#setStatus('reconnecting');
    this.#emitter.emit('reconnecting', { attempt: this.#attempt, delayMs });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closedByUser) return;
      this.#connect().catch(() => {
        // the close handler of that attempt schedules the next one or fails
      });
    }, delayMs);
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    const period = this.#options.heartbeatMs ?? 10_000;
    this.#heartbeat = setInterval(() => {
      const socket = this.#socket;
      if (!socket) return;
      if (Date.now() - this.#lastHeard > period * 2.5) {
        // Silent too long: the peer or the path is dead. Drop the socket and resume on a new one.
        this.#socket = undefined;
        socket.onclose = null;
        socket.close(CloseCode.Timeout, 'heartbeat timeout');
        this.#handleClose(CloseCode.Timeout, new PlaygroundError(ErrorCode.Network, 'the server stopped answering'), true);
        return;
      }
      this.#send({ type: 'ping', t: Date.now() });
    }, period);
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #stopTimers(): void {
    this.#stopHeartbeat();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  #fail(error: PlaygroundError): void {
    this.#stopTimers();
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

function clamp(n: number, max: number): number {
  return Math.min(max, Math.max(1, Math.round(Number.isFinite(n) ? n : 1)));
}

function closeError(code: number, reason: string, url: string): PlaygroundError | undefined {
  const why = reason ? `: ${reason}` : '';
  switch (code) {
    case 1000:
    case CloseCode.Ended:
      return undefined;
    case CloseCode.Unauthorized:
      return new PlaygroundError(ErrorCode.Unauthorized, `the server refused the session token${why}`);
    case CloseCode.NotFound:
      return new PlaygroundError(ErrorCode.SessionNotFound, `the session no longer exists${why}`);
    case CloseCode.ProtocolError:
      return new PlaygroundError(ErrorCode.Protocol, `protocol error${why}`);
    case CloseCode.Limit:
      return new PlaygroundError(ErrorCode.Limit, `a server limit was exceeded${why}`);
    case CloseCode.Expired:
    case CloseCode.Shutdown:
    case CloseCode.Kicked:
      return new PlaygroundError(ErrorCode.Ended, `the session ended${why}`);
    case 1006:
      return new PlaygroundError(ErrorCode.Network, `connection to ${url} failed or was refused`);
    default:
      return new PlaygroundError(ErrorCode.Network, `connection closed (code ${code})${why}`);
  }
}
