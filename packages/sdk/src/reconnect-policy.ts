import { backoffDelay, type BackoffOptions } from './backoff.js';
import { RETRYABLE_CLOSE_CODES } from './protocol.js';

/** What to do after a connection closed: try again after `delayMs`, or give up. */
export type ReconnectDecision = { retry: true; attempt: number; delayMs: number } | { retry: false; exhausted: boolean };

/**
 * When a lost connection is tried again: only after close codes that say "try again", only for a
 * session that was up (a first connection that fails is reported, not retried), with exponential
 * backoff and jitter, and at most `attempts` times in a row (a successful attach starts over).
 */
export class ReconnectPolicy {
  readonly #options: BackoffOptions | false;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions | false = {}, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Attempts before giving up. */
  get attempts(): number {
    return this.#options === false ? 0 : (this.#options.attempts ?? 12);
  }

  /** Decides after a close with `code`; `wasUp` is true if the session had been ready on some connection. */
  next(code: number, wasUp: boolean): ReconnectDecision {
    if (this.#options === false || !wasUp || !RETRYABLE_CLOSE_CODES.includes(code)) return { retry: false, exhausted: false };
    if (this.#attempt >= this.attempts) return { retry: false, exhausted: true };
    this.#attempt++;
    return { retry: true, attempt: this.#attempt, delayMs: backoffDelay(this.#attempt, this.#options, this.#random) };
  }

  /** The session is up again: the next loss starts counting from the first attempt. */
  reset(): void {
    this.#attempt = 0;
  }
}
