import { spawnSync } from 'node:child_process';

/**
 * Modes a program inside the playground may have turned on in this terminal, turned off again on
 * the way out: alternate screen, bracketed paste, application cursor keys and keypad, mouse
 * reporting, focus events, hidden cursor, colours.
 */
const RESET_MODES = '\x1b[?1049l\x1b[?2004l\x1b[?1l\x1b>\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1004l\x1b[?25h\x1b[0m';

/** Runs stty on this process's terminal; answers its output, or undefined if it failed. */
function stty(...args: string[]): string | undefined {
  const result = spawnSync('stty', args, { stdio: ['inherit', 'pipe', 'ignore'], encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The signals that end an attached terminal (the tty is restored first). */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const;

/**
 * This process's own terminal while it is attached to a playground: raw keys in, bytes out,
 * resize events, and a guarantee that the terminal is put back (cooked mode, modes reset) on
 * every way out: {@link restore}, process exit, a signal, or an uncaught error.
 */
export class LocalTerminal {
  #raw = false;
  /** The terminal's settings before (stty -g), put back exactly on the way out. */
  #saved: string | undefined;
  #restored = false;
  #onExit: ((signal: string) => void) | undefined;
  readonly #exitHandler = () => this.restore();
  readonly #signalHandlers = SIGNALS.map((signal) => [signal, () => (this.#onExit ? this.#onExit(signal) : (this.restore(), process.exit(1)))] as const);
  readonly #crashHandler = (error: unknown) => {
    this.restore();
    console.error('ix-playground: crashed:', error);
    process.exit(1);
  };

  constructor() {
    process.on('exit', this.#exitHandler);
    process.on('uncaughtException', this.#crashHandler);
    process.on('unhandledRejection', this.#crashHandler);
    for (const [signal, handler] of this.#signalHandlers) process.on(signal, handler);
  }

  /** Called when a signal ends the attachment (instead of exiting at once). */
  onExit(callback: (signal: string) => void): void {
    this.#onExit = callback;
  }

  /** Raw mode on; keys go to `input`, window sizes to `resize` (now and on every SIGWINCH). */
  start(handlers: { input: (data: Uint8Array) => void; resize: (cols: number, rows: number) => void }): void {
    if (process.stdin.isTTY) {
      // stty rather than setRawMode: libuv's raw mode keeps output processing (\n → \r\n) on,
      // which would change what the playground's programs draw; and stty -g restores every setting.
      this.#saved = stty('-g');
      if (this.#saved !== undefined && stty('raw', '-echo') !== undefined) this.#raw = true;
      else {
        process.stdin.setRawMode(true);
        this.#raw = true;
      }
    }
    process.stdin.on('data', handlers.input);
    process.stdin.resume();
    const resize = () => {
      if (process.stdout.columns && process.stdout.rows) handlers.resize(process.stdout.columns, process.stdout.rows);
    };
    process.stdout.on('resize', resize);
    resize();
  }

  /** Writes what the playground printed. */
  write(data: Uint8Array | string): void {
    if (!this.#restored) process.stdout.write(data);
  }

  /** Puts the terminal back as it was. Idempotent. */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    if (process.stdout.isTTY) process.stdout.write(RESET_MODES);
    if (this.#raw) {
      if (this.#saved === undefined || stty(this.#saved) === undefined) process.stdin.setRawMode(false);
    }
    process.stdin.pause();
    process.stdin.removeAllListeners('data');
    process.off('uncaughtException', this.#crashHandler);
    process.off('unhandledRejection', this.#crashHandler);
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
  }
}
