import net from 'node:net';

/** A TCP proxy for tests that breaks or freezes real connections on command. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Connections broken so far. */
  readonly breaks: number;
  /** Destroys every open connection (both sides), like a dropped network. */
  breakAll(): void;
  /** Silently stops forwarding on every open connection, which stays open: a dead path. New connections work. */
  freezeAll(): void;
  /** Called with the byte count of every chunk forwarded from the target to the client. */
  onDownstream(callback: (bytes: number) => void): void;
  /** Stops listening and breaks everything. */
  close(): Promise<void>;
}

/** Starts a proxy from a free port on 127.0.0.1 to `targetPort` on 127.0.0.1. */
export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const frozen = new WeakSet<net.Socket>();
  let breaks = 0;
  let downstream: (bytes: number) => void = () => {};
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => {
      if (!frozen.has(client)) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (frozen.has(client)) return;
      client.write(d);
      downstream(d.length);
    });
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        get breaks() {
          return breaks;
        },
        breakAll() {
          for (const [a, b] of pairs) {
            a.destroy();
            b.destroy();
            breaks++;
          }
          pairs.clear();
        },
        freezeAll() {
          for (const [client] of pairs) frozen.add(client);
        },
        onDownstream(callback) {
          downstream = callback;
        },
        close() {
          for (const [a, b] of pairs) {
            a.destroy();
            b.destroy();
          }
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}
