import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, LimitError, PlaygroundError, PlaygroundNotFoundError, asPlaygroundError } from '../errors.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { OriginPolicy } from './origin-policy.js';
import type { AdminApi } from './admin-api.js';
import type { ProxyTrust } from './client-address.js';
import type { SessionCredentials } from '../session/session-credentials.js';
import type { SessionTokens } from './session-tokens.js';
import type { SavedFiles, SnapshotStore } from '../session/snapshot-store.js';
import { ProgressReply } from './progress-reply.js';
import { RELAY_PATH, type EventRelay } from './event-relay.js';

const MAX_BODY = 16 * 1024;

/** The HTTP status of every error code; the compiler checks that none is missing. */
const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.Protocol]: 400,
  [ErrorCode.Version]: 400,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Cancelled]: 400,
  [ErrorCode.Manifest]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Origin]: 403,
  [ErrorCode.ReadOnly]: 403,
  [ErrorCode.PlaygroundNotFound]: 404,
  [ErrorCode.SessionNotFound]: 404,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.Ended]: 410,
  [ErrorCode.Limit]: 429,
  [ErrorCode.Internal]: 500,
  [ErrorCode.Network]: 502,
  [ErrorCode.Sandbox]: 503,
  [ErrorCode.Unavailable]: 503,
};

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** The HTTP status and JSON body of a {@link PlaygroundError}. */
function errorAnswer(error: PlaygroundError): { status: number; body: { error: object } } {
  const details =
    error instanceof LimitError
      ? { limit: error.limit, retryAfter: error.retryAfterSeconds }
      : error instanceof PlaygroundNotFoundError
        ? { available: error.available }
        : {};
  return { status: STATUS[error.code], body: { error: { code: error.code, message: error.message, ...details } } };
}

/** Sends a {@link PlaygroundError} as `{ error: { code, message } }` with a fitting HTTP status. */
export function sendError(res: ServerResponse, error: PlaygroundError, headers: Record<string, string> = {}): void {
  const { status, body } = errorAnswer(error);
  sendJson(res, status, body, headers);
}

/** An anonymous owner key a page keeps (16 to 200 URL-safe characters), or undefined. */
function ownerKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{16,200}$/.test(value))
    throw new PlaygroundError(ErrorCode.BadRequest, 'owner must be 16 to 200 letters, digits, - or _');
  return `key:${value}`;
}

/** The token of an `Authorization: Bearer …` header (tokens never travel in URLs). */
function bearer(req: IncomingMessage): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1])
    throw new PlaygroundError(
      ErrorCode.Unauthorized,
      'this server needs a signed session token from the page\'s site: send it as "Authorization: Bearer <token>"',
    );
  return m[1];
}

/** A request's body as text, at most {@link MAX_BODY} bytes. */
async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PlaygroundError(ErrorCode.BadRequest, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  try {
    return JSON.parse(text || 'null');
  } catch {
    throw new PlaygroundError(ErrorCode.BadRequest, 'request body is not valid JSON');
  }
}

/** What the API needs of sessions: to start one (in this process, or in the cluster). */
export interface SessionStarter {
  create(
    manifest: Manifest,
    client: string,
    start: { owner?: string | undefined; restore?: SavedFiles; progress?: (line: string) => void },
  ): Promise<{ id: string; credentials: SessionCredentials }>;
}

/** The JSON API under `/api`: list playgrounds, create sessions. */
export class HttpApi {
  #manifests: () => ReadonlyMap<string, Manifest>;
  #sessions: SessionStarter;
  #origins: OriginPolicy;
  #tokens: SessionTokens | undefined;
  #proxies: ProxyTrust | undefined;
  #admin: AdminApi | undefined;
  #snapshots: SnapshotStore | undefined;
  #relay: EventRelay | undefined;

  /** With `tokens`, creating a session needs a signed token (`Authorization: Bearer …`); `proxies` name the client behind a proxy. */
  constructor(
    manifests: () => ReadonlyMap<string, Manifest>,
    sessions: SessionStarter,
    origins: OriginPolicy,
    options: {
      tokens?: SessionTokens | undefined;
      proxies?: ProxyTrust | undefined;
      admin?: AdminApi | undefined;
      snapshots?: SnapshotStore | undefined;
      relay?: EventRelay | undefined;
    } = {},
  ) {
    this.#manifests = manifests;
    this.#sessions = sessions;
    this.#origins = origins;
    this.#tokens = options.tokens;
    this.#proxies = options.proxies;
    this.#admin = options.admin;
    this.#snapshots = options.snapshots;
    this.#relay = options.relay;
  }

