import { ErrorCode, PlaygroundError } from './errors.js';
import type { BackoffOptions } from './backoff.js';
import { errorCodeOf, type AttachMode, type SnapshotInfo } from './protocol.js';
import type { SessionAnswer } from './progress-lines.js';
import { Session } from './session.js';
import type { WebSocketConstructor } from './websocket.js';

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** Base URL of the playground server, e.g. `http://localhost:8080`. */
  server: string;
  /** Name of the playground manifest to start. */
  playground: string;
  /** A session to resume instead of creating a new one (id and token from an earlier session). */
  resume?: { id: string; token: string };
  /** Read-write (default) or read-only spectator; read-only needs `resume`. */
  mode?: AttachMode;
  /** WebSocket implementation; defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Reconnect with backoff after a lost connection (default on); `false` turns it off. */
  reconnect?: BackoffOptions | false;
  /** Acknowledge output yourself with `session.ack()` once rendered (see {@link Session}). */
  manualAck?: boolean;
  /** A signed session token from your site's backend, or a function that fetches a fresh one (see {@link TokenSource}). */
  token?: TokenSource;
  /** An anonymous owner key, for saving and restoring (see {@link CreateSessionOptions.owner}). */
  owner?: string;
  /** Start from a saved playground of the owner's. */
  restore?: string;
  /** Start from a copy of someone's saved playground. */
  fork?: string;
  /** Hears what the server says while the machines start (see {@link CreateSessionOptions.onProgress}). */
  onProgress?: (line: string) => void;
}

/**
 * Where a signed session token comes from, for servers that require one: the token itself (it
 * starts one session, once), or a function the SDK calls for a fresh token each time it starts a
 * session. Tokens travel in an `Authorization` header, never in a URL.
 */
export type TokenSource = string | (() => string | Promise<string>);

/** Options of {@link createSession}. */
export interface CreateSessionOptions {
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** A signed session token, or a function that fetches one (servers that require them). */
  token?: TokenSource;
  /** An anonymous owner key (16 to 200 URL-safe characters, kept by the page): who may save and restore. */
  owner?: string;
  /** Start from a saved playground of the owner's (its id). */
  restore?: string;
  /** Start from a copy of someone's saved playground (its id). */
  fork?: string;
  /**
   * Hears what the server says while the machines start ("downloading the image …"), on servers
   * whose machines take a while (a cluster pulling an image); others just answer.
   */
  onProgress?: (line: string) => void;
}

/** The content type of an answer that tells progress before its outcome (docs/protocol.md, §3.3). */
const PROGRESS_TYPE = 'application/x-ndjson';

/** Lists an owner's saved playgrounds (of one playground, when named), newest first. */
export async function listSnapshots(server: string, owner: string, playground?: string, fetchImpl: typeof fetch = globalThis.fetch): Promise<SnapshotInfo[]> {
  gatewayUrl(server);
  const url = `${server.replace(/\/$/, '')}/api/snapshots${playground ? `?playground=${encodeURIComponent(playground)}` : ''}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { 'x-ix-owner': owner } });
  } catch (cause) {
    throw new PlaygroundError(ErrorCode.Network, `cannot reach the playground server at ${server}`, { cause });
  }
  const body = (await response.json().catch(() => ({}))) as { snapshots?: SnapshotInfo[]; error?: { code?: string; message?: string } };
  if (!response.ok) throw new PlaygroundError(errorCodeOf(body.error?.code), body.error?.message ?? `HTTP ${response.status}`);
  return body.snapshots ?? [];
}

/** What the server answers to a session request. */
export interface SessionTicket {
  /** Session id. */
  id: string;
  /** Secret token to attach with (read-write). */
  token: string;
  /** Token that only attaches read-only, to share with spectators (absent when resuming). */
  spectatorToken?: string;
}

/** Builds the gateway's WebSocket URL from the server's HTTP base URL. */
export function gatewayUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new PlaygroundError(ErrorCode.BadRequest, `server must be an absolute http(s) URL, got "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PlaygroundError(ErrorCode.BadRequest, `server must be an http(s) URL, got "${server}"`);
  }
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/$/, '') + '/api/ws';
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Asks the server to start a new session of a playground. */
export async function createSession(server: string, playground: string, options: CreateSessionOptions = {}): Promise<SessionTicket> {
  gatewayUrl(server); // validates the URL with a clear error
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const url = server.replace(/\/$/, '') + '/api/sessions';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) {
    let token: string;
    try {
      token = typeof options.token === 'function' ? await options.token() : options.token;
    } catch (cause) {
      throw new PlaygroundError(ErrorCode.Unauthorized, `could not get a session token: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    if (typeof token !== 'string' || !token) throw new PlaygroundError(ErrorCode.Unauthorized, 'the session token is empty');
    headers.authorization = `Bearer ${token}`;
  }
  let response: Response;
  try {
    const { owner, restore, fork } = options;
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { ...headers, accept: `application/json, ${PROGRESS_TYPE}` },
      body: JSON.stringify({ playground, ...(owner ? { owner } : {}), ...(restore ? { restore } : {}), ...(fork ? { fork } : {}) }),
    });
  } catch (cause) {
    throw new PlaygroundError(ErrorCode.Network, `cannot reach the playground server at ${server}`, { cause });
  }
  let body: SessionAnswer;
  let ok = response.ok;
  if ((response.headers.get('content-type') ?? '').startsWith(PROGRESS_TYPE)) {
    try {
      // Only servers whose machines take a while answer with lines: the reader is a chunk of its own.
      const { readProgress } = await import('./progress-lines.js');
      body = await readProgress(response, server, options.onProgress);
    } catch (cause) {
      throw cause instanceof PlaygroundError ? cause : new PlaygroundError(ErrorCode.Network, `the answer from ${server} broke off`, { cause });
    }
    ok = Number(body.status) < 300;
  } else {
    try {
      body = (await response.json()) as SessionAnswer;
    } catch (cause) {
      throw new PlaygroundError(ErrorCode.Protocol, `the server at ${server} did not answer with JSON (HTTP ${response.status})`, { cause });
    }
  }
  if (!ok) {
    const code = errorCodeOf(body.error?.code);
    throw new PlaygroundError(code, body.error?.message ?? `the server refused the session (HTTP ${String(body.status ?? response.status)})`);
  }
  if (typeof body.id !== 'string' || typeof body.token !== 'string') {
    throw new PlaygroundError(ErrorCode.Protocol, 'the server answered without a session id and token');
  }
  return { id: body.id, token: body.token, ...(typeof body.spectatorToken === 'string' ? { spectatorToken: body.spectatorToken } : {}) };
}

/**
 * Starts (or resumes) a playground session and attaches to it.
 *
 * @example
 * const session = await connect({ server: 'http://localhost:8080', playground: 'hello' });
 * session.on('output', ({ data }) => process.stdout.write(data));
 * session.write(0, 'echo hi\r');
 */
export async function connect(options: ConnectOptions): Promise<Session> {
  const ticket =
    options.resume ??
    (await createSession(options.server, options.playground, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.owner ? { owner: options.owner } : {}),
      ...(options.restore ? { restore: options.restore } : {}),
      ...(options.fork ? { fork: options.fork } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }));
  const session = new Session({
    url: gatewayUrl(options.server),
    id: ticket.id,
    token: ticket.token,
    mode: options.mode,
    WebSocket: options.WebSocket,
    reconnect: options.reconnect,
    manualAck: options.manualAck,
  });
  await session.open();
  return session;
}
