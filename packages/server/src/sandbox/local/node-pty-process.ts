import * as pty from 'node-pty';
import type { Disposable } from '@ix-playground/sdk/disposable';
import { resourceError } from '../../errors.js';
import type { Pty } from '../pty.js';
import { drainOnExit } from './pty-drain.js';
import { processAlive } from './proc.js';

/** How often a paused pty checks whether its process has exited (and must be drained). */
const EXIT_POLL_MS = 20;

/** What a local pty is started with. */
export interface LocalPtyOptions {
  /** Terminal size. */
  cols: number;
  rows: number;
  /** Working directory on the host. */
  cwd: string;
  /** The whole environment. */
  env: Record<string, string>;
}

/** A {@link Pty} on this host, with the host pid of the process started on it. */
export interface HostPty extends Pty {
  /** Host pid of the process started on the pty. */
  readonly pid: number;
}

/**
 * Starts `file args` on a local pty (node-pty): the {@link Pty} the bwrap and host drivers hand
 * out. A spawn that fails (out of descriptors) throws a `PlaygroundError`.
 */
export function spawnLocalPty(file: string, args: string[], options: LocalPtyOptions): HostPty {
  let term: pty.IPty;
  try {
    term = pty.spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, cwd: options.cwd, env: options.env, encoding: null });
  } catch (error) {
    throw resourceError('cannot open a terminal', error);
  }
  return new LocalPty(term);
}

/**
 * node-pty behind the {@link Pty} contract. node-pty gives a paused pty 200 ms to drain after its
 * process exits and then drops the rest: while paused, this polls whether the process is gone and
 * then reads to the end, so exit is reported only after the last byte (and the tail is kept when
 * the process exits while the server is behind: pty-drain.ts).
 */
class LocalPty implements HostPty {
  readonly #term: pty.IPty;
  #exited = false;
  #paused = false;
  #draining = false;
  #exitPoll: ReturnType<typeof setInterval> | undefined;

  constructor(term: pty.IPty) {
    this.#term = term;
    drainOnExit(term);
    term.onExit(() => {
      this.#exited = true;
      clearInterval(this.#exitPoll);
    });
  }

  get pid(): number {
    return this.#term.pid;
  }

  onData(listener: (data: Uint8Array) => void): Disposable {
    return this.#term.onData((chunk) => listener(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)));
  }

  onExit(listener: (code: number | null) => void): Disposable {
    return this.#term.onExit(({ exitCode, signal }) => listener(signal ? null : exitCode));
  }

  write(data: Uint8Array): void {
    if (this.#exited) return;
    this.#term.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as string);
  }

  resize(cols: number, rows: number): void {
    if (this.#exited) return;
    try {
      this.#term.resize(cols, rows);
    } catch {
      // the pty is closing
    }
  }

  pause(): void {
    if (this.#exited || this.#draining || this.#paused) return;
    this.#paused = true;
    this.#term.pause();
    this.#exitPoll = setInterval(() => {
      if (processAlive(this.#term.pid)) return;
      this.#draining = true; // never pause again: read to EOF
      this.resume();
    }, EXIT_POLL_MS);
  }

  resume(): void {
    clearInterval(this.#exitPoll);
    this.#exitPoll = undefined;
    if (!this.#paused) return;
    this.#paused = false;
    this.#term.resume();
  }

  kill(): void {
    if (this.#exited) return;
    this.resume();
    try {
      this.#term.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
