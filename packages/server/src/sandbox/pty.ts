import type { Disposable } from '@ix-playground/sdk/disposable';

/**
 * A terminal's process as a session sees it, whatever runs it: a local pty (node-pty), a pty in a
 * container, an exec stream of a Kubernetes pod, a test double. No host pids, no node-pty types.
 */
export interface Pty {
  /** Output bytes, in order. */
  onData(listener: (data: Uint8Array) => void): Disposable;
  /** The process exited (null: killed by a signal). Every byte of its output was delivered first. */
  onExit(listener: (code: number | null) => void): Disposable;
  /** Keyboard input. */
  write(data: Uint8Array): void;
  /** Changes the terminal size the process sees. */
  resize(cols: number, rows: number): void;
  /** Stops delivering output; the process blocks once the kernel's buffer is full (flow control). */
  pause(): void;
  /** Delivers output again. */
  resume(): void;
  /** Kills the process (and, with it, what it started in the foreground). */
  kill(): void;
}
