import type { PlaygroundError } from './errors.js';

/**
 * A promise and the one function that settles it: resolves when called without an error, rejects
 * with one; later calls do nothing. `settled` runs once, first (to forget the pending promise).
 */
export function settleOnce(settled: () => void): { promise: Promise<void>; settle: (error?: PlaygroundError) => void } {
  let settle!: (error?: PlaygroundError) => void;
  const promise = new Promise<void>((resolve, reject) => {
    let pending = true;
    settle = (error) => {
      if (!pending) return;
      pending = false;
      settled();
      if (error) reject(error);
      else resolve();
    };
  });
  return { promise, settle };
}
