// A WebSocket double for SDK unit tests: each socket the SDK opens is kept, and the test plays the
// server on it (accept, send messages and output, close with a code). Not shipped.
import { PROTOCOL, decodeClientMessage, encodeMessage, encodeOutput, type ClientMessage, type ServerMessage } from '../protocol.js';
import type { WebSocketLike } from '../websocket.js';

/** One fake socket; the test drives the server side. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  protocol = '';
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  /** Control messages the client sent, decoded. */
  readonly sent: ClientMessage[] = [];
  /** Binary frames the client sent. */
  readonly binary: Uint8Array[] = [];
  /** The code the client closed with, if it did. */
  closedWith: { code?: number | undefined; reason?: string | undefined } | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
  ) {}

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    if (typeof data === 'string') this.sent.push(decodeClientMessage(data));
    else this.binary.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedWith = { code, reason };
    this.readyState = 2;
    // A real socket reports the close later, asynchronously.
    queueMicrotask(() => this.serverClose(code ?? 1005, reason ?? ''));
  }

  /** Server side: accepts the upgrade with the ix-playground subprotocol (or another). */
  accept(protocol: string = PROTOCOL): void {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }

  /** Server side: sends a control message. */
  message(message: ServerMessage): void {
    this.onmessage?.({ data: encodeMessage(message) });
  }

  /** Server side: sends raw text. */
  text(data: string): void {
    this.onmessage?.({ data });
  }

  /** Server side: sends output. */
  output(terminal: number, offset: number, text: string): void {
    const frame = encodeOutput(terminal, offset, new TextEncoder().encode(text));
    this.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) });
  }

  /** Server side: sends a binary frame as it is. */
  bytes(data: Uint8Array): void {
    this.onmessage?.({ data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) });
  }

  /** Server side: the connection closes with `code`. */
  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The control messages of one type the client sent. */
  sentOf<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}

/** A WebSocket constructor that records every socket it makes. */
export function fakeWebSocket(): { WebSocket: new (url: string, protocols?: string | string[]) => FakeSocket; sockets: FakeSocket[]; last: () => FakeSocket } {
  const sockets: FakeSocket[] = [];
  class Fake extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Fake,
    sockets,
    last: () => {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}

/** A `welcome` for session `id` with one terminal. */
export function welcome(id: string, overrides: Partial<Extract<ServerMessage, { type: 'welcome' }>> = {}): Extract<ServerMessage, { type: 'welcome' }> {
  return {
    type: 'welcome',
    protocol: PROTOCOL,
    session: id,
    mode: 'rw',
    playground: { name: 'hello', title: 'Hello' },
    terminals: [{ id: 0, name: 'main', cols: 80, rows: 24 }],
    tasks: [],
    ...overrides,
  };
}
