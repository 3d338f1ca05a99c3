import { createNanoEvents, type Unsubscribe } from 'nanoevents';

/** Events of a {@link Tunnel}. */
export interface TunnelEvents {
  /** The connection inside the playground is open: bytes may flow. */
  open(): void;
  /** Bytes from the port inside the playground. */
  data(data: Uint8Array): void;
  /** The connection is closed (`error` says why when it failed or never opened). */
  close(error?: string): void;
}

/**
 * A TCP connection to a port inside a playground, carried over the session's own authenticated
 * WebSocket (`ix-playground port-forward` pipes local connections through these). Made by
 * `Session.openTunnel()`.
 */
export class Tunnel {
  /** The channel id on the session's connection. */
  readonly channel: number;
  readonly #events = createNanoEvents<TunnelEvents>();
  readonly #send: (data: Uint8Array) => void;
  readonly #close: () => void;
  #state: 'opening' | 'open' | 'closed' = 'opening';

  /** Made by the session: `send` carries bytes, `close` asks the server to close the channel. */
  constructor(channel: number, send: (data: Uint8Array) => void, close: () => void) {
    this.channel = channel;
    this.#send = send;
    this.#close = close;
  }

  /** `opening`, `open` or `closed`. */
  get state(): 'opening' | 'open' | 'closed' {
    return this.#state;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof TunnelEvents>(event: E, callback: TunnelEvents[E]): Unsubscribe {
    return this.#events.on(event, callback);
  }

  /** Sends bytes to the port inside the playground (dropped unless open). */
  write(data: Uint8Array): void {
    if (this.#state === 'open') this.#send(data);
  }

  /** Closes the connection. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#close();
    this.ended();
  }

  /** The session says the server opened it. */
  opened(): void {
    if (this.#state !== 'opening') return;
    this.#state = 'open';
    this.#events.emit('open');
  }

  /** The session passes on bytes from the server. */
  received(data: Uint8Array): void {
    if (this.#state === 'open') this.#events.emit('data', data);
  }

  /** The session says it is closed. */
  ended(error?: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#events.emit('close', error);
    this.#events.events = {};
  }
}
