import WebSocket, { type RawData } from 'ws';
import { CloseCode, ErrorCode, MAX_FRAME_BYTES, PROTOCOL, PlaygroundError } from '@ix-playground/sdk/protocol';

/** Where a session that lives elsewhere (in its pod) is, for the gateway to reach it. */
export interface RemoteSessions {
  /** The session's agent, from the cluster; undefined when there is no such live session. */
  locate(id: string): Promise<{ url: string; token: string } | undefined>;
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

  constructor(
    client: WebSocket,
    attach: string,
    location: Promise<{ url: string; token: string } | undefined>,
    fail: (code: number, error: PlaygroundError) => void,
  ) {
    this.#client = client;
    this.#buffered.push({ data: attach, binary: false });
    location.then(
      (where) => {
        if (this.#closed) return;
        if (!where) return fail(CloseCode.NotFound, new PlaygroundError(ErrorCode.SessionNotFound, 'no such session (it may have ended or expired)'));
        this.#open(where, fail);
      },
      (error: Error) => fail(CloseCode.Internal, new PlaygroundError(ErrorCode.Unavailable, `cannot find the session: ${error.message}`)),
    );
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
      // The agent's own codes (ended, kicked, expired…) reach the page as they are; the pod gone is a server failure the page retries.
      const known = code >= 4000 && code < 5000 ? code : CloseCode.Internal;
      if (this.#client.readyState === WebSocket.OPEN) this.#client.close(known, reason.toString().slice(0, 120));
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
