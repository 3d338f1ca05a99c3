import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { MAX_TUNNELS, encodeTunnel, type ServerMessage } from '@ix-playground/sdk/protocol';
import type { PlaygroundSession } from '../session/playground-session.js';

/** Bytes queued on the WebSocket past which forwarded connections stop being read for a while. */
const HIGH_WATER = 1024 * 1024;

/**
 * One client's forwarded TCP connections (port forwarding) over its own, authenticated WebSocket:
 * each channel is a connection to a port inside the session's machine, its bytes carried in tunnel
 * frames both ways. Reading from the machine pauses while the socket to the client is backed up.
 */
export class Tunnels {
  readonly #ws: WebSocket;
  readonly #session: PlaygroundSession;
  readonly #send: (message: ServerMessage) => void;
  readonly #open = new Map<number, Duplex | undefined>();
  #drainTimer: ReturnType<typeof setInterval> | undefined;

  constructor(ws: WebSocket, session: PlaygroundSession, send: (message: ServerMessage) => void) {
    this.#ws = ws;
    this.#session = session;
    this.#send = send;
  }

  /** Opens channel `channel` to `port` on `machine`; the client hears `tunnel` open or closed. */
  open(channel: number, port: number, machine?: string): void {
    if (this.#open.has(channel)) return this.#send({ type: 'tunnel', channel, open: false, error: `channel ${channel} is already open` });
    if (this.#open.size >= MAX_TUNNELS)
      return this.#send({ type: 'tunnel', channel, open: false, error: `at most ${MAX_TUNNELS} forwarded connections at once` });
    this.#open.set(channel, undefined);
    this.#session
      .connect(port, machine)
      .then((socket) => {
        if (!this.#open.has(channel)) return socket.destroy(); // closed while connecting
        this.#open.set(channel, socket);
        socket.on('data', (data: Buffer) => {
          if (this.#ws.readyState !== this.#ws.OPEN) return;
          this.#ws.send(encodeTunnel(channel, data));
          if (this.#ws.bufferedAmount > HIGH_WATER) this.#backOff(socket);
        });
        socket.on('error', () => socket.destroy());
        socket.on('close', () => this.#closed(channel));
        this.#send({ type: 'tunnel', channel, open: true });
      })
      .catch((error: Error) => {
        this.#open.delete(channel);
        this.#send({ type: 'tunnel', channel, open: false, error: error.message.slice(0, 1000) });
      });
  }

  /** Bytes from the client for channel `channel` (dropped for a channel that is not open). */
  data(channel: number, data: Uint8Array): void {
    this.#open.get(channel)?.write(data);
  }

  /** The client closed channel `channel`. */
  close(channel: number): void {
    const socket = this.#open.get(channel);
    this.#open.delete(channel);
    socket?.end();
  }

  /** Closes every channel (the client went away). */
  dispose(): void {
    clearInterval(this.#drainTimer);
    for (const socket of this.#open.values()) socket?.destroy();
    this.#open.clear();
  }

  #closed(channel: number): void {
    if (!this.#open.delete(channel)) return;
    this.#send({ type: 'tunnel', channel, open: false });
  }

  /** Pauses a connection until the WebSocket has sent most of what is queued. */
  #backOff(socket: Duplex): void {
    socket.pause();
    this.#drainTimer ??= setInterval(() => {
      if (this.#ws.bufferedAmount > HIGH_WATER / 4) return;
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
      for (const each of this.#open.values()) each?.resume();
    }, 20);
  }
}
