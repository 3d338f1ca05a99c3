/** Where the screen mirror may jump ahead in the output stream, without parsing what it skips. */
export interface SkipPoint {
  /** Offset of the first byte of a run of plain text. */
  start: number;
  /** Offset of a carriage return in that run: a mirror anywhere in [start, to) may continue here. */
  to: number;
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

/** Bytes that only print or move the cursor within the screen: printable ASCII, CR, LF, TAB, BEL. */
function isPlain(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x0d || b === 0x0a || b === 0x09 || b === 0x07;
}

/**
 * Finds runs of plain text in a terminal's output that make the text before them invisible: a run
 * of printable ASCII, CR and LF (what `cat`, `yes`, `seq`, `base64` and build logs print) that goes
 * on for `window` more line feeds after one of its carriage returns scrolls every row that existed
 * before that carriage return out of the screen and the scrollback. A screen mirror parsing that
 * output may therefore skip from anywhere in the run to that carriage return and end up with
 * exactly the screen (and scrollback) it would have had, provided it parses the rest and the
 * run's terminal state allows it (no scroll region; the mirror checks that).
 *
 * It tracks the escape-sequence parser's state conservatively: a run only starts where the
 * terminal is certainly in its ground state with nothing half-decoded. Cost: one pass over the
 * bytes, a few nanoseconds each; memory: `window` offsets while a run is open, and one small
 * record per skippable run.
 */
export class PlainRuns {
  /** Line feeds a skip point needs after it. */
  #window: number;
  #state = GROUND;
  /** The previous byte was 0xC2 (a C1 control may follow) or ended an ESC N / ESC O single shift. */
  #c2 = false;
  #noStart = false;
  /** The previous byte was 0x80 or above (a UTF-8 sequence may be incomplete). */
  #high = false;
  /** The open run: its start (-1: none), the offsets of its CRLF carriage returns (the last `window`), the last printable byte. */
  #runStart = -1;
  #crs: number[] = [];
  #crHead = 0;
  #lastCr = -2;
  #lastPrintable = -1;
  /** Closed runs that have a skip point, oldest first. */
  #skips: SkipPoint[] = [];

  /** `window`: line feeds after a skip point (at least the mirror's rows × 2 + its scrollback + 1). */
  constructor(window: number) {
    this.#window = window;
  }

  /** Changes the line feeds a skip point needs (a resize); closes the open run first. */
  setWindow(window: number): void {
    this.cut();
    this.#window = window;
  }

  /** Ends the open run here (a resize happens at this point of the stream). */
  cut(): void {
    const skip = this.#openSkip();
    if (skip) this.#skips.push(skip);
    this.#runStart = -1;
    if (this.#crs.length) this.#crs = [];
    this.#crHead = 0;
    this.#lastCr = -2;
  }

  /** Scans the output bytes `data`, whose first byte is at stream offset `offset`. */
  scan(data: Uint8Array, offset: number): void {
    for (let i = 0; i < data.length; i++) {
      const b = data[i] as number;
      if (this.#state === GROUND && isPlain(b)) {
        const at = offset + i;
        if (this.#runStart < 0) {
          if (this.#high || this.#c2 || this.#noStart) {
            this.#high = this.#c2 = this.#noStart = false;
            continue; // this byte may still be read as part of what came before
          }
          this.#runStart = at;
        }
        if (b === 0x0d) this.#lastCr = at;
        else if (b === 0x0a && this.#lastCr === at - 1) this.#noteCrlf(at - 1);
        else if (b >= 0x20) this.#lastPrintable = at;
        continue;
      }
      if (this.#runStart >= 0) this.cut();
      this.#step(b);
    }
  }

  /** The furthest offset a mirror that has parsed everything before `offset` may jump to, or undefined. */
  skipFrom(offset: number): number | undefined {
    for (const skip of this.#all()) {
      if (skip.start <= offset && offset < skip.to) return skip.to;
    }
    return undefined;
  }

  /** The first run with a skip point that starts after `offset` (where parsing may stop to look again), or undefined. */
  nextStart(offset: number): number | undefined {
    for (const skip of this.#all()) if (skip.start > offset) return skip.start;
    return undefined;
  }

  #all(): SkipPoint[] {
    const open = this.#openSkip();
    return open ? [...this.#skips, open] : this.#skips;
  }

  /** Forgets skip points the mirror has passed. */
  forget(before: number): void {
    let n = 0;
    while (n < this.#skips.length && (this.#skips[n] as SkipPoint).to <= before) n++;
    if (n) this.#skips.splice(0, n);
  }

  /** The open run's skip point, if it has one yet. */
  #openSkip(): SkipPoint | undefined {
    if (this.#runStart < 0 || this.#crs.length < this.#window) return undefined;
    const to = this.#crs[this.#crHead] as number; // the oldest of the last `window` CRLFs
    // Something printable after the skip point, so that "the previous character" (REP) is the same.
    return this.#lastPrintable > to ? { start: this.#runStart, to } : undefined;
  }

  /** Remembers the last `window` CRLFs of the open run; once full, `#crHead` is the oldest. */
  #noteCrlf(cr: number): void {
    if (this.#crs.length < this.#window) {
      this.#crs.push(cr);
      return;
    }
    this.#crs[this.#crHead] = cr;
    this.#crHead = (this.#crHead + 1) % this.#window;
  }

  /** One byte that is not plain text in the ground state: the parser's next state. */
  #step(b: number): void {
    const c2 = this.#c2;
    this.#c2 = false;
    this.#noStart = false;
    this.#high = b >= 0x80;
    if (b === 0x1b) {
      this.#state = ESCAPE;
      return;
    }
    switch (this.#state) {
      case GROUND:
        if (c2 && b >= 0x80 && b <= 0x9f)
          this.#state = UNKNOWN; // a C1 control (CSI, OSC, DCS…)
        else this.#c2 = b === 0xc2;
        return;
      case ESCAPE:
        if (b >= 0x80) this.#state = UNKNOWN;
        else if (b === 0x5b) this.#state = CSI;
        else if (b === 0x5d) this.#state = OSC;
        else if (b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) this.#state = STRING;
        else if (b >= 0x20 && b <= 0x2f) this.#state = ESCAPE_INTERMEDIATE;
        else if (b >= 0x30 && b <= 0x7e) {
          this.#state = GROUND;
          this.#noStart = b === 0x4e || b === 0x4f; // SS2, SS3 shift the next character
        }
        return;
      case ESCAPE_INTERMEDIATE:
        if (b >= 0x80) this.#state = UNKNOWN;
        else if (b >= 0x30 && b <= 0x7e) this.#state = GROUND;
        return;
      case CSI:
        if (b >= 0x80) this.#state = UNKNOWN;
        else if (b >= 0x40 && b <= 0x7e) this.#state = GROUND;
        return;
      case OSC:
        if (b >= 0x80) this.#state = UNKNOWN;
        else if (b === 0x07) this.#state = GROUND;
        return;
      default:
        // STRING and UNKNOWN end only at the next ESC.
        return;
    }
  }
}