  /** The saved playground a session request asks to start from: `restore` (its owner only) or `fork` (anyone with its id). */
  async #snapshotFor(body: { restore?: unknown; fork?: unknown }, owner: string | undefined, playground: string): Promise<SavedFiles | undefined> {
    const id = body.restore ?? body.fork;
    if (id === undefined) return undefined;
    if (body.restore !== undefined && body.fork !== undefined) throw new PlaygroundError(ErrorCode.BadRequest, 'ask for restore or fork, not both');
    if (typeof id !== 'string') throw new PlaygroundError(ErrorCode.BadRequest, 'restore and fork take a saved playground id');
    if (!this.#snapshots) throw new PlaygroundError(ErrorCode.NotFound, 'this server does not save playgrounds');
    const { meta, files } = await this.#snapshots.open(id, owner, body.restore !== undefined ? 'restore' : 'fork');
    if (meta.playground !== playground)
      throw new PlaygroundError(ErrorCode.BadRequest, `that saved playground is of "${meta.playground}", not "${playground}"`);
    return files;
  }

  /** Handles a request under /api; answers false if the path is not an API route. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (!pathname.startsWith('/api/')) return false;
    const origin = req.headers.origin;
    // Pages may read every answer, refusals included: a page on a disallowed origin learns that it
    // is not allowed (and its owner which origin to add), never anything else.
    const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (req.method !== 'OPTIONS' && !this.#origins.allows(origin)) {
      sendError(
        res,
        new PlaygroundError(
          ErrorCode.Origin,
          `this page's origin ${origin} is not allowed to use this playground server: its operator must add ${origin} to IX_ORIGINS`,
        ),
        cors,
      );
      return true;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type, authorization, x-ix-owner',
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    }
    let reply: ProgressReply | undefined;
    try {
      if (pathname.startsWith('/api/admin/') && this.#admin) {
        await this.#admin.handle(req, res, pathname, (r, status, body) => sendJson(r, status, body, cors));
        return true;
      }
      if (pathname === RELAY_PATH && req.method === 'POST' && this.#relay) {
        await this.#relay.handle(req, res, await readText(req));
        return true;
      }
      if (pathname === '/api/playgrounds' && req.method === 'GET') {
        const list = [...this.#manifests().values()].map((m) => ({ name: m.name, title: m.title, tasks: m.tasks.length }));
        sendJson(res, 200, { playgrounds: list }, cors);
        return true;
      }
      if (pathname === '/api/sessions' && req.method === 'POST') {
        const token = this.#tokens ? bearer(req) : undefined;
        const body = ((await readJson(req)) ?? {}) as { playground?: unknown; owner?: unknown; restore?: unknown; fork?: unknown };
        const asked = body.playground;
        if (asked !== undefined && (typeof asked !== 'string' || !asked))
          throw new PlaygroundError(ErrorCode.BadRequest, 'body must be {"playground": "<name>"}');
        const grant = token !== undefined ? await this.#tokens?.verify(token, asked) : undefined;
        const name = asked ?? grant?.playground;
        if (!name) throw new PlaygroundError(ErrorCode.BadRequest, 'body must be {"playground": "<name>"}');
        const manifest = this.#manifests().get(name);
        if (!manifest) throw new PlaygroundNotFoundError(name, [...this.#manifests().keys()]);
        // A signed token's user owns what the session saves; without one, the page's anonymous key.
        const owner = grant?.user ? `user:${grant.user}` : ownerKey(body.owner);
        const restore = await this.#snapshotFor(body, owner, name);
        // A signed token's user is the client the limits count; anonymous clients, their address.
        const client = grant?.user ? `user:${grant.user}` : (this.#proxies?.clientOf(req) ?? req.socket.remoteAddress ?? 'unknown');
        reply = new ProgressReply(req, res, cors);
        const progress = reply.progress.bind(reply);
        const session = await this.#sessions.create(manifest, client, { owner, ...(restore ? { restore } : {}), progress });
        const answer = { id: session.id, token: session.credentials.token, spectatorToken: session.credentials.spectatorToken };
        if (!reply.end(201, answer)) sendJson(res, 201, answer, cors);
        return true;
      }
      if (pathname === '/api/snapshots' && req.method === 'GET') {
        if (!this.#snapshots) throw new PlaygroundError(ErrorCode.NotFound, 'this server does not save playgrounds');
        const owner = ownerKey(req.headers['x-ix-owner']);
        if (!owner) throw new PlaygroundError(ErrorCode.BadRequest, 'send your owner key in the X-IX-Owner header');
        const playground = new URL(req.url ?? '/', 'http://x').searchParams.get('playground') ?? undefined;
        sendJson(res, 200, { snapshots: await this.#snapshots.list(owner, playground) }, cors);
        return true;
      }
      sendError(res, new PlaygroundError(ErrorCode.NotFound, `no API route ${req.method} ${pathname}`), cors);
    } catch (error) {
      const err = asPlaygroundError(error, ErrorCode.Internal, 'internal error');
      if (err.code === ErrorCode.Internal || err.code === ErrorCode.Sandbox || err.code === ErrorCode.Unavailable)
        console.error('[ix-playground]', err.message);
      if (err.code === ErrorCode.Unavailable) Object.assign(cors, { 'retry-after': '5' });
      if (err instanceof LimitError) Object.assign(cors, { 'retry-after': String(err.retryAfterSeconds) });
      const { status, body } = errorAnswer(err);
      if (!reply?.end(status, body)) sendJson(res, status, body, cors);
    }
    return true;
  }
}
