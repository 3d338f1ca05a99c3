import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RingBuffer } from './ring-buffer.js';

/** Bytes `from`, `from + 1`, ... (mod 256): every byte's value says which stream offset it had. */
function run(from: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) % 256);
}

describe('replay ring buffer', () => {
  test('an empty buffer holds nothing and replays nothing', () => {
    const ring = new RingBuffer(8);
    assert.equal(ring.start, 0);
    assert.equal(ring.end, 0);
    assert.deepEqual(ring.since(0), new Uint8Array(0));
    assert.equal(ring.since(1), undefined);
  });

  test('before filling up, since(offset) returns exactly the bytes from that offset', () => {
    const ring = new RingBuffer(16);
    ring.append(run(0, 5));
    ring.append(run(5, 6));
    assert.equal(ring.start, 0);
    assert.equal(ring.end, 11);
    assert.deepEqual(ring.since(0), run(0, 11));
    assert.deepEqual(ring.since(4), run(4, 7));
    assert.deepEqual(ring.since(11), new Uint8Array(0));
  });

  test('across wrap-around it keeps exactly the newest capacity bytes', () => {
    const ring = new RingBuffer(10);
    ring.append(run(0, 7));
    ring.append(run(7, 7)); // wraps: 14 bytes written into 10
    assert.equal(ring.end, 14);
    assert.equal(ring.start, 4);
    assert.deepEqual(ring.since(4), run(4, 10));
    assert.deepEqual(ring.since(9), run(9, 5)); // starts before the physical wrap point, ends after it
    assert.deepEqual(ring.since(13), run(13, 1));
  });

  test('offsets older than the oldest byte held, or past the end, replay nothing', () => {
    const ring = new RingBuffer(10);
    ring.append(run(0, 25));
    assert.equal(ring.start, 15);
    assert.equal(ring.since(14), undefined);
    assert.equal(ring.since(0), undefined);
    assert.equal(ring.since(26), undefined);
    assert.deepEqual(ring.since(15), run(15, 10));
    assert.deepEqual(ring.since(25), new Uint8Array(0));
  });

  test('an append larger than the capacity keeps only its newest bytes and counts all of them', () => {
    const ring = new RingBuffer(8);
    ring.append(run(0, 3));
    ring.append(run(3, 30));
    assert.equal(ring.end, 33);
    assert.equal(ring.start, 25);
    assert.deepEqual(ring.since(25), run(25, 8));
    assert.equal(ring.since(24), undefined);
    // And the buffer keeps working normally afterwards.
    ring.append(run(33, 5));
    assert.deepEqual(ring.since(30), run(30, 8));
  });

  test('an append of exactly the capacity replaces the whole window', () => {
    const ring = new RingBuffer(8);
    ring.append(run(0, 5));
    ring.append(run(5, 8));
    assert.equal(ring.start, 5);
    assert.deepEqual(ring.since(5), run(5, 8));
  });

  test('since() returns a copy that later appends do not change', () => {
    const ring = new RingBuffer(4);
    ring.append(Uint8Array.of(1, 2, 3, 4));
    const copy = ring.since(0);
    ring.append(Uint8Array.of(9, 9, 9, 9));
    assert.deepEqual(copy, Uint8Array.of(1, 2, 3, 4));
  });

  test('any sequence of appends replays the same bytes as an unbounded log would', () => {
    // A deterministic pseudo-random walk over chunk sizes, compared against a plain array.
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const capacity of [1, 2, 7, 64]) {
      const ring = new RingBuffer(capacity);
      const log: number[] = [];
      for (let step = 0; step < 200; step++) {
        const chunk = run(log.length, next(capacity * 2 + 2));
        ring.append(chunk);
        log.push(...chunk);
        assert.equal(ring.end, log.length);
        assert.equal(ring.start, Math.max(0, log.length - capacity));
        const from = ring.start + next(ring.end - ring.start + 1);
        assert.deepEqual([...(ring.since(from) ?? [])], log.slice(from), `capacity ${capacity}, step ${step}, since(${from})`);
      }
    }
  });

  test('a capacity that is not a positive integer is refused', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new RingBuffer(-1), RangeError);
    assert.throws(() => new RingBuffer(1.5), RangeError);
  });
});
