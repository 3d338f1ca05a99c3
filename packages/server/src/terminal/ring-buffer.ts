/**
 * A bounded window over a byte stream that never stops growing: it keeps the newest `capacity`
 * bytes and addresses them by their absolute offset in the stream.
 */
export class RingBuffer {
  readonly capacity: number;
  #buffer: Uint8Array;
  #end = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.#buffer = new Uint8Array(capacity);
  }

  /** Offset one past the newest byte: how many bytes the stream has had in all. */
  get end(): number {
    return this.#end;
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return Math.max(0, this.#end - this.capacity);
  }

  /** Appends bytes to the stream, forgetting the oldest beyond capacity. */
  append(data: Uint8Array): void {
    const bytes = data.byteLength > this.capacity ? data.subarray(data.byteLength - this.capacity) : data;
    const skipped = data.byteLength - bytes.byteLength;
    const at = (this.#end + skipped) % this.capacity;
    const first = Math.min(bytes.byteLength, this.capacity - at);
    this.#buffer.set(bytes.subarray(0, first), at);
    this.#buffer.set(bytes.subarray(first), 0);
    this.#end += data.byteLength;
  }

  /** The byte at `offset`, which must be held. */
  at(offset: number): number {
    if (offset < this.start || offset >= this.#end) throw new RangeError(`byte ${offset} is not held (${this.start}..${this.#end})`);
    return this.#buffer[offset % this.capacity] as number;
  }

  /** The offset of the last byte `value` in [from, to) (clamped to what is held), or -1. */
  lastIndexOf(value: number, from: number, to: number): number {
    const lo = Math.max(from, this.start);
    let hi = Math.min(to, this.#end);
    while (hi > lo) {
      // The held bytes [lo, hi) lie in at most two stretches of the array; search the later one first.
      const at = (hi - 1) % this.capacity;
      const stretch = Math.min(hi - lo, at + 1);
      const found = this.#buffer.subarray(at + 1 - stretch, at + 1).lastIndexOf(value);
      if (found >= 0) return hi - stretch + found;
      hi -= stretch;
    }
    return -1;
  }

  /** A copy of the bytes from `from` up to `to`, which must be held (start ≤ from ≤ to ≤ end). */
  slice(from: number, to: number): Uint8Array {
    if (from < this.start || to > this.#end || from > to) throw new RangeError(`bytes ${from}..${to} are not held (${this.start}..${this.#end})`);
    const length = to - from;
    const out = new Uint8Array(length);
    const at = from % this.capacity;
    const first = Math.min(length, this.capacity - at);
    out.set(this.#buffer.subarray(at, at + first), 0);
    out.set(this.#buffer.subarray(0, length - first), first);
    return out;
  }

  /** A copy of the bytes from `offset` to the end, or undefined if `offset` is no longer held. */
  since(offset: number): Uint8Array | undefined {
    if (offset < this.start || offset > this.#end) return undefined;
    const length = this.#end - offset;
    const out = new Uint8Array(length);
    const at = offset % this.capacity;
    const first = Math.min(length, this.capacity - at);
    out.set(this.#buffer.subarray(at, at + first), 0);
    out.set(this.#buffer.subarray(0, length - first), first);
    return out;
  }
}
