import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PlaygroundError } from './errors.js';
import type { Manifest } from './manifest-schema.js';
import type { OriginPolicy } from './origin-policy.js';
import type { SessionManager } from './session-manager.js';

const MAX_BODY = 16 * 1024;

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Origin]: 403,
  [ErrorCode.PlaygroundNotFound]: 404,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.Limit]: 429,
  [ErrorCode.Sandbox]: 503,
};

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Sends a {@link PlaygroundError} as `{ error: { code, message } }` with a fitting HTTP status. */
export function sendError(res: ServerResponse, error: PlaygroundError, headers: Record<string, string> = {}): void {
  sendJson(res, STATUS[error.code] ?? 500, { error: { code: error.code, message: error.message } }, headers);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PlaygroundError(ErrorCode.BadRequest, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new PlaygroundError(ErrorCode.BadRequest, 'request body is not valid JSON');
  }
}

/** The JSON API under `/api`: list playgrounds, create sessions. */
export class HttpApi {
  #manifests: () => ReadonlyMap<string, Manifest>;
  #sessions: SessionManager;
  #origins: OriginPolicy;

  constructor(manifests: () => ReadonlyMap<string, Manifest>, sessions: SessionManager, origins: OriginPolicy) {
    this.#manifests = manifests;
    this.#sessions = sessions;
    this.#origins = origins;
  }

  /** Handles a request under /api; answers false if the path is not an API route. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (!pathname.startsWith('/api/')) return false;
    const origin = req.headers.origin;
    if (!this.#origins.allows(origin)) {
      sendError(res, new PlaygroundError(ErrorCode.Origin, `origin ${origin} is not allowed to use this server`));
      return true;
    }
    const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
      res.end();
      return true;
    }
    try {
      if (pathname === '/api/playgrounds' && req.method === 'GET') {
        const list = [...this.#manifests().values()].map((m) => ({ name: m.name, title: m.title, tasks: m.tasks.length }));
        sendJson(res, 200, { playgrounds: list }, cors);
        return true;
      }
      if (pathname === '/api/sessions' && req.method === 'POST') {
        const body = await readJson(req);
        const name = (body as { playground?: unknown } | null)?.playground;
        if (typeof name !== 'string' || !name) throw new PlaygroundError(ErrorCode.BadRequest, 'body must be {"playground": "<name>"}');
        const manifest = this.#manifests().get(name);
        if (!manifest) throw new PlaygroundError(ErrorCode.PlaygroundNotFound, `no playground named "${name.slice(0, 64)}"`);
        const session = await this.#sessions.create(manifest, req.socket.remoteAddress ?? 'unknown');
        sendJson(res, 201, { id: session.id, token: session.token, spectatorToken: session.spectatorToken }, cors);
        return true;
      }
      sendError(res, new PlaygroundError(ErrorCode.NotFound, `no API route ${req.method} ${pathname}`), cors);
    } catch (error) {
      const err = error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Internal, 'internal error', { cause: error });
      if (err.code === ErrorCode.Internal || err.code === ErrorCode.Sandbox) console.error('[ix-playground]', error);
      sendError(res, err, cors);
    }
    return true;
  }
}
