/**
 * Which page origins may open sessions. The default allows only the server's own loopback
 * origins, so a page on another site (or a DNS-rebinding page) cannot drive a learner's shell.
 */
export class OriginPolicy {
  #allowed = new Set<string>();

  constructor(allowed: Iterable<string>) {
    this.allow(allowed);
  }

  /** Adds origins to the allowlist. */
  allow(origins: Iterable<string>): void {
    for (const o of origins) this.#allowed.add(o.replace(/\/$/, '').toLowerCase());
  }

  /** The allowed origins. */
  get allowed(): string[] {
    return [...this.#allowed];
  }

  /** The server's own origins for a host and port. */
  static ownOrigins(host: string, port: number): string[] {
    const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
    if (host && host !== '0.0.0.0' && host !== '::') hosts.add(host.includes(':') ? `[${host}]` : host);
    return [...hosts].flatMap((h) => [`http://${h}:${port}`, `https://${h}:${port}`]);
  }

  /**
   * True if a request with this Origin header may proceed. Requests without one come from
   * non-browser programs (the SDK in Node, the CLI), which a token still guards.
   */
  allows(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    return this.#allowed.has(origin.toLowerCase());
  }
}
