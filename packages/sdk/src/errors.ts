/**
 * Every error code ix-playground reports, in one place. Programs switch on `code`; people read `message`.
 */
export const ErrorCode = {
  /** A frame or message broke docs/protocol.md. */
  Protocol: 'protocol',
  /** The peer does not speak a protocol version we speak. */
  Version: 'version',
  /** The session token was missing or wrong. */
  Unauthorized: 'unauthorized',
  /** The page's origin is not on the server's allowlist. */
  Origin: 'origin',
  /** No session with that id (it ended, expired or never existed). */
  SessionNotFound: 'session-not-found',
  /** No playground manifest with that name. */
  PlaygroundNotFound: 'playground-not-found',
  /** A server limit was hit (sessions, frame size, input rate). */
  Limit: 'limit',
  /** The network failed or the server could not be reached. */
  Network: 'network',
  /** The request was invalid (bad JSON, bad field). */
  BadRequest: 'bad-request',
  /** The sandbox could not start. */
  Sandbox: 'sandbox',
  /** A playground manifest is malformed. */
  Manifest: 'manifest',
  /** The session has ended; nothing more can be sent. */
  Ended: 'ended',
  /** Read-only clients may not send input. */
  ReadOnly: 'read-only',
  /** No such HTTP route. */
  NotFound: 'not-found',
  /** The HTTP method is not allowed on that route. */
  MethodNotAllowed: 'method-not-allowed',
  /** The server is out of a resource (file descriptors, processes) for the moment; try again shortly. */
  Unavailable: 'unavailable',
  /** Something went wrong on the server that is not the client's fault. */
  Internal: 'internal',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class of ix-playground: a readable message plus a stable `code`. */
export class PlaygroundError extends Error {
  /** Stable machine-readable reason; see {@link ErrorCode}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlaygroundError';
    this.code = code;
  }
}
