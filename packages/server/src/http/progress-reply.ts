import type { IncomingMessage, ServerResponse } from 'node:http';

/** The content type of a session request answered with progress lines (docs/protocol.md, §2). */
export const PROGRESS_TYPE = 'application/x-ndjson';

/**
 * The answer to a session request, which may become a stream of progress lines: a client that
 * accepts {@link PROGRESS_TYPE} gets `{"progress": "…"}` lines while its machines start (an image
 * pulled, a pod placed), then one last line with the status and the answer's JSON. A request that
 * makes no progress to tell, or whose client does not ask for it, is answered with plain JSON.
 */
export class ProgressReply {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string>;
  readonly #wanted: boolean;
  #streaming = false;
  #last: string | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>) {
    this.#res = res;
    this.#headers = headers;
    this.#wanted = (req.headers.accept ?? '').includes(PROGRESS_TYPE);
  }

  /** Whether progress lines were sent (the answer's status is then 200, its outcome in the last line). */
  get streaming(): boolean {
    return this.#streaming;
  }

  /** Tells the client a line of progress; the same line twice in a row is told once. */
  progress(line: string): void {
    if (!this.#wanted || this.#res.writableEnded || line === this.#last) return;
    this.#last = line;
    if (!this.#streaming) {
      this.#streaming = true;
      this.#res.writeHead(200, { 'content-type': `${PROGRESS_TYPE}; charset=utf-8`, 'cache-control': 'no-store', ...this.#headers });
    }
    this.#res.write(JSON.stringify({ progress: line }) + '\n');
  }

  /** Ends a stream with the answer, `{"status": 201, …body}`; false when no stream began (answer as usual). */
  end(status: number, body: object): boolean {
    if (!this.#streaming) return false;
    this.#res.end(JSON.stringify({ status, ...body }) + '\n');
    return true;
  }
}
