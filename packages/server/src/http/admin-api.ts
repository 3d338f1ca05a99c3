import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PlaygroundError } from '../errors.js';
import type { PlaygroundSession } from '../session/playground-session.js';
import type { SessionManager } from '../session/session-manager.js';

/** One session as an operator sees it. */
export interface SessionSummary {
  /** Session id. */
  id: string;
  /** Its playground. */
  playground: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** Seconds since then. */
  ageSeconds: number;
  /** Attached clients. */
  clients: number;
  /** Bytes of memory its machines use now (0 where the host does not limit memory). */
  memoryBytes: number;
  /** Processes it runs. */
  processes: number;
  /** Its terminals. */
  terminals: number;
  /** Its machines. */
  machines: string[];
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Sessions that live elsewhere (in their pods), as the admin API lists and stops them. */
export interface RemoteAdmin {
  /** Every such session. */
  list(): Promise<SessionSummary[]>;
  /** Ends one (as `kicked`); false when there is no such live session. */
  stop(id: string): Promise<boolean>;
}

/**
 * The operator's API under /api/admin, behind `Authorization: Bearer <IX_ADMIN_TOKEN>`:
 * `GET /api/admin/sessions` lists every session; `DELETE /api/admin/sessions/<id>` ends one.
 * Without IX_ADMIN_TOKEN there is no admin API.
 */
export class AdminApi {
  readonly #token: Buffer | undefined;
  readonly #sessions: SessionManager;
  readonly #remote: RemoteAdmin | undefined;

  /** `remote`: sessions in the cluster, listed and stopped beside this server's own. */
  constructor(token: string | undefined, sessions: SessionManager, remote?: RemoteAdmin) {
    this.#token = token ? digest(token) : undefined;
    this.#sessions = sessions;
    this.#remote = remote;
  }

  /** Answers an /api/admin request (whatever the method); throws a {@link PlaygroundError} for refusals. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, send: (res: ServerResponse, status: number, body: unknown) => void): Promise<void> {
    if (!this.#token) throw new PlaygroundError(ErrorCode.NotFound, 'this server has no admin API: set IX_ADMIN_TOKEN to turn it on');
    const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !timingSafeEqual(digest(given), this.#token))
      throw new PlaygroundError(ErrorCode.Unauthorized, 'the admin API needs "Authorization: Bearer <IX_ADMIN_TOKEN>"');
    if (pathname === '/api/admin/sessions' && req.method === 'GET') {
      const sessions = await Promise.all(this.#sessions.values().map(sessionSummary));
      return send(res, 200, { sessions: [...sessions, ...((await this.#remote?.list()) ?? [])] });
    }
    const stop = /^\/api\/admin\/sessions\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
    if (stop && req.method === 'DELETE') {
      const id = stop[1] as string;
      const session = this.#sessions.get(id);
      if (session) await session.end('kicked');
      else if (!(await this.#remote?.stop(id))) throw new PlaygroundError(ErrorCode.SessionNotFound, `no session ${id}`);
      return send(res, 200, { stopped: id });
    }
    throw new PlaygroundError(ErrorCode.NotFound, `no admin route ${req.method} ${pathname}`);
  }
}

/** What the admin API says of a session of this process. */
export async function sessionSummary(session: PlaygroundSession): Promise<SessionSummary> {
  const usage = await session.usage();
  return {
    id: session.id,
    playground: session.manifest.name,
    createdAt: new Date(session.createdAt).toISOString(),
    ageSeconds: Math.round((Date.now() - session.createdAt) / 1000),
    clients: session.clientCount,
    memoryBytes: usage.memoryBytes,
    processes: usage.processes,
    terminals: session.terminals.size,
    machines: session.machines,
  };
}
