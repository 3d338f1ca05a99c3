import { isAscii } from 'node:buffer';

/** A stretch of the output stream that is plain text in the terminal's ground state. */
export interface PlainRun {
  /** Offset of its first byte. */
  start: number;
  /** Offset one past its last byte (it may still grow while it is the newest run). */
  end: number;
}

// Parser states, as far as they matter here (a conservative subset of the DEC/xterm.js parser).
const GROUND = 0;
const ESCAPE = 1;
const ESCAPE_INTERMEDIATE = 2;
const CSI = 3;
const OSC = 4;
/** DCS, SOS, PM, APC: strings that only ESC \ ends. */
const STRING = 5;
/** After bytes whose meaning depends on UTF-8 decoding (C1 controls): certain again at the next ESC. */
const UNKNOWN = 6;

/**
 * Bytes that change the terminal's state beyond the screen's content and cursor, so a run of
 * output containing one cannot be skipped: ESC, SO and SI (character sets), BS (can move up a
 * line with reverse wraparound), and anything above 0x7f (UTF-8: wide characters, C1 controls,
 * sequences split across chunks). Other C0 controls only move the cursor (CR, LF, VT, FF, TAB)
 * or do nothing to the screen (BEL, NUL…).
 */
const NOT_PLAIN = [0x1b, 0x0e, 0x0f, 0x08];

/** Whether `data` holds only plain bytes (see {@link NOT_PLAIN}); native scans, no per-byte JavaScript. */
function allPlain(data: Uint8Array): boolean {
  return isAscii(data) && NOT_PLAIN.every((b) => data.indexOf(b) < 0);
}

/**
 * Finds the stretches of a terminal's output that are plain text (what `cat`, `yes`, `seq`,
 * `base64` and build logs print) starting in the terminal's ground state: the screen mirror may
 * skip most of such a run, since its last lines scroll everything before them out of sight.
 *
 * It works on whole chunks of output (the server emits floods in chunks of tens of KiB) and with
 * native scans: a chunk of only plain bytes extends the newest run, any other chunk ends it, and
 * the parser state at a chunk's end (needed to know whether the next chunk starts in the ground
 * state) follows from the bytes after its last ESC, which resets every state. The parser state is
 * tracked conservatively: where UTF-8 decoding could make a C1 control, it counts as unknown until
 * the next ESC. Cost: well under a millisecond per MB; memory: one small record per run.
 */
export class PlainRuns {
  #state = GROUND;
  /** The last chunk ended in a way that affects how the next byte is read (a UTF-8 lead byte, ESC N / ESC O). */
  #pending = false;
  /** The last chunk ended with 0xC2 in the ground state (a C1 control may follow). */
  #c2 = false;
  /** Runs, oldest first; the last one may be open. */
  #runs: PlainRun[] = [];
  #open = false;
  /** Runs shorter than this many bytes are not worth keeping (none can hold a skip point). */
  #minBytes: number;

  /** `minBytes`: the shortest run worth remembering. */
  constructor(minBytes: number) {
    this.#minBytes = minBytes;
  }

  /** Ends the open run here (a resize happens at this point of the stream). */
  cut(): void {
    if (!this.#open) return;
    this.#open = false;
    const run = this.#runs.at(-1);
    if (run && run.end - run.start < this.#minBytes) this.#runs.pop();
  }

  /** Takes the next chunk of output, whose first byte is at stream offset `offset`. */
  scan(data: Uint8Array, offset: number): void {
    if (!data.length) return;
    if (this.#state === GROUND && !this.#pending && allPlain(data)) {
      const run = this.#runs.at(-1);
      if (this.#open && run) run.end = offset + data.length;
      else this.#runs.push({ start: offset, end: offset + data.length });
      this.#open = true;
      return;
    }
    this.cut();
    const lastEsc = data.lastIndexOf(0x1b);
    if (lastEsc >= 0) {
      this.#state = ESCAPE; // ESC starts over from any state: only what follows the last one matters
      this.#step(data, lastEsc + 1);
    } else if (this.#state === GROUND) {
      this.#groundWithoutEsc(data);
    } else {
      this.#step(data, 0);
    }
    const last = data[data.length - 1] as number;
    this.#pending ||= last >= 0x80;
  }

  /** The run that holds `offset`, or else the first one after it, or undefined. */
  runAt(offset: number): PlainRun | undefined {
    return this.#runs.find((run) => run.end > offset);
  }

  /** Forgets the runs that end before `offset` (the mirror has passed them). */
  forget(offset: number): void {
    let n = 0;
    while (n < this.#runs.length - 1 && (this.#runs[n] as PlainRun).end <= offset) n++;
    if (n) this.#runs.splice(0, n);
  }

  /** A chunk without ESC in the ground state stays in it, unless UTF-8 makes a C1 control (0xC2 0x80–0x9F). */
  #groundWithoutEsc(data: Uint8Array): void {
    const first = data[0] as number;
    const c1 = (this.#c2 && first >= 0x80 && first <= 0x9f) || [...this.#c2At(data)].some((i) => (data[i + 1] ?? 0) >= 0x80 && (data[i + 1] ?? 0) <= 0x9f);
    this.#state = c1 ? UNKNOWN : GROUND;
    this.#c2 = !c1 && data[data.length - 1] === 0xc2;
    this.#pending = false;
  }

  /** Offsets of 0xC2 in `data` (native search). */
  *#c2At(data: Uint8Array): Generator<number> {
    for (let i = data.indexOf(0xc2); i >= 0; i = data.indexOf(0xc2, i + 1)) yield i;
  }

  /** Runs the parser over `data` from `from` on (the bytes after the last ESC: a few, usually). */
  #step(data: Uint8Array, from: number): void {
    let state = this.#state;
    let pending = false;
    let c2 = from === 0 && this.#c2;
    for (let i = from; i < data.length; i++) {
      const b = data[i] as number;
      const afterC2 = c2;
      c2 = pending = false;
      switch (state) {
        case GROUND:
          if (afterC2 && b >= 0x80 && b <= 0x9f)
            state = UNKNOWN; // a C1 control (CSI, OSC, DCS…) in UTF-8
          else c2 = b === 0xc2;
          break;
        case ESCAPE:
          if (b >= 0x80) state = UNKNOWN;
          else if (b === 0x5b) state = CSI;
          else if (b === 0x5d) state = OSC;
          else if (b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) state = STRING;
          else if (b >= 0x20 && b <= 0x2f) state = ESCAPE_INTERMEDIATE;
          else if (b >= 0x30 && b <= 0x7e) {
            state = GROUND;
            pending = b === 0x4e || b === 0x4f; // SS2, SS3 change how the next character prints
          }
          break;
        case ESCAPE_INTERMEDIATE:
          if (b >= 0x80) state = UNKNOWN;
          else if (b >= 0x30 && b <= 0x7e) state = GROUND;
          break;
        case CSI:
          if (b >= 0x80) state = UNKNOWN;
          else if (b >= 0x40 && b <= 0x7e) state = GROUND;
          break;
        case OSC:
          if (b >= 0x80) state = UNKNOWN;
          else if (b === 0x07) state = GROUND;
          break;
        default:
        // STRING and UNKNOWN end only at the next ESC (and there is none after `from`).
      }
    }
    this.#state = state;
    this.#pending = pending;
    this.#c2 = c2;
  }
}
