/**
 * A token bucket: `rate` units a second, up to `burst` saved up. Callers take what they used and
 * wait {@link delayMs} before taking more; nothing is dropped, the sender is just slowed down.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last = performance.now();

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Takes `amount` units (the balance may go negative: the debt is waited off). */
  take(amount: number): void {
    this.#refill();
    this.#tokens -= amount;
  }

  /** Milliseconds until the balance is back to zero (0 if it is not negative). */
  get delayMs(): number {
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}
