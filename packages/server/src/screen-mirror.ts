import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { MAX_FRAME_BYTES } from '@ix-playground/sdk/protocol';

/** Scrollback lines a snapshot carries (when they fit in one frame). */
const SNAPSHOT_SCROLLBACK = 500;

/**
 * A headless xterm.js kept in step with a terminal's output, so a client that lost more than the
 * replay buffer holds can be sent the current screen instead of the bytes it missed.
 */
export class ScreenMirror {
  #term: InstanceType<typeof headless.Terminal>;
  #serializer: InstanceType<typeof serialize.SerializeAddon>;
  #parsed = 0;

  constructor(cols: number, rows: number) {
    this.#term = new headless.Terminal({ cols, rows, scrollback: SNAPSHOT_SCROLLBACK, allowProposedApi: true });
    this.#serializer = new serialize.SerializeAddon();
    this.#term.loadAddon(this.#serializer);
  }

  /** Feeds output whose last byte ends at stream offset `end`. */
  write(data: Uint8Array, end: number): void {
    this.#term.write(data, () => {
      this.#parsed = end;
    });
  }

  /** Follows the terminal's size. */
  resize(cols: number, rows: number): void {
    this.#term.resize(cols, rows);
  }

  /** The screen (and some scrollback) as escape sequences, and the stream offset it reflects. */
  snapshot(): Promise<{ offset: number; data: string }> {
    return new Promise((resolve) => {
      // An empty write's callback runs once everything written before it is parsed.
      this.#term.write('', () => {
        let data = this.#serializer.serialize({ scrollback: SNAPSHOT_SCROLLBACK });
        if (data.length > MAX_FRAME_BYTES / 2) data = this.#serializer.serialize({ scrollback: 0 });
        // A huge screen full of colour changes can still be too big for one frame: clear the
        // client's screen instead (an empty snapshot) and let new output paint it.
        if (data.length > MAX_FRAME_BYTES / 2) data = '';
        resolve({ offset: this.#parsed, data });
      });
    });
  }

  /** The visible screen as plain text, one line per row (for tests and tools). */
  screenText(): Promise<string> {
    return new Promise((resolve) => {
      this.#term.write('', () => {
        const buffer = this.#term.buffer.active;
        const lines: string[] = [];
        for (let i = 0; i < this.#term.rows; i++) lines.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
        resolve(lines.join('\n'));
      });
    });
  }

  /** Frees the terminal. */
  dispose(): void {
    this.#term.dispose();
  }
}
