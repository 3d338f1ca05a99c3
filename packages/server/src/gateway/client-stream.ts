import type { WebSocket } from 'ws';
import { CloseCode, MAX_FRAME_BYTES, OUTPUT_HEADER_BYTES, encodeMessage, encodeOutput } from '@ix-playground/sdk/protocol';
import type { Terminal } from '../terminal/terminal.js';

/**
 * Unacknowledged bytes at which a client pauses the pty: this, or half the replay buffer if that
 * is smaller, so that what a client has not acknowledged (and may have lost with its connection)
 * can always be replayed, with room for what the pty gives before the pause takes hold.
 */
export const HIGH_WATER = 512 * 1024;
/** Unacknowledged (or unsent) bytes past which a client that does not hold the pty is dropped. */
const LAG_LIMIT = HIGH_WATER * 4;
/** The largest payload per output frame. */
const CHUNK = MAX_FRAME_BYTES - OUTPUT_HEADER_BYTES;
/** Snapshot attempts when output outruns the replay buffer while a snapshot is being made. */
const SNAPSHOT_ATTEMPTS = 3;

/**
 * One terminal's output on its way to one client: replay from where the client is (or a snapshot
 * if that is gone), then live output, each byte sent once, in order; and flow control from the
 * client's acks. Read-write clients pause the pty when too far behind; spectators never slow the
 * learner down: one that falls too far behind is told to reconnect (and gets a snapshot).
 */
export class ClientStream {
  #ws: WebSocket;
  #terminal: Terminal;
  #flowControl: boolean;
  /** Unacknowledged bytes at which this client pauses the pty, and under which it lets it run. */
  #high: number;
  #low: number;
  /** Flow control starts with the client's first ack: a client that never acks must not stall the shell. */
  #acking = false;
  #sent = 0;
  #acked = 0;
  #live = false;
  #queue: [number, Uint8Array][] = [];
  #unsubscribe: () => void;
  #disposed = false;
  #reading = false;

  constructor(ws: WebSocket, terminal: Terminal, options: { flowControl: boolean }) {
    this.#ws = ws;
    this.#terminal = terminal;
    this.#flowControl = options.flowControl;
    this.#high = Math.min(HIGH_WATER, Math.floor(terminal.replayBytes / 2));
    this.#low = Math.floor(this.#high / 2);
    this.#unsubscribe = terminal.on('output', (offset, data) => {
      if (this.#live) this.#push(offset, data);
      else this.#queue.push([offset, data]);
    });
  }

  /** Replays from `from` (the client's offset), then goes live. */
  async start(from: number): Promise<void> {
    const terminal = this.#terminal;
    if (this.#flowControl && !this.#disposed) {
      terminal.addReader();
      this.#reading = true;
    }
    this.#sent = this.#acked = Math.min(Math.max(0, from), terminal.end);
    for (let attempt = 0; !this.#disposed; attempt++) {
      const missed = terminal.since(this.#sent);
      if (missed) {
        this.#push(this.#sent, missed);
        break;
      }
      if (attempt === SNAPSHOT_ATTEMPTS) {
        this.#ws.close(CloseCode.Lagging, 'output outran the replay buffer');
        return;
      }
      const snapshot = await terminal.snapshot();
      if (this.#disposed) return;
      this.#send({ type: 'snapshot', terminal: terminal.id, offset: snapshot.offset, data: snapshot.data });
      this.#sent = this.#acked = snapshot.offset;
    }
    this.#live = true;
    for (const [offset, data] of this.#queue.splice(0)) this.#push(offset, data);
  }

  /** The client has rendered everything before `offset`. */
  ack(offset: number): void {
    if (offset <= this.#acked || offset > this.#sent) return;
    this.#acked = offset;
    this.#acking = true;
    if (this.#flowControl && this.#sent - this.#acked < this.#low) this.#terminal.release(this);
  }

  /**
   * Stops streaming. The pty runs on, up to the high-water mark past what this client acknowledged
   * if it was the last read-write one: its next connection resumes without a byte lost.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unsubscribe();
    // Not acknowledged yet, the client still has everything before where it resumed: the hold counts from there.
    if (this.#reading) this.#terminal.removeReader(this.#acking ? this.#acked : -1e15, this.#high);
    this.#terminal.release(this);
  }

  #push(offset: number, data: Uint8Array): void {
    const end = offset + data.byteLength;
    if (end <= this.#sent || this.#ws.readyState !== this.#ws.OPEN) return;
    const from = Math.max(offset, this.#sent);
    const bytes = data.subarray(from - offset);
    for (let at = 0; at < bytes.byteLength; at += CHUNK) {
      this.#ws.send(encodeOutput(this.#terminal.id, from + at, bytes.subarray(at, at + CHUNK)));
    }
    this.#sent = end;
    const unacked = this.#sent - this.#acked;
    if (this.#flowControl && this.#acking) {
      if (unacked >= this.#high) this.#terminal.hold(this);
    } else if ((this.#acking && unacked > LAG_LIMIT) || this.#ws.bufferedAmount > LAG_LIMIT) {
      // A spectator, or a client that does not ack, never slows the shell: past the limit it is
      // told to reconnect, and resumes from the replay buffer or a snapshot.
      this.#ws.close(CloseCode.Lagging, 'too far behind; resume to catch up');
    }
  }

  #send(message: Parameters<typeof encodeMessage>[0]): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(encodeMessage(message));
  }
}
