import { createNanoEvents } from 'nanoevents';
import { ErrorCode, PlaygroundError } from './errors.js';
import {
  CloseCode,
  PROTOCOL,
  FrameKind,
  decodeOutput,
  decodeTunnel,
  encodeTunnel,
  frameKind,
  decodeServerMessage,
  encodeInput,
  encodeMessage,
  type ClientMessage,
  type OutputFrame,
  type ServerMessage,
} from './protocol.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

/** Events of a {@link Connection}. After `close`, there are no more. */
export interface ConnectionEvents {
  /** The socket is open; the attach message has been sent. */
  open(): void;
  /** A control message from the server. */
  message(message: ServerMessage): void;
  /** An output frame from the server. */
  output(frame: OutputFrame): void;
  /** Bytes of a forwarded connection. */
  tunnel(channel: number, data: Uint8Array): void;
  /** The server broke the protocol (the connection is closed with 4400 right after). */
  invalid(error: PlaygroundError): void;
  /** The connection is gone, with the close code that says why (4408 when the heartbeat gave up). */
  close(code: number, reason: string): void;
}

/** What a {@link Connection} needs. */
export interface ConnectionOptions {
  /** Gateway URL. */
  url: string;
  /** The WebSocket implementation. */
  WebSocket: WebSocketConstructor;
  /** The `attach` message, made when the socket opens (so it carries the latest resume offsets). */
  attach: () => ClientMessage;
  /** Heartbeat period in ms; the connection counts as dead after 2.5 silent periods. */
  heartbeatMs: number;
}

/**
 * One WebSocket speaking the ix-playground protocol: attaches on open, decodes every frame,
 * answers pings and pings the server itself once {@link startHeartbeat} is called, and reports
 * exactly one `close`. It knows nothing of reconnecting; a session makes a new one.
 */
export class Connection {
  readonly #socket: WebSocketLike;
  readonly #events = createNanoEvents<ConnectionEvents>();
  readonly #heartbeatMs: number;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastHeard = Date.now();
  #closed = false;

  /** Opens the socket; throws a `network` error if the URL or implementation refuses at once. */
  constructor(options: ConnectionOptions) {
    this.#heartbeatMs = options.heartbeatMs;
    try {
      this.#socket = new options.WebSocket(options.url, [PROTOCOL]);
    } catch (cause) {
      throw new PlaygroundError(ErrorCode.Network, `cannot open ${options.url}`, { cause });
    }
    const socket = this.#socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.#closed) return;
      if (socket.protocol && socket.protocol !== PROTOCOL) {
        this.#fail(new PlaygroundError(ErrorCode.Version, `server chose protocol ${socket.protocol}, expected ${PROTOCOL}`), CloseCode.ProtocolError);
        return;
      }
      this.#lastHeard = Date.now();
      this.send(options.attach());
      this.#events.emit('open');
    };
    socket.onmessage = (event) => {
      if (this.#closed) return;
      this.#lastHeard = Date.now();
      try {
        if (typeof event.data === 'string') {
          const message = decodeServerMessage(event.data);
          if (message.type === 'ping') this.send({ type: 'pong', t: message.t });
          else this.#events.emit('message', message);
        } else {
          const bytes = new Uint8Array(event.data as ArrayBuffer);
          if (frameKind(bytes) === FrameKind.Tunnel) {
            const { channel, data } = decodeTunnel(bytes);
            this.#events.emit('tunnel', channel, data);
          } else {
            this.#events.emit('output', decodeOutput(bytes));
          }
        }
      } catch (error) {
        const err = error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Protocol, String(error));
        this.#fail(err, CloseCode.ProtocolError);
      }
    };
    socket.onerror = () => {
      // The close event that always follows carries the reason.
    };
    socket.onclose = (event) => this.#finish(event.code, event.reason);
    // Until the session's heartbeat takes over, the same clock bounds the opening: a handshake
    // that never answers (a dead proxy, a half-open path) is given up, not waited on for ever.
    this.#lastHeard = Date.now();
    this.startHeartbeat();
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<E extends keyof ConnectionEvents>(event: E, callback: ConnectionEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** True while the socket can send. */
  get open(): boolean {
    return !this.#closed && this.#socket.readyState === 1;
  }

  /** Sends a control message (dropped if the socket is not open). */
  send(message: ClientMessage): void {
    if (this.open) this.#socket.send(encodeMessage(message));
  }

  /** Sends keyboard input (dropped if the socket is not open). */
  sendInput(terminal: number, data: string | Uint8Array): void {
    if (this.open) this.#socket.send(encodeInput(terminal, data));
  }

  /** Sends bytes of a forwarded connection (dropped if the socket is not open). */
  sendTunnel(channel: number, data: Uint8Array): void {
    if (this.open) this.#socket.send(encodeTunnel(channel, data));
  }

  /** Pings the server every period and gives up on a server silent for 2.5 periods. */
  startHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > this.#heartbeatMs * 2.5) {
        // Silent too long: the peer or the path is dead.
        this.close(CloseCode.Timeout, 'the server stopped answering');
        return;
      }
      this.send({ type: 'ping', t: Date.now() });
    }, this.#heartbeatMs);
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  /** Closes the socket and reports `close` with this code at once (the socket's own close event is ignored). */
  close(code: number, reason: string): void {
    try {
      this.#socket.close(code, reason);
    } catch {
      // already closing
    }
    this.#finish(code, reason);
  }

  #fail(error: PlaygroundError, code: number): void {
    this.#events.emit('invalid', error);
    this.close(code, error.message.slice(0, 120));
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#events.emit('close', code, reason);
    this.#events.events = {};
  }
}
