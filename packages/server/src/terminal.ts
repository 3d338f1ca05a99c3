import { createNanoEvents } from 'nanoevents';
import type { IPty } from 'node-pty';
import { RingBuffer } from './ring-buffer.js';

/** Events of a server-side terminal. */
export interface TerminalEvents {
  /** New output; `offset` is the stream offset of `data[0]`. */
  output(offset: number, data: Uint8Array): void;
  /** The process exited; all of its output was emitted before this. */
  exit(code: number | null): void;
}

/**
 * One pty in a session: its output stream with absolute byte offsets and a bounded replay
 * buffer, so a client that reconnects can be sent exactly what it missed.
 */
export class Terminal {
  readonly id: number;
  readonly name: string;
  cols: number;
  rows: number;
  /** Exit code once exited (null if killed by a signal); undefined while running. */
  exitCode: number | null | undefined;
  #pty: IPty;
  #buffer: RingBuffer;
  #events = createNanoEvents<TerminalEvents>();

  constructor(options: { id: number; name: string; pty: IPty; cols: number; rows: number; replayBytes: number }) {
    this.id = options.id;
    this.name = options.name;
    this.cols = options.cols;
    this.rows = options.rows;
    this.#pty = options.pty;
    this.#buffer = new RingBuffer(options.replayBytes);
    this.#pty.onData((chunk) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      const offset = this.#buffer.end;
      this.#buffer.append(data);
      this.#events.emit('output', offset, data);
    });
    // node-pty emits exit only after the pty has been read to EOF, so no output tail is lost.
    this.#pty.onExit(({ exitCode, signal }) => {
      this.exitCode = signal ? null : exitCode;
      this.#events.emit('exit', this.exitCode);
    });
  }

  /** Subscribes to output or exit; returns an unsubscribe function. */
  on<E extends keyof TerminalEvents>(event: E, callback: TerminalEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** Total bytes of output so far (the offset the next byte will have). */
  get end(): number {
    return this.#buffer.end;
  }

  /** Offset of the oldest byte still replayable. */
  get start(): number {
    return this.#buffer.start;
  }

  /** The output from `offset` on, or undefined if it is older than the replay buffer. */
  since(offset: number): Uint8Array | undefined {
    return this.#buffer.since(offset);
  }

  /** Types into the pty. */
  write(data: Uint8Array): void {
    if (this.exitCode !== undefined) return;
    this.#pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as string);
  }

  /** Resizes the pty. */
  resize(cols: number, rows: number): void {
    if (this.exitCode !== undefined) return;
    this.cols = cols;
    this.rows = rows;
    this.#pty.resize(cols, rows);
  }

  /** Stops reading the pty (flow control). */
  pause(): void {
    this.#pty.pause();
  }

  /** Resumes reading the pty. */
  resume(): void {
    this.#pty.resume();
  }

  /** Kills the process. */
  kill(): void {
    if (this.exitCode !== undefined) return;
    try {
      this.#pty.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
