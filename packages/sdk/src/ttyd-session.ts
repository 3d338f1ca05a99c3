import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import { ErrorCode, PlaygroundError } from './errors.js';
import { settleOnce } from './settle-once.js';
import { MAX_COLS, MAX_ROWS, clampSize, type AttachMode, type TaskInfo, type TerminalInfo } from './protocol.js';
import type { SessionEvents, SessionFeatures, SessionStatus, TerminalSession } from './terminal-session.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

/** The WebSocket subprotocol a stock ttyd speaks. */
export const TTYD_PROTOCOL = 'tty';

/**
 * ttyd's one-byte commands (its src/server.h): the first byte of every binary frame, as an ASCII
 * character. Client to server: input, resize, pause, resume, and the JSON hello (whose first byte,
 * `{`, is its command). Server to client: output, window title, preferences.
 */
export const TtydCommand = {
  Input: '0',
  Resize: '1',
  Pause: '2',
  Resume: '3',
  Hello: '{',
  Output: '0',
  Title: '1',
  Preferences: '2',
} as const;

/** Unacknowledged bytes at which the session asks ttyd to pause the pty, and under which it resumes it. */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

/** What a {@link TtydSession} needs. */
export interface TtydSessionOptions {
  /** ttyd's WebSocket URL, e.g. `ws://host:7681/ws`. */
  url: string;
  /** ttyd's `AuthToken` (the token its `/token` page gives when it runs with `-c user:pass`); empty otherwise. */
  token?: string;
  /** Terminal size to start with. */
  cols?: number;
  rows?: number;
  /** WebSocket implementation; defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Acknowledge output yourself once rendered (a terminal UI should); otherwise as it arrives. */
  manualAck?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A terminal on a stock ttyd server (https://github.com/tsl0922/ttyd), behind the same
 * {@link TerminalSession} interface as an ix-playground session, so the same UI shows either.
 * ttyd has one terminal, no tasks and no resume: a lost connection ends the session (ttyd kills
 * the shell when its socket closes). Flow control uses ttyd's pause and resume commands.
 */
export class TtydSession implements TerminalSession {
  /** ttyd has no session ids; this is its URL. */
  readonly id: string;
  /** The AuthToken sent in the hello. */
  readonly token: string;
  /** No tasks, no resume, one terminal. */
  readonly features: SessionFeatures = { tasks: false, resume: false, tabs: false, save: false, preview: false };
  /** Always empty: ttyd has no tasks. */
  readonly tasks: readonly TaskInfo[] = [];
  readonly #options: TtydSessionOptions;
  readonly #events = createNanoEvents<SessionEvents>();
  readonly #terminal: TerminalInfo;
  #status: SessionStatus = 'idle';
  #socket: WebSocketLike | undefined;
  #cancelOpen: ((error?: PlaygroundError) => void) | undefined;
  #received = 0;
  #acked = 0;
  #paused = false;

  constructor(options: TtydSessionOptions) {
    this.#options = options;
    this.id = options.url;
    this.token = options.token ?? '';
    this.#terminal = { id: 0, name: 'ttyd', cols: clampSize(options.cols ?? 80, MAX_COLS), rows: clampSize(options.rows ?? 24, MAX_ROWS) };
  }

  /** Current status. */
  get status(): SessionStatus {
    return this.#status;
  }

  /** ttyd has no read-only mode of its own (its `-W` flag decides); the client is read-write. */
  get grantedMode(): AttachMode | undefined {
    return this.#status === 'ready' ? 'rw' : undefined;
  }

  /** `ttyd`, titled with its window title once it sends one. */
  get playground(): { name: string; title: string } {
    return { name: 'ttyd', title: this.#terminal.name };
  }

  /** The one terminal, named by ttyd's window title once it sends one. */
  get terminals(): ReadonlyMap<number, TerminalInfo> {
    return new Map([[0, this.#terminal]]);
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SessionEvents>(event: E, callback: SessionEvents[E]): Unsubscribe {
    return this.#events.on(event, callback);
  }

  /** Connects and says hello; resolves on the first frame from ttyd (its title). */
  open(): Promise<void> {
    if (this.#status === 'ended') return Promise.reject(new PlaygroundError(ErrorCode.Ended, 'the ttyd session has ended'));
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) return Promise.reject(new PlaygroundError(ErrorCode.Network, 'no WebSocket implementation: pass one in the WebSocket option'));
    this.#setStatus('connecting');
    const { promise, settle } = settleOnce(() => (this.#cancelOpen = undefined));
    this.#cancelOpen = settle;
    this.#connect(Ctor, settle);
    return promise;
  }

  /** Opens the socket and follows it; `settle` hears whether the session got ready. */
  #connect(Ctor: WebSocketConstructor, settle: (error?: PlaygroundError) => void): void {
    let socket: WebSocketLike;
    try {
      socket = new Ctor(this.#options.url, [TTYD_PROTOCOL]);
    } catch (cause) {
      this.#fail(new PlaygroundError(ErrorCode.Network, `cannot open ${this.#options.url}`, { cause }), settle);
      return;
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      const { cols, rows } = this.#terminal;
      this.#send(encoder.encode(JSON.stringify({ AuthToken: this.token, columns: cols, rows })));
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      const frame = typeof event.data === 'string' ? encoder.encode(event.data) : new Uint8Array(event.data as ArrayBuffer);
      if (this.#status === 'connecting') {
        this.#setStatus('ready');
        this.#events.emit('terminal', this.#terminal);
        settle();
      }
      this.#handle(frame);
    };
    socket.onerror = () => {
      // the close event follows
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      if (this.#status === 'ready' && (event.code === 1000 || event.code === 1005)) {
        // ttyd closes normally when the shell exits.
        this.#setStatus('ended');
        this.#events.emit('ended', 'exited');
        return;
      }
      const error =
        this.#status === 'ready'
          ? new PlaygroundError(ErrorCode.Network, `the connection to ttyd was lost (code ${event.code}); ttyd cannot resume a session: start a new one`)
          : new PlaygroundError(
              ErrorCode.Network,
              `cannot connect to ttyd at ${this.#options.url} (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
            );
      this.#fail(error, settle);
    };
  }

  /** Sends keystrokes: ttyd's input command and the bytes. */
  write(terminal: number, data: string | Uint8Array): void {
    if (terminal !== 0) return;
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const frame = new Uint8Array(bytes.byteLength + 1);
    frame[0] = TtydCommand.Input.charCodeAt(0);
    frame.set(bytes, 1);
    this.#send(frame);
  }

  /** Resizes the pty: ttyd's resize command with `{"columns":…,"rows":…}`. */
  resize(terminal: number, cols: number, rows: number): void {
    if (terminal !== 0) return;
    this.#terminal.cols = clampSize(cols, MAX_COLS);
    this.#terminal.rows = clampSize(rows, MAX_ROWS);
    this.#send(encoder.encode(TtydCommand.Resize + JSON.stringify({ columns: this.#terminal.cols, rows: this.#terminal.rows })));
  }

  /** The page rendered output up to `offset`: resumes a paused pty once little is left unrendered. */
  ack(terminal: number, offset: number): void {
    if (terminal !== 0 || offset <= this.#acked) return;
    this.#acked = Math.min(offset, this.#received);
    if (this.#paused && this.#received - this.#acked < LOW_WATER) {
      this.#paused = false;
      this.#send(encoder.encode(TtydCommand.Resume));
    }
  }

  /** ttyd has one terminal: reports a `limit` error. */
  openTerminal(): void {
    this.#events.emit('error', new PlaygroundError(ErrorCode.Limit, 'a ttyd server has one terminal per connection'));
  }

  /** ttyd has one machine. */
  readonly machines: readonly string[] = [];
  /** ttyd has no previews. */
  readonly previews: readonly [] = [];

  /** ttyd cannot preview ports: reports a `bad-request` error. */
  openPreview(): void {
    this.#events.emit('error', new PlaygroundError(ErrorCode.BadRequest, 'a ttyd server has no previews'));
  }

  /** ttyd cannot save: rejects with `bad-request`. */
  save(): Promise<never> {
    return Promise.reject(new PlaygroundError(ErrorCode.BadRequest, 'a ttyd server cannot save a playground'));
  }

  /** ttyd has no tasks: nothing to run. */
  runChecks(): void {}

  /** Closes the connection (ttyd then ends its shell); a pending {@link open} rejects with `cancelled`. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'client closed');
    this.#cancelOpen?.(new PlaygroundError(ErrorCode.Cancelled, 'the session was closed before it was ready'));
    if (this.#status !== 'ended' && this.#status !== 'error') this.#setStatus('idle');
  }

  #handle(frame: Uint8Array): void {
    const command = String.fromCharCode(frame[0] ?? 0);
    const payload = frame.subarray(1);
    switch (command) {
      case TtydCommand.Output: {
        const offset = this.#received;
        this.#received += payload.byteLength;
        this.#events.emit('output', { terminal: 0, offset, data: payload });
        if (!this.#options.manualAck) this.ack(0, this.#received);
        else if (!this.#paused && this.#received - this.#acked >= HIGH_WATER) {
          this.#paused = true;
          this.#send(encoder.encode(TtydCommand.Pause));
        }
        break;
      }
      case TtydCommand.Title:
        this.#terminal.name = decoder.decode(payload).slice(0, 200);
        this.#events.emit('terminal', this.#terminal);
        break;
      case TtydCommand.Preferences:
        break; // ttyd's client options (font size, renderer…): the page's own settings win
      default:
        break; // ttyd ignores commands it does not know, and so do we
    }
  }

  #send(frame: Uint8Array): void {
    if (this.#socket?.readyState === 1) this.#socket.send(frame);
  }

  #fail(error: PlaygroundError, settle?: (error?: PlaygroundError) => void): void {
    settle?.(error);
    this.#events.emit('error', error);
    this.#setStatus('error');
  }

  #setStatus(status: SessionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#events.emit('status', status);
  }
}
