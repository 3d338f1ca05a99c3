/**
 * Counts open connections per client address and in total, and refuses one more past either cap,
 * so one client cannot hold every descriptor of the server.
 */
export class ConnectionCounter {
  readonly #maxTotal: number;
  readonly #maxPerClient: number;
  readonly #byClient = new Map<string, number>();
  #total = 0;

  /** Caps of 0 mean "no cap". */
  constructor(maxTotal: number, maxPerClient: number) {
    this.#maxTotal = maxTotal;
    this.#maxPerClient = maxPerClient;
  }

  /**
   * Counts one more connection of `client`; false (and nothing counted) if a cap is reached.
   * `perClient: false` counts it against the total only (a trusted proxy carrying many clients).
   */
  tryAdd(client: string, options: { perClient?: boolean } = {}): boolean {
    const mine = this.#byClient.get(client) ?? 0;
    if (this.#maxTotal && this.#total >= this.#maxTotal) return false;
    if (options.perClient !== false && this.#maxPerClient && mine >= this.#maxPerClient) return false;
    this.#byClient.set(client, mine + 1);
    this.#total++;
    return true;
  }

  /** Forgets one connection of `client`. */
  remove(client: string): void {
    const mine = this.#byClient.get(client);
    if (!mine) return;
    if (mine === 1) this.#byClient.delete(client);
    else this.#byClient.set(client, mine - 1);
    this.#total--;
  }

  /** Connections counted now. */
  get total(): number {
    return this.#total;
  }

  /** Connections of one client now. */
  count(client: string): number {
    return this.#byClient.get(client) ?? 0;
  }
}
