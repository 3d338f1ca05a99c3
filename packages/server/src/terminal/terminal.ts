import { createNanoEvents } from 'nanoevents';
import type { Pty } from '../sandbox/pty.js';
import { RingBuffer } from './ring-buffer.js';
import { ScreenMirror } from './screen-mirror.js';

/**
 * Output goes out in chunks of up to this many bytes (one frame per client, one `xterm.write` in
 * the page): xterm.js parses tens of KiB per call far faster than the same bytes in the ~4 KiB
 * pieces a pty read gives.
 */
const COALESCE_BYTES = 64 * 1024;
/**
 * While output streams (the last chunk was at least {@link STREAMING_BYTES}), reads are collected
 * for this long before they go out; otherwise (a keystroke's echo, a prompt) at the end of the
 * current turn of the event loop.
 */
const COALESCE_MS = 4;
const STREAMING_BYTES = 2048;

/** The hold of a departed reader (see {@link Terminal.removeReader}). */
const PARKED = {};

/** Events of a server-side terminal. */
export interface TerminalEvents {
  /** New output; `offset` is the stream offset of `data[0]`. */
  output(offset: number, data: Uint8Array): void;
  /** The process exited; all of its output was emitted before this. */
  exit(code: number | null): void;
}

/**
 * One pty in a session: its output stream with absolute byte offsets, a bounded replay buffer
 * and a screen mirror for clients that come back after the buffer moved on, and flow control:
 * while any client holds it, the pty is not read, so a flood waits in the kernel, not in memory.
 */
export class Terminal {
  readonly id: number;
  readonly name: string;
  /** The machine it runs on. */
  readonly machine: string;
  #cols: number;
  #rows: number;
  #exitCode: number | null | undefined;
  #pty: Pty;
  #buffer: RingBuffer;
  #mirror: ScreenMirror;
  #events = createNanoEvents<TerminalEvents>();
  #holds = new Set<object>();
  /** Output read but not emitted yet (emitted at the end of this turn of the event loop). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** The scheduled flush: an immediate, or a short timeout while output streams. */
  #flushing: { immediate: ReturnType<typeof setImmediate> } | { timeout: ReturnType<typeof setTimeout> } | undefined;
  #streaming = false;
  /** Read-write clients streaming with flow control. */
  #readers = 0;
  /** Where the last of them left off: reading stops `limit` bytes past `offset` until a client resumes. */
  #parked: { offset: number; limit: number } | undefined;

  constructor(options: { id: number; name: string; machine: string; pty: Pty; cols: number; rows: number; replayBytes: number }) {
    this.id = options.id;
    this.name = options.name;
    this.machine = options.machine;
    this.#cols = options.cols;
    this.#rows = options.rows;
    this.#pty = options.pty;
    this.#buffer = new RingBuffer(options.replayBytes);
    const mirrorHold = {};
    this.#mirror = new ScreenMirror({
      cols: options.cols,
      rows: options.rows,
      buffer: this.#buffer,
      hold: (hold) => (hold ? this.hold(mirrorHold) : this.release(mirrorHold)),
    });
    this.#pty.onData((data) => {
      this.#pending.push(data);
      this.#pendingBytes += data.byteLength;
      if (this.#pendingBytes >= COALESCE_BYTES) this.#flush();
      else this.#flushing ??= this.#streaming ? { timeout: setTimeout(() => this.#flush(), COALESCE_MS) } : { immediate: setImmediate(() => this.#flush()) };
    });
    // A Pty reports exit after its last byte of output.
    this.#pty.onExit((code) => {
      this.#flush();
      this.#exitCode = code;
      this.#holds.clear();
      this.#events.emit('exit', code);
    });
  }

  /** Emits the output read so far as one chunk: into the replay buffer (the mirror sees it first), then to listeners. */
  #flush(): void {
    this.#cancelFlush();
    if (!this.#pendingBytes) return;
    const data = this.#pending.length === 1 ? (this.#pending[0] as Uint8Array) : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#streaming = data.byteLength >= STREAMING_BYTES;
    const offset = this.#buffer.end;
    this.#mirror.output(data, offset);
    this.#buffer.append(data);
    this.#events.emit('output', offset, data);
    this.#holdIfParked();
  }

  #cancelFlush(): void {
    // Each kind is cleared with its own function: clearImmediate on a timeout corrupts Node's count
    // of pending immediates, which then keeps the process alive forever.
    const flushing = this.#flushing;
    if (flushing && 'timeout' in flushing) clearTimeout(flushing.timeout);
    else if (flushing) clearImmediate(flushing.immediate);
    this.#flushing = undefined;
  }

  /** Columns the process sees. */
  get cols(): number {
    return this.#cols;
  }

  /** Rows the process sees. */
  get rows(): number {
    return this.#rows;
  }

  /** Exit code once exited (null if killed by a signal); undefined while running. */
  get exitCode(): number | null | undefined {
    return this.#exitCode;
  }

  /** Subscribes to output or exit; returns an unsubscribe function. */
  on<E extends keyof TerminalEvents>(event: E, callback: TerminalEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** Total bytes of output emitted so far (the offset the next byte will have). */
  get end(): number {
    return this.#buffer.end;
  }

  /** How many bytes of output the replay buffer holds. */
  get replayBytes(): number {
    return this.#buffer.capacity;
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
    if (this.#exitCode !== undefined) return;
    this.#pty.write(data);
  }

  /** Resizes the pty, and the screen mirror at this point of the output (what was read before it is emitted first). */
  resize(cols: number, rows: number): void {
    if (this.#exitCode !== undefined) return;
    this.#flush();
    this.#cols = cols;
    this.#rows = rows;
    this.#pty.resize(cols, rows);
    this.#mirror.resize(cols, rows);
  }

  /** A client asks to stop reading (it has too much unacknowledged output). */
  hold(client: object): void {
    if (this.#exitCode !== undefined || this.#holds.has(client)) return;
    this.#holds.add(client);
    if (this.#holds.size === 1) this.#pty.pause();
  }

  /** A client no longer needs reading paused. */
  release(client: object): void {
    if (!this.#holds.delete(client) || this.#holds.size) return;
    this.#pty.resume();
  }

  /** A read-write client streams with flow control: what a departed one left unacknowledged is its to acknowledge now. */
  addReader(): void {
    this.#readers++;
    this.#parked = undefined;
    this.release(PARKED);
  }

  /**
   * A read-write client stopped streaming, having acknowledged output up to `acked` (where it
   * resumed, if it acknowledged nothing since). When it was the last, reading stops once `limit` bytes past `acked` are
   * read, until a client resumes: a reader whose connection dropped (or whose gateway died) finds
   * every byte it missed still in the replay buffer.
   */
  removeReader(acked: number, limit: number): void {
    this.#readers = Math.max(0, this.#readers - 1);
    if (this.#readers || this.#exitCode !== undefined) return;
    this.#parked = { offset: acked, limit };
    this.#holdIfParked();
  }

  #holdIfParked(): void {
    if (this.#parked && this.#buffer.end - this.#parked.offset >= this.#parked.limit) this.hold(PARKED);
  }

  /** Kills the process and frees the screen mirror (the session is over). */
  dispose(): void {
    this.kill();
    this.#cancelFlush();
    this.#mirror.dispose();
  }

  /** Kills the process. */
  kill(): void {
    if (this.#exitCode !== undefined) return;
    this.#holds.clear();
    this.#pty.kill();
  }
}
