import type { Connection } from './connection.js';
import { Tunnel } from './tunnel.js';

/** The part of a {@link Connection} tunnels travel over. */
export type TunnelWire = Pick<Connection, 'open' | 'send' | 'sendTunnel'>;

/**
 * A session's tunnels by channel: picks each new tunnel's channel, hands it what the server says
 * about that channel, and ends them all when the connection goes. They are not carried over to the
 * next connection: the server closed their TCP connections with the old one.
 */
export class TunnelChannels {
  readonly #tunnels = new Map<number, Tunnel>();
  /** The current connection, if any; asked on every use since a session replaces it on reconnect. */
  readonly #wire: () => TunnelWire | undefined;
  #next = 1;

  constructor(wire: () => TunnelWire | undefined) {
    this.#wire = wire;
  }

  /** Opens a tunnel to `port` (on `machine`, or the first one); it ends at once when not connected. */
  open(port: number, machine?: string): Tunnel {
    // Channels are 1…0xffff and wrap, skipping ones still in use, so a long session never runs out.
    let channel = this.#next;
    while (this.#tunnels.has(channel)) channel = (channel % 0xffff) + 1;
    this.#next = (channel % 0xffff) + 1;
    const tunnel = new Tunnel(
      channel,
      (data) => this.#wire()?.sendTunnel(channel, data),
      () => {
        this.#tunnels.delete(channel);
        this.#wire()?.send({ type: 'tunnel-close', channel });
      },
    );
    this.#tunnels.set(channel, tunnel);
    tunnel.on('close', () => this.#tunnels.delete(channel));
    const wire = this.#wire();
    // The caller subscribes after this returns, so the close must come later to be heard.
    if (!wire?.open) queueMicrotask(() => tunnel.ended('the session is not connected'));
    else wire.send({ type: 'tunnel-open', channel, port, ...(machine ? { machine } : {}) });
    return tunnel;
  }

  /** The server opened channel `channel`, or closed it (`error` says why it failed). */
  answered(channel: number, open: boolean, error?: string): void {
    const tunnel = this.#tunnels.get(channel);
    if (open) tunnel?.opened();
    else tunnel?.ended(error);
  }

  /** Bytes from the server for channel `channel` (dropped for a channel with no tunnel). */
  received(channel: number, data: Uint8Array): void {
    this.#tunnels.get(channel)?.received(data);
  }

  /** Ends every tunnel, telling each one `why`. */
  endAll(why: string): void {
    for (const tunnel of [...this.#tunnels.values()]) tunnel.ended(why);
  }
}
