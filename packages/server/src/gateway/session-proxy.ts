import WebSocket, { type RawData } from 'ws';
import { CloseCode, END_REASON_CLOSE_CODES, ErrorCode, MAX_FRAME_BYTES, PROTOCOL, PlaygroundError, type EndReason } from '@ix-playground/sdk/protocol';

/**
 * Where a session that lives elsewhere (in its pod) is: its agent's WebSocket URL and secret, or
 * how it ended (`message` says what happened to it, an eviction say), or undefined for no such session.
 */
export type SessionWhereabouts = { url: string; token: string } | { ended: { reason: EndReason; message?: string } } | undefined;

/** Where sessions that live elsewhere are, for the gateway to reach them. */
export interface RemoteSessions {
  /** The session's agent, or how it ended, from the cluster. */
  locate(id: string): Promise<SessionWhereabouts>;
}

/** Messages a client may send before the session's agent has answered; more is a client flooding. */
const MAX_BUFFERED = 256;

/**
 * A page's WebSocket carried to the agent that runs its session, frame for frame: the attach
 * message first, then everything both ways, close codes included, so resume, flow control and
 * the session's own errors work as they do on a gateway that holds the session. Nothing of the
 * session is kept here: another gateway can carry the page's next connection.
 */
export class SessionProxy {
  readonly #client: WebSocket;
  #upstream: WebSocket | undefined;
  #buffered: { data: RawData | string; binary: boolean }[] = [];
  #closed = false;

  readonly #locate: () => Promise<SessionWhereabouts>;

  /** `locate` finds the session (again, when its agent's connection breaks: it may have ended). */
  constructor(client: WebSocket, attach: string, locate: () => Promise<SessionWhereabouts>, fail: (code: number, error: PlaygroundError) => void) {
    this.#client = client;
    this.#locate = locate;
    this.#buffered.push({ data: attach, binary: false });
    locate().then(
      (where) => {
        if (this.#closed) return;
        if (!where) return fail(CloseCode.NotFound, new PlaygroundError(ErrorCode.SessionNotFound, 'no such session (it may have ended or expired)'));
        if ('ended' in where) return this.#ended(where.ended);
        this.#open(where, fail);
      },
      (error: Error) => fail(CloseCode.Internal, new PlaygroundError(ErrorCode.Unavailable, `cannot find the session: ${error.message}`)),
    );
  }

  /** Tells the page its session ended, and why when the cluster ended it. */
  #ended({ reason, message }: { reason: EndReason; message?: string }): void {
    if (this.#client.readyState !== WebSocket.OPEN) return;
    if (message) this.#client.send(JSON.stringify({ type: 'notice', level: 'error', message: `${message[0]?.toUpperCase()}${message.slice(1)}.` }));
    this.#client.send(JSON.stringify({ type: 'ended', reason }));
    this.#client.close(END_REASON_CLOSE_CODES[reason], `session ${reason}`);
  }

  #open(where: { url: string; token: string }, fail: (code: number, error: PlaygroundError) => void): void {
    const upstream = new WebSocket(where.url, PROTOCOL, {
      headers: { authorization: `Bearer ${where.token}` },
      maxPayload: MAX_FRAME_BYTES * 2,
      perMessageDeflate: false,
    });
    this.#upstream = upstream;
    upstream.on('open', () => {
      for (const { data, binary } of this.#buffered.splice(0)) upstream.send(data, { binary });
    });
    upstream.on('message', (data: RawData, binary: boolean) => {
      if (this.#client.readyState === WebSocket.OPEN) this.#client.send(data, { binary });
    });
    upstream.on('close', (code, reason) => {
      // The agent's own codes (ended, kicked, expired…) reach the page as they are.
      if (code >= 4000 && code < 5000) {
        if (this.#client.readyState === WebSocket.OPEN) this.#client.close(code, reason.toString().slice(0, 120));
        return;
      }
      // The agent's connection broke: its pod may be gone (evicted, out of memory), which the page
      // hears with the cluster's reason; otherwise it is a failure the page retries.
      const retry = () => this.#client.readyState === WebSocket.OPEN && this.#client.close(CloseCode.Internal, "the session's machine went away");
      if (this.#closed) return;
      this.#locate().then((now) => (now && 'ended' in now ? this.#ended(now.ended) : retry()), retry);
    });
    upstream.on('error', (error) => {
      if (upstream.readyState !== WebSocket.OPEN)
        fail(CloseCode.Internal, new PlaygroundError(ErrorCode.Unavailable, `the session's machine cannot be reached: ${error.message}`));
    });
  }

  /** A frame from the page. */
  fromClient(data: RawData, binary: boolean): void {
    const upstream = this.#upstream;
    if (upstream?.readyState === WebSocket.OPEN) return upstream.send(data, { binary });
    if (this.#buffered.length >= MAX_BUFFERED) return this.#client.close(CloseCode.Limit, 'too many messages before the session answered');
    this.#buffered.push({ data, binary });
  }

  /** The page went away: so does the connection to the agent (which then counts one client less). */
  close(): void {
    this.#closed = true;
    this.#upstream?.close(1000);
  }
}
