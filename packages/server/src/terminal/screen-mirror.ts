import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { MAX_FRAME_BYTES } from '@ix-playground/sdk/protocol';
import { PlainRuns } from './plain-runs.js';
import type { RingBuffer } from './ring-buffer.js';

/** Scrollback lines a snapshot carries (when they fit in one frame). */
const SNAPSHOT_SCROLLBACK = 500;
/**
 * The mirror never gets narrower than this: reflowing a wide screen of long wrapped lines to a few
 * columns overflows the stack in xterm.js, and a snapshot only needs to be close at such sizes.
 */
const MIN_COLS = 20;
/** Resizes remembered ahead of the mirror before it is made to catch up with the oldest. */
const MAX_PENDING_RESIZES = 64;
/** The mirror starts catching up in the background once it lags by this share of the replay buffer… */
const CATCH_UP_AT = 3 / 4;
/** …and catches up to this share of it behind the newest byte. */
const CATCH_UP_TO = 1 / 2;
/**
 * Bytes handed to xterm.js and not parsed yet past which the mirror asks for the pty to be paused
 * (output it must parse, with no client holding it back, can come faster than xterm.js parses)…
 */
const BACKLOG_HIGH = 4 * 1024 * 1024;
/** …and under which it lets the pty run again. */
const BACKLOG_LOW = 1024 * 1024;

type Headless = InstanceType<typeof headless.Terminal>;

/**
 * Line feeds after which nothing from before is left on a screen of `rows` rows and its
 * scrollback, wherever the cursor was: up to `rows - 1` to reach the bottom, `rows` to scroll the
 * screen away and as many as the scrollback holds.
 */
function windowFor(rows: number): number {
  return 2 * rows + SNAPSHOT_SCROLLBACK + 1;
}
/** Runs shorter than this cannot hold that many CRLFs, for any number of rows. */
const MIN_RUN_BYTES = 2 * windowFor(0);

/**
 * The screen a client would see, for clients that lost more than the replay buffer holds: a
 * headless xterm.js kept *behind* the terminal's output, off the hot path. It parses output only
 * when it must: when bytes it has not parsed are about to leave the replay buffer, or when a
 * snapshot is asked for. It does not even exist until then (an idle session never makes one).
 * And where the output is a long run of plain text (`cat`, `yes`, logs), it skips what that run
 * scrolls out of sight anyway ({@link PlainRuns}), so a flood costs it almost nothing. Resizes are
 * applied at the point of the stream where they happened. Snapshots are exact: the state they
 * serialize is the one a client gets by parsing every byte up to their offset.
 */
export class ScreenMirror {
  readonly #buffer: RingBuffer;
  readonly #runs: PlainRuns;
  #term: Headless | undefined;
  #serializer: InstanceType<typeof serialize.SerializeAddon> | undefined;
  /**
   * The size the terminal started with, and the resizes it went through while there was no
   * headless terminal yet: xterm.js's state depends on its resize history (a terminal resized to
   * 20×2 is not one made at 20×2), so a late one replays it.
   */
  #initial: { cols: number; rows: number };
  /** Rows at offset {@link #fed}. */
  #rows: number;
  #history: { cols: number; rows: number }[] = [];
  /** Everything before this offset has been handed to the headless terminal, or skipped. */
  #fed = 0;
  /** After a skip, the state is exact again only once everything up to here has been fed. */
  #exactFrom = 0;
  /** Writes handed to xterm.js and not parsed yet, and their bytes. */
  #writes = 0;
  #backlog = 0;
  #holding = false;
  readonly #hold: (hold: boolean) => void;
  /** Resizes at stream offsets the mirror has not reached yet, oldest first. */
  #resizes: { at: number; cols: number; rows: number }[] = [];
  /** Whether each buffer's scroll region is the whole screen (skips need that). */
  #regionFull = { normal: true, alternate: true };
  /** The offset a catch-up under way goes to, and the catch-up itself (one at a time). */
  #target = 0;
  #catchingUp: Promise<void> | undefined;
  #disposed = false;

  /**
   * `buffer`: the terminal's replay buffer, which the mirror reads the output from; `hold` pauses
   * (true) and resumes the pty when the mirror falls too far behind in parsing.
   */
  constructor(options: { cols: number; rows: number; buffer: RingBuffer; hold?: (hold: boolean) => void }) {
    this.#initial = { cols: options.cols, rows: options.rows };
    this.#rows = options.rows;
    this.#buffer = options.buffer;
    this.#hold = options.hold ?? (() => {});
    this.#runs = new PlainRuns(MIN_RUN_BYTES);
  }

