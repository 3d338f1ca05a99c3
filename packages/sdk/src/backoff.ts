/** How a client retries a lost connection. */
export interface BackoffOptions {
  /** Attempts before giving up (default 12). */
  attempts?: number;
  /** Delay before the first retry, in ms (default 250). */
  baseDelayMs?: number;
  /** Longest delay between retries, in ms (default 10 000). */
  maxDelayMs?: number;
}

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(max, base * 2^(n-1)), so clients that lost the same server do not return in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
