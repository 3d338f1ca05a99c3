import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { MAX_FRAME_BYTES } from '@ix-playground/sdk/protocol';

/** Scrollback lines a snapshot carries (when they fit in one frame). */
const SNAPSHOT_SCROLLBACK = 500;
/**
 * The mirror never gets narrower than this: reflowing a wide screen of long wrapped lines to a few
 * columns overflows the stack in xterm.js, and a snapshot only needs to be close at such sizes.
 */
const MIN_COLS = 20;

/**
 * A headless xterm.js kept in step with a terminal's output, so a client that lost more than the
 * replay buffer holds can be sent the current screen instead of the bytes it missed.
 */
export class ScreenMirror {
  #term: InstanceType<typeof headless.Terminal>;
  #serializer: InstanceType<typeof serialize.SerializeAddon>;
  #parsed = 0;

  constructor(cols: number, rows: number) {
    [this.#term, this.#serializer] = ScreenMirror.#make(cols, rows);
  }

  static #make(cols: number, rows: number): [InstanceType<typeof headless.Terminal>, InstanceType<typeof serialize.SerializeAddon>] {
    const term = new headless.Terminal({ cols: Math.max(MIN_COLS, cols), rows, scrollback: SNAPSHOT_SCROLLBACK, allowProposedApi: true });
    const serializer = new serialize.SerializeAddon();
    term.loadAddon(serializer);
    return [term, serializer];
  }

  /** Feeds output whose last byte ends at stream offset `end`. */
  write(data: Uint8Array, end: number): void {
    this.#term.write(data, () => {
      this.#parsed = end;
    });
  }

  /**
   * Follows the terminal's size. Never throws: if xterm.js cannot reflow, the mirror starts over
   * blank at the new size (a later snapshot shows less, but at the right offset).
   */
  resize(cols: number, rows: number): void {
    try {
      this.#term.resize(Math.max(MIN_COLS, cols), rows);
    } catch {
      this.#term.dispose();
      [this.#term, this.#serializer] = ScreenMirror.#make(cols, rows);
    }
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