  /** Output about to be appended to the replay buffer at `offset`: anything it would push out unparsed is parsed first. */
  output(data: Uint8Array, offset: number): void {
    if (this.#disposed) return;
    this.#runs.scan(data, offset);
    const end = offset + data.byteLength;
    const keep = end - this.#buffer.capacity; // the oldest offset still held after the append
    if (keep > this.#fed) this.#advance(keep, data, offset);
    if (end - this.#fed > this.#buffer.capacity * CATCH_UP_AT) {
      // Once the output is in the buffer (the caller appends it next), parse in the background.
      queueMicrotask(() => void this.#catchUp(end - Math.floor(this.#buffer.capacity * CATCH_UP_TO), false));
    }
  }

  /** The terminal was resized at the current end of the output. */
  resize(cols: number, rows: number): void {
    if (this.#disposed) return;
    this.#resizes.push({ at: this.#buffer.end, cols, rows });
    this.#runs.cut(); // no run spans a resize
    if (this.#resizes.length > MAX_PENDING_RESIZES) this.#advance(this.#resizes[MAX_PENDING_RESIZES / 2]!.at);
    else this.#applyResizes();
  }

  /** The screen (and some scrollback) as escape sequences, and the stream offset it reflects. */
  async snapshot(): Promise<{ offset: number; data: string }> {
    const { serializer, offset } = await this.#exact();
    let data = serializer.serialize({ scrollback: SNAPSHOT_SCROLLBACK });
    if (data.length > MAX_FRAME_BYTES / 2) data = serializer.serialize({ scrollback: 0 });
    // A huge screen full of colour changes can still be too big for one frame: clear the client's
    // screen instead (an empty snapshot) and let new output paint it.
    if (data.length > MAX_FRAME_BYTES / 2) data = '';
    return { offset, data };
  }

  /** The visible screen as plain text, one line per row (for tests and tools). */
  async screenText(): Promise<string> {
    const { term } = await this.#exact();
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < term.rows; i++) lines.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** Frees the headless terminal. */
  dispose(): void {
    if (this.#holding) this.#setHold(false);
    this.#disposed = true;
    this.#term?.dispose();
    this.#term = undefined;
  }

  /**
   * Catches up with everything output so far and resolves, inside xterm.js's callback for the
   * last byte (so nothing parsed later can change it), with the terminal in that exact state.
   */
  async #exact(): Promise<{ term: Headless; serializer: InstanceType<typeof serialize.SerializeAddon>; offset: number }> {
    await this.#catchUp(this.#buffer.end, true);
    const term = this.#make();
    const serializer = this.#serializer!;
    const offset = this.#fed;
    return new Promise((resolve) => term.write('', () => resolve({ term, serializer, offset })));
  }

  /**
   * Brings the mirror to `target` in the background: waits for xterm.js between steps, so that
   * it can skip where that is exact. With `exact`, goes on until the state is exact (the end of
   * the run a skip relied on), and skips only up to `target`, so that a flood cannot keep it going.
   */
  #catchUp(target: number, exact: boolean): Promise<void> {
    this.#target = Math.max(this.#target, target);
    const running = this.#catchingUp;
    if (running) return exact ? running.then(() => this.#catchUp(target, true)) : running;
    this.#catchingUp = (async () => {
      for (;;) {
        if (this.#disposed) return;
        const goal = exact ? Math.max(this.#target, this.#exactFrom) : this.#target;
        if (this.#fed >= goal) return;
        if (this.#writes) await this.#parsed();
        else if (!this.#skip(this.#target)) this.#step(goal);
      }
    })()
      .catch((error: unknown) => console.error('[ix-playground] screen mirror:', error)) // a bug, but never a crash
      .finally(() => (this.#catchingUp = undefined));
    return this.#catchingUp;
  }

  /** Feeds what lies between here and the next place to look again: a skippable run, a resize, or `goal`. */
  #step(goal: number): void {
    let stop = goal;
    const run = this.#runs.runAt(this.#fed);
    if (run && run.start > this.#fed) stop = Math.min(stop, run.start);
    const resize = this.#resizes[0];
    if (resize) stop = Math.min(stop, resize.at);
    if (stop > this.#fed) this.#feed(stop);
    this.#applyResizes();
  }

  /**
   * Advances synchronously to `target` (bytes are about to leave the replay buffer): skips if it
   * can, feeds the rest. Bytes from `offset` on may still be in `data` rather than the buffer.
   */
  #advance(target: number, data?: Uint8Array, offset = 0): void {
    while (this.#fed < target) {
      this.#applyResizes();
      if (!this.#writes && this.#skip(target)) continue;
      const resize = this.#resizes[0];
      this.#feed(resize ? Math.min(target, resize.at) : target, data, offset);
    }
    this.#applyResizes();
  }

  /**
   * Jumps ahead if the mirror is in a skippable run and idle, with a full-screen scroll region
   * (only then does the run scroll everything before it away); only while short of `limit`.
   */
  #skip(limit: number): boolean {
    if (this.#fed >= limit || this.#writes) return false;
    const type = this.#term?.buffer.active.type ?? 'normal';
    if (!this.#regionFull[type]) return false;
    const run = this.#runs.runAt(this.#fed);
    if (!run || run.start > this.#fed) return false;
    const end = Math.min(run.end, this.#buffer.end);
    const to = this.#skipPoint(this.#fed, end);
    if (to === undefined) return false;
    this.#fed = to;
    // The skip is exact once the rest of its run (as far as it went now) is parsed.
    this.#exactFrom = Math.max(this.#exactFrom, end);
    this.#runs.forget(to);
    return true;
  }

  /**
   * The carriage return in (from, end) with enough CRLFs from it to `end` to scroll away all that
   * was on the screen and in the scrollback before it, and something printable after it (so that
   * "the previous character", which REP repeats, is the same); undefined if there is none.
   */
  #skipPoint(from: number, end: number): number | undefined {
    const buffer = this.#buffer;
    let lf = end;
    for (let crlfs = 0; crlfs < windowFor(this.#rows);) {
      lf = buffer.lastIndexOf(0x0a, from + 2, lf); // the CR before it lies after `from`: the skip moves
      if (lf < 0) return undefined;
      if (buffer.at(lf - 1) === 0x0d) crlfs++;
    }
    const to = lf - 1;
    for (let at = end - 1; at > to; at--) {
      const b = buffer.at(at);
      if (b >= 0x20 && b <= 0x7e) return to; // found at once, but for runs of empty lines
    }
    return undefined;
  }

  /** Hands the output from {@link #fed} up to `to` to xterm.js (a copy: the buffer moves on). */
  #feed(to: number, data?: Uint8Array, offset = 0): void {
    const term = this.#make();
    const from = this.#fed;
    const held = Math.min(to, this.#buffer.end);
    const parts: Uint8Array[] = [];
    if (from < held) parts.push(this.#buffer.slice(from, held));
    if (data && to > Math.max(from, held)) parts.push(data.subarray(Math.max(from, held) - offset, to - offset));
    this.#fed = to;
    this.#runs.forget(to);
    for (const part of parts) {
      this.#writes++;
      this.#backlog += part.byteLength;
      term.write(part, () => {
        this.#writes--;
        this.#backlog -= part.byteLength;
        if (this.#holding && this.#backlog < BACKLOG_LOW) this.#setHold(false);
      });
    }
    if (!this.#holding && this.#backlog > BACKLOG_HIGH) this.#setHold(true);
  }

  #setHold(hold: boolean): void {
    this.#holding = hold;
    if (!this.#disposed) this.#hold(hold);
  }

  /** Applies the resizes the mirror has reached, in order with the output around them. */
  #applyResizes(): void {
    while (this.#resizes.length && (this.#resizes[0] as { at: number }).at <= this.#fed) {
      const { cols, rows } = this.#resizes.shift()!;
      this.#rows = rows;
      const term = this.#term;
      if (!term) {
        this.#history.push({ cols, rows });
        if (this.#history.length > MAX_PENDING_RESIZES) this.#make();
        continue;
      }
      // A write callback runs after everything written before it and before anything written later.
      this.#writes++;
      term.write('', () => {
        this.#writes--;
        this.#resizeTerm(cols, rows);
      });
    }
  }

  /** Resizes the headless terminal; if xterm.js cannot reflow, it starts over blank at the new size. */
  #resizeTerm(cols: number, rows: number): void {
    const term = this.#term;
    if (!term || this.#disposed) return;
    try {
      term.resize(Math.max(MIN_COLS, cols), rows);
    } catch {
      // A snapshot then shows less, but at the right offset; writes queued meanwhile still complete.
      term.reset();
      try {
        term.resize(Math.max(MIN_COLS, cols), rows);
      } catch {
        // keeps the old size
      }
    }
  }

  /** Resolves once xterm.js has parsed everything handed to it so far. */
  #parsed(): Promise<void> {
    const term = this.#make();
    this.#writes++;
    return new Promise((resolve) =>
      term.write('', () => {
        this.#writes--;
        resolve();
      }),
    );
  }

  /** The headless terminal, made on first use at the size the terminal started with, then resized as it was up to {@link #fed}. */
  #make(): Headless {
    if (this.#term) return this.#term;
    const { cols, rows } = this.#initial;
    const term = new headless.Terminal({ cols: Math.max(MIN_COLS, cols), rows, scrollback: SNAPSHOT_SCROLLBACK, allowProposedApi: true });
    const serializer = new serialize.SerializeAddon();
    term.loadAddon(serializer);
    // Follow the scroll region of each buffer (DECSTBM, as xterm.js applies it; a reset clears both).
    term.parser.registerCsiHandler({ final: 'r' }, (params) => {
      const rows = term.rows;
      const top = (typeof params[0] === 'number' && params[0]) || 1;
      const given = params.length >= 2 && typeof params[1] === 'number' ? params[1] : 0;
      const bottom = given === 0 || given > rows ? rows : given;
      if (bottom > top) this.#regionFull[term.buffer.active.type] = top === 1 && bottom === rows;
      return false;
    });
    term.parser.registerEscHandler({ final: 'c' }, () => {
      this.#regionFull = { normal: true, alternate: true };
      return false;
    });
    this.#term = term;
    this.#serializer = serializer;
    for (const size of this.#history.splice(0)) this.#resizeTerm(size.cols, size.rows); // nothing written yet: at once
    return term;
  }
}
