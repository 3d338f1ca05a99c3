import { createNanoEvents } from 'nanoevents';
import type { IPty } from 'node-pty';
import { RingBuffer } from './ring-buffer.js';
import { ScreenMirror } from './screen-mirror.js';

/** Events of a server-side terminal. */
export interface TerminalEvents {
  /** New output; `offset` is the stream offset of `data[0]`. */
  output(offset: number, data: Uint8Array): void;
  /** The process exited; all of its output was emitted before this. */
  exit(code: number | null): void;
}

/** How often a paused terminal checks whether its process has exited (and must be drained). */
const EXIT_POLL_MS = 20;

/**
 * One pty in a session: its output stream with absolute byte offsets, a bounded replay buffer
 * and a screen mirror for clients that come back after the buffer moved on, and flow control:
 * while any client holds it, the pty is not read, so a flood waits in the kernel, not in memory.
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
  #mirror: ScreenMirror;
  #events = createNanoEvents<TerminalEvents>();
  #holds = new Set<object>();
  #exitPoll: ReturnType<typeof setInterval> | undefined;
  #draining = false;

  constructor(options: { id: number; name: string; pty: IPty; cols: number; rows: number; replayBytes: number }) {
    this.id = options.id;
    this.name = options.name;
    this.cols = options.cols;
    this.rows = options.rows;
    this.#pty = options.pty;
    this.#buffer = new RingBuffer(options.replayBytes);
    this.#mirror = new ScreenMirror(options.cols, options.rows);
    this.#pty.onData((chunk) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      const offset = this.#buffer.end;
      this.#buffer.append(data);
      this.#mirror.write(data, offset + data.byteLength);
      this.#events.emit('output', offset, data);
    });
    // node-pty emits exit after the pty has been read (the drivers keep its tail from being lost: pty-drain.ts).
    this.#pty.onExit(({ exitCode, signal }) => {
      this.exitCode = signal ? null : exitCode;
      this.#holds.clear();
      clearInterval(this.#exitPoll);
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

  /** The current screen as escape sequences, and the offset the stream continues from. */
  snapshot(): Promise<{ offset: number; data: string }> {
    return this.#mirror.snapshot();
  }

  /** The visible screen as text (what a client rendering the whole stream should show). */
  screenText(): Promise<string> {
    return this.#mirror.screenText();
  }

  /** True while reading is paused by flow control. */
  get paused(): boolean {
    return this.#holds.size > 0;
  }

  /** Types into the pty. */
  write(data: Uint8Array): void {
    if (this.exitCode !== undefined) return;
    this.#pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as string);
  }

  /** Resizes the pty, then the screen mirror (whose failure never undoes the pty's size). */
  resize(cols: number, rows: number): void {
    if (this.exitCode !== undefined) return;
    this.cols = cols;
    this.rows = rows;
    try {
      this.#pty.resize(cols, rows);
    } catch {
      return; // the pty is closing
    }
    this.#mirror.resize(cols, rows);
  }

  /** A client asks to stop reading (it has too much unacknowledged output). */
  hold(client: object): void {
    if (this.exitCode !== undefined || this.#draining || this.#holds.has(client)) return;
    this.#holds.add(client);
    if (this.#holds.size > 1) return;
    this.#pty.pause();
    // node-pty gives a paused pty 200 ms to drain after its process exits, then drops the rest:
    // resume as soon as the process is gone so the tail of the output is never lost.
    this.#exitPoll = setInterval(() => {
      if (processAlive(this.#pty.pid)) return;
      this.#draining = true; // never pause again: read to EOF
      this.#resumeNow();
    }, EXIT_POLL_MS);
  }

  /** A client no longer needs reading paused. */
  release(client: object): void {
    if (!this.#holds.delete(client) || this.#holds.size) return;
    this.#resumeNow();
  }

  #resumeNow(): void {
    this.#holds.clear();
    clearInterval(this.#exitPoll);
    this.#exitPoll = undefined;
    this.#pty.resume();
  }

  /** Kills the process and frees the screen mirror (the session is over). */
  dispose(): void {
    this.kill();
    this.#mirror.dispose();
  }

  /** Kills the process. */
  kill(): void {
    if (this.exitCode !== undefined) return;
    this.#resumeNow();
    try {
      this.#pty.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
