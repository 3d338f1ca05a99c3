/**
 * An event handler slot such as `onmessage`. Written as a method signature on purpose: TypeScript
 * then compares the handler's parameter bivariantly, so sockets whose handlers take richer events
 * (the DOM's `MessageEvent`, the `ws` package's own event classes) still fit under `strict`. The SDK
 * only ever assigns handlers that read the fields named here.
 */
export type EventHandler<E> = { handle(event: E): void }['handle'];

/** The part of the WebSocket API the SDK uses: the browser's `WebSocket` and Node's `ws` both fit. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server selected. */
  readonly protocol: string;
  /** Must accept `'arraybuffer'`. */
  binaryType: string;
  /** Sends a text or binary frame. */
  send(data: string | Uint8Array): void;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
  /** Called once open. */
  onopen: EventHandler<unknown> | null;
  /** Called per message; `data` is a string or an ArrayBuffer. */
  onmessage: EventHandler<{ data: unknown }> | null;
  /** Called on error; a close event follows. */
  onerror: EventHandler<unknown> | null;
  /** Called once closed. */
  onclose: EventHandler<{ code: number; reason: string }> | null;
}

/**
 * A WebSocket constructor: `globalThis.WebSocket` in browsers, the `ws` package's default export
 * in Node (`import WebSocket from 'ws'`), both accepted as they are.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
