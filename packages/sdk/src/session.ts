import { createNanoEvents, type Emitter, type Unsubscribe } from 'nanoevents';
import {
  CloseCode,
  PROTOCOL,
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
  /** A terminal produced output. */
  output(event: OutputEvent): void;
  /** The server replaced a terminal's screen with a snapshot (resume past the replay buffer). */
  snapshot(event: { terminal: number; offset: number; data: string }): void;
  /** A terminal was opened. */
  terminal(info: TerminalInfo): void;
  /** A terminal's process exited. */
  exit(event: { terminal: number; code: number | null }): void;
  /** A task changed state. */
  task(task: TaskInfo): void;
  /** The whole task list was replaced (for example after a manifest reload). */
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
  /** Secret token returned by the server with the id. */
  token: string;
  /** Read-write (default) or read-only spectator. */
  mode?: AttachMode;
  /** WebSocket implementation; defaults to `globalThis.WebSocket`. In Node pass the `ws` package. */
  WebSocket?: WebSocketConstructor;
}

const decoder = new TextDecoder();

/**
 * A live connection to one playground session: its terminals, tasks and status.
 * Works in browsers and in Node; it has no DOM dependency.
 */
export class Session {
  /** Session id (safe to show; useless without the token). */
  readonly id: string;
  /** Secret token that lets this client re-attach (keep it like a password). */
  readonly token: string;
  /** Attach mode. */
  readonly mode: AttachMode;

  #status: SessionStatus = 'idle';
  #emitter: Emitter<SessionEvents> = createNanoEvents<SessionEvents>();
  #socket: WebSocketLike | undefined;
  #options: SessionOptions;
  #terminals = new Map<number, TerminalInfo>();
  #tasks: TaskInfo[] = [];
  #received = new Map<number, number>();
  #playground = { name: '', title: '' };
  #closedByUser = false;

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
   * Opens the WebSocket and attaches. Resolves once the server has welcomed us;
   * rejects with a {@link PlaygroundError} if it refuses.
   */
  open(): Promise<void> {
    if (this.#status === 'ended') return Promise.reject(new PlaygroundError(ErrorCode.Ended, 'the session has ended'));
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      return Promise.reject(new PlaygroundError(ErrorCode.Network, 'no WebSocket implementation: pass one in the WebSocket option'));
    }
    this.#setStatus('connecting');
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
        this.#fail(new PlaygroundError(ErrorCode.Network, `cannot open ${this.#options.url}`, { cause }));
        settle(new PlaygroundError(ErrorCode.Network, `cannot open ${this.#options.url}`, { cause }));
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
        const resume = [...this.#received].map(([terminal, offset]) => ({ terminal, offset }));
        this.#send({ type: 'attach', session: this.id, token: this.token, mode: this.mode, resume });
      };
      socket.onmessage = (event) => {
        try {
          if (typeof event.data === 'string') {
            const message = decodeServerMessage(event.data);
            this.#handle(message);
            if (message.type === 'welcome') settle();
            if (message.type === 'error' && !settled) {
              settle(new PlaygroundError(message.code as ErrorCode, message.message));
            }
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
        if (this.#socket === socket) this.#socket = undefined;
        const error = closeError(event.code, event.reason, this.#options.url);
        settle(error ?? new PlaygroundError(ErrorCode.Network, 'connection closed before the session was ready'));
        this.#handleClose(event.code, error);
      };
    });
  }

  /** Sends keyboard input to a terminal. Ignored (with an `error` event) for read-only sessions. */
  write(terminal: number, data: string | Uint8Array): void {
    if (this.mode === 'ro') {
      this.#emitter.emit('error', new PlaygroundError(ErrorCode.ReadOnly, 'this session is attached read-only'));
      return;
    }
    this.#socket?.send(encodeInput(terminal, data));
  }

  /** Resizes a terminal's pty. */
  resize(terminal: number, cols: number, rows: number): void {
    const info = this.#terminals.get(terminal);
    if (info) Object.assign(info, { cols, rows });
    this.#send({ type: 'resize', terminal, cols, rows });
  }

  /**
   * Tells the server the client has rendered everything up to `offset` (exclusive), which lets
   * it send more (flow control) and is where a reconnect resumes from.
   */
  ack(terminal: number, offset: number): void {
    this.#send({ type: 'ack', terminal, offset });
  }

  /** Asks the server to run the task checks now. */
  runChecks(): void {
    this.#send({ type: 'run-checks' });
  }

  /** Closes the connection. The server keeps the session for its grace period, so it can be resumed. */
  close(): void {
    this.#closedByUser = true;
    this.#socket?.close(1000, 'client closed');
    this.#socket = undefined;
    if (this.#status !== 'ended' && this.#status !== 'error') this.#setStatus('idle');
  }

  #send(message: ClientMessage): void {
    if (this.#socket && this.#socket.readyState === 1) this.#socket.send(encodeMessage(message));
  }

  #handleOutput(frame: Uint8Array): void {
    const out = decodeOutput(frame);
    const have = this.#received.get(out.terminal) ?? 0;
    const end = out.offset + out.data.byteLength;
    if (end <= have) return; // already seen (replay overlap): never show a byte twice
    const data = out.offset < have ? out.data.subarray(have - out.offset) : out.data;
    const offset = Math.max(out.offset, have);
    this.#received.set(out.terminal, end);
    this.#emitter.emit('output', { terminal: out.terminal, offset, data });
  }

  #handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#playground = message.playground;
        for (const t of message.terminals) this.#terminals.set(t.id, t);
        this.#tasks = message.tasks;
        this.#setStatus('ready');
        this.#emitter.emit('tasks', this.#tasks);
        break;
      case 'terminal':
        this.#terminals.set(message.terminal.id, message.terminal);
        this.#emitter.emit('terminal', message.terminal);
        break;
      case 'snapshot':
        this.#received.set(message.terminal, message.offset);
        this.#emitter.emit('snapshot', { terminal: message.terminal, offset: message.offset, data: message.data });
        break;
      case 'exit':
        this.#emitter.emit('exit', { terminal: message.terminal, code: message.code });
        break;
      case 'task': {
        const i = this.#tasks.findIndex((t) => t.id === message.task.id);
        if (i >= 0) this.#tasks = this.#tasks.map((t, j) => (j === i ? message.task : t));
        else this.#tasks = [...this.#tasks, message.task];
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
      case 'ended':
        this.#setStatus('ended');
        this.#emitter.emit('ended', message.reason);
        break;
      case 'error':
        this.#emitter.emit('error', new PlaygroundError(message.code as ErrorCode, message.message));
        break;
      case 'notice':
        this.#emitter.emit('notice', { level: message.level, message: message.message });
        break;
      case 'ping':
        this.#send({ type: 'pong', t: message.t });
        break;
      case 'pong':
        break;
    }
  }

  #handleClose(code: number, error: PlaygroundError | undefined): void {
    if (this.#status === 'ended' || this.#closedByUser) return;
    if (code === CloseCode.Ended || code === CloseCode.Expired || code === CloseCode.Shutdown || code === CloseCode.Kicked) {
      this.#setStatus('ended');
      return;
    }
    this.#fail(error ?? new PlaygroundError(ErrorCode.Network, 'connection lost'));
  }

  #fail(error: PlaygroundError): void {
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
