import { ErrorCode, PlaygroundError } from './errors.js';
import type { OutputFrame } from './protocol.js';

/** Unacknowledged bytes after which an ack is sent at once rather than on the timer. */
const ACK_BYTES = 64 * 1024;
/** How long acks for less than that wait, to go out in one batch. */
const ACK_DELAY_MS = 50;

/** A resume point: the client has every byte of `terminal` before `offset`. */
export interface ResumePoint {
  /** Terminal id. */
  terminal: number;
  /** Bytes of that terminal's output the client has. */
  offset: number;
}

/**
 * The byte accounting of every terminal of a session: what has been received (so a replay never
 * shows a byte twice and a gap is caught), what the page has rendered, and what the server has
 * been told (acks, batched). It outlives connections: a reconnect resumes from {@link resumePoints}.
 */
export class AckTracker {
  readonly #send: (terminal: number, offset: number) => void;
  readonly #received = new Map<number, number>();
  readonly #rendered = new Map<number, number>();
  readonly #acked = new Map<number, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `send` tells the server a terminal is rendered up to an offset (when connected). */
  constructor(send: (terminal: number, offset: number) => void) {
    this.#send = send;
  }

  /** Starts counting a terminal at 0 unless it is already known (a resumed terminal keeps its count). */
  track(terminal: number): void {
    if (!this.#received.has(terminal)) this.#received.set(terminal, 0);
  }

  /** Where each known terminal resumes. */
  resumePoints(): ResumePoint[] {
    return [...this.#received].map(([terminal, offset]) => ({ terminal, offset }));
  }

  /**
   * Takes an output frame: answers the part not seen before (undefined if all of it was), and
   * throws a `protocol` error on a gap, which would otherwise corrupt the screen silently.
   */
  accept(frame: OutputFrame): OutputFrame | undefined {
    const have = this.#received.get(frame.terminal) ?? 0;
    const end = frame.offset + frame.data.byteLength;
    if (end <= have) return undefined; // replay overlap
    if (frame.offset > have && this.#received.has(frame.terminal)) {
      throw new PlaygroundError(ErrorCode.Protocol, `output for terminal ${frame.terminal} skipped from ${have} to ${frame.offset}`);
    }
    this.#received.set(frame.terminal, end);
    if (frame.offset >= have) return frame;
    return { terminal: frame.terminal, offset: have, data: frame.data.subarray(have - frame.offset) };
  }

  /** A snapshot replaced the terminal's screen: everything before `offset` is received, rendered and acknowledged. */
  snapshot(terminal: number, offset: number): void {
    this.#received.set(terminal, offset);
    this.#rendered.set(terminal, offset);
    this.#acked.set(terminal, offset);
    this.#send(terminal, offset);
  }

  /** The page rendered everything of `terminal` before `offset`; acks go out in batches. */
  rendered(terminal: number, offset: number): void {
    if (offset <= (this.#rendered.get(terminal) ?? 0)) return;
    this.#rendered.set(terminal, offset);
    if (offset - (this.#acked.get(terminal) ?? 0) >= ACK_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
  }

  /** Sends every ack still owed. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [terminal, offset] of this.#rendered) {
      if (offset > (this.#acked.get(terminal) ?? 0)) {
        this.#acked.set(terminal, offset);
        this.#send(terminal, offset);
      }
    }
  }

  /** Stops the batching timer. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
