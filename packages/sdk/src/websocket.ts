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
  onopen: ((event: unknown) => void) | null;
  /** Called per message; `data` is a string or an ArrayBuffer. */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Called on error; a close event follows. */
  onerror: ((event: unknown) => void) | null;
  /** Called once closed. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
