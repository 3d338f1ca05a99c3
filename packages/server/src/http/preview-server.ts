import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PreviewInfo } from '@ix-playground/sdk/protocol';
import type { PlaygroundSession } from '../session/playground-session.js';
import { base32 } from './base32.js';

/** What a preview key opens: one port of one machine of one session. */
interface Target {
  session: PlaygroundSession;
  machine: string;
  port: number;
  info: PreviewInfo;
}

/** Options of a {@link PreviewServer}. */
export interface PreviewServerOptions {
  /** Address to listen on. */
  host: string;
  /** Port to listen on (0: any free one). */
  port: number;
  /**
   * How a preview's URL is made from its key: `{key}` and `{port}` are replaced. Default
   * `http://{key}.localhost:{port}/` (browsers send *.localhost to the loopback address).
   */
  urlTemplate?: string | undefined;
  /** Previews of sessions that live elsewhere (in their pods), by a key this server did not grant. */
  remote?: RemotePreviews | undefined;
}

/** Where the previews of sessions that live elsewhere lead. */
export interface RemotePreviews {
  /** The address a preview key opens (a pod's), or undefined when it is no valid key of a live session. */
  locatePreview(key: string): Promise<{ host: string; port: number; machine: string } | undefined>;
}

/** What a preview says when no server listens on its port. */
const nothingAnswers = (target: { port: number; machine: string }) =>
  `nothing answers on port ${target.port} of ${target.machine} yet: start a server there, then reload`;

/** Where a preview request goes: a connection to the learner's server, and what to call it. */
interface Route {
  machine: string;
  port: number;
  connect(): Promise<Duplex>;
}

/**
 * Web previews: a listener of its own that proxies HTTP and WebSocket requests to one port of one
 * machine of one session, chosen by an unguessable key in the host name. Every preview is an origin
 * of its own (`<key>.localhost:<port>`, or under a preview domain), never the server's: a page a
 * learner serves cannot read the server's pages, cookies or tokens, nor another preview's.
 */
export class PreviewServer {
  readonly #options: PreviewServerOptions;
  readonly #targets = new Map<string, Target>();
  readonly #bySession = new Map<string, Map<string, string>>();
  readonly #server: Server;
  #port = 0;

  constructor(options: PreviewServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      void this.#route(req).then((target) => {
        if (!target) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no such preview (the playground may have ended)');
          return;
        }
        void target
          .connect()
          .then((socket) => {
            const upstream = request(
              { createConnection: () => socket, method: req.method, path: req.url, headers: { ...req.headers, host: `localhost:${target.port}` } },
              (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
              },
            );
            upstream.on('error', () => {
              if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
              res.end(nothingAnswers(target));
            });
            req.pipe(upstream);
          })
          .catch((error: Error) => res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(error.message));
      });
    });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Starts listening (on `port`, default the configured one); answers the port. */
  async listen(port = this.#options.port): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.#port;
  }

  /** The preview of `port` on `machine` of a session: the same URL every time it is asked for. */
  grant(session: PlaygroundSession, machine: string, port: number, title = ''): PreviewInfo {
    let keys = this.#bySession.get(session.id);
    if (!keys) {
      keys = new Map();
      this.#bySession.set(session.id, keys);
      session.on('ended', () => this.#revoke(session.id));
    }
    const existing = keys.get(`${machine}:${port}`);
    if (existing) return (this.#targets.get(existing) as Target).info;
    // Host names are case-insensitive: lowercase base32, 26 characters (130 bits).
    const key = base32(randomBytes(17)).slice(0, 26);
    const info: PreviewInfo = { machine, port, title: title || `Port ${port}`, url: this.urlPattern.replace('{key}', key) };
    keys.set(`${machine}:${port}`, key);
    this.#targets.set(key, { session, machine, port, info });
    return info;
  }

  /** Stops listening and forgets every preview. */
  async close(): Promise<void> {
    this.#targets.clear();
    this.#bySession.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #revoke(sessionId: string): void {
    for (const key of this.#bySession.get(sessionId)?.values() ?? []) this.#targets.delete(key);
    this.#bySession.delete(sessionId);
  }

  /** The URL of previews with `{key}` still to fill (the port is this listener's), for agents that grant them. */
  get urlPattern(): string {
    return (this.#options.urlTemplate ?? 'http://{key}.localhost:{port}/').replace('{port}', String(this.#port));
  }

  /** Where a request's preview key leads: a session of this server's, or one elsewhere. */
  async #route(req: IncomingMessage): Promise<Route | undefined> {
    const key = /^([a-z2-7]{26,40})\./.exec((req.headers.host ?? '').toLowerCase())?.[1];
    if (!key) return undefined;
    const local = this.#targets.get(key);
    if (local) {
      if (local.session.endReason) return undefined;
      return { machine: local.machine, port: local.port, connect: () => local.session.connect(local.port, local.machine) };
    }
    const remote = await this.#options.remote?.locatePreview(key).catch(() => undefined);
    if (!remote) return undefined;
    return {
      machine: remote.machine,
      port: remote.port,
      connect: () =>
        new Promise<Duplex>((resolve, reject) => {
          const socket = connect(remote.port, remote.host);
          socket.once('connect', () => resolve(socket));
          socket.once('error', () => reject(new Error(nothingAnswers(remote))));
        }),
    };
  }

  /** A WebSocket (or any upgrade) to the learner's server: the request head, then both ways raw. */
  #upgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    client.on('error', () => client.destroy());
    void this.#route(req)
      .then((target) => {
        if (!target) {
          client.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        return target.connect().then((upstream) => {
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
          const headers = Object.entries({ ...req.headers, host: `localhost:${target.port}` }).flatMap(([k, v]) =>
            Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : v === undefined ? [] : [`${k}: ${v}`],
          );
          upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
          if (head.length) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
      })
      .catch(() => client.destroy());
  }
}
