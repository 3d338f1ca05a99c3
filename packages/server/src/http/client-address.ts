import type { IncomingMessage } from 'node:http';
import net from 'node:net';

/**
 * Which peers are reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed
 * (IX_TRUST_PROXY). Nobody by default: a client could otherwise claim any address.
 */
export class ProxyTrust {
  readonly #trusted: Set<string>;

  /** `addresses`: the proxies' IP addresses; `loopback` stands for 127.0.0.1 and ::1. */
  constructor(addresses: readonly string[] = []) {
    this.#trusted = new Set(addresses.flatMap((a) => (a === 'loopback' ? ['127.0.0.1', '::1'] : [normalize(a)])));
  }

  /** True when some proxy is trusted. */
  get enabled(): boolean {
    return this.#trusted.size > 0;
  }

  /** True for a peer address that is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    return address !== undefined && this.#trusted.has(normalize(address));
  }

  /**
   * The address per-client limits count a request against: the TCP peer, or, when the peer is a
   * trusted proxy, the nearest address in the forwarding chain that is not one.
   */
  clientOf(req: Pick<IncomingMessage, 'socket' | 'headers'>): string {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (!this.trusts(peer)) return normalize(peer);
    const chain = forwardedChain(req.headers);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i] as string;
      if (!this.trusts(hop)) return hop;
    }
    return normalize(peer);
  }
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** The addresses a request passed through, client first: `Forwarded: for=` if present, else `X-Forwarded-For`. */
function forwardedChain(headers: IncomingMessage['headers']): string[] {
  const forwarded = headers.forwarded;
  const hops = forwarded ? forwarded.split(',').map(forValue) : String(headers['x-forwarded-for'] ?? '').split(',');
  return hops
    .map((hop) => hop.trim())
    .filter((hop) => net.isIP(hop))
    .map(normalize);
}

/** The address of one `Forwarded` element: `for=1.2.3.4:80` or `for="[2001:db8::1]:4711"` → the bare address. */
function forValue(element: string): string {
  const pair = element.split(';').find((p) => p.trim().toLowerCase().startsWith('for='));
  let value = (pair?.trim().slice(4) ?? '').replace(/^"|"$/g, '');
  if (value.startsWith('[')) value = value.slice(1, value.indexOf(']'));
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.indexOf(':'));
  return value;
}
