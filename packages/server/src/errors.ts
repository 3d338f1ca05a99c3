import { ErrorCode, PlaygroundError } from '@ix-playground/sdk/protocol';

export { ErrorCode, PlaygroundError };

/** A playground manifest is malformed: names the file, the line and the reason. */
export class ManifestError extends PlaygroundError {
  /** Manifest file path. */
  readonly file: string;
  /** 1-based line of the problem (0 if unknown). */
  readonly line: number;
  /** Dotted path of the offending field, if any (e.g. `tasks.0.check`). */
  readonly field: string | undefined;
  /** The reason alone, without file and line. */
  readonly reason: string;
  /** 1-based column of the problem (0 if unknown). */
  readonly column: number;

  constructor(file: string, line: number, reason: string, field?: string, column = 0) {
    super(ErrorCode.Manifest, `${file}${line ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ManifestError';
    this.file = file;
    this.line = line;
    this.field = field;
    this.reason = reason;
    this.column = column;
  }
}

/** A limit was reached: which one, and when trying again may work. */
export class LimitError extends PlaygroundError {
  /** Which limit: `sessions` (the server is full) or `sessions-per-client`. */
  readonly limit: string;
  /** Seconds after which trying again may work. */
  readonly retryAfterSeconds: number;

  constructor(limit: string, retryAfterSeconds: number, message: string) {
    super(ErrorCode.Limit, message);
    this.name = 'LimitError';
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No playground has the name asked for; names the ones there are. */
export class PlaygroundNotFoundError extends PlaygroundError {
  /** The names of the playgrounds this server has. */
  readonly available: string[];

  constructor(name: string, available: string[]) {
    const list = available.length ? `; this server has: ${available.slice(0, 20).join(', ')}${available.length > 20 ? ', …' : ''}` : '; this server has none';
    super(ErrorCode.PlaygroundNotFound, `no playground named "${name.slice(0, 64)}"${list}`);
    this.name = 'PlaygroundNotFoundError';
    this.available = available;
  }
}

/** The sandbox could not be created or used. */
export class SandboxError extends PlaygroundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Sandbox, message, options);
    this.name = 'SandboxError';
  }
}

/** `error` itself when it is a {@link PlaygroundError} (it says what the page is shown); otherwise one with `code` and `message`, caused by it. */
export function asPlaygroundError(error: unknown, code: ErrorCode, message: string): PlaygroundError {
  return error instanceof PlaygroundError ? error : new PlaygroundError(code, message, { cause: error });
}

/** Error codes of the operating system that mean "out of a resource for now", not "broken". */
const EXHAUSTED = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'ENOSPC']);

/**
 * Turns a failure to spawn or open something into a {@link PlaygroundError}: `unavailable` (try
 * again shortly) when the host ran out of descriptors or processes, `sandbox` otherwise; a
 * `PlaygroundError` is passed through as it is.
 */
export function resourceError(what: string, error: unknown): PlaygroundError {
  if (error instanceof PlaygroundError) return error; // it says already what went wrong
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = (error as Error | undefined)?.message ?? String(error);
  if ((code && EXHAUSTED.has(code)) || /EMFILE|ENFILE|EAGAIN|Too many open files|Resource temporarily unavailable/.test(message)) {
    return new PlaygroundError(ErrorCode.Unavailable, `${what}: the server is out of resources right now (${code ?? message}); try again in a moment`, {
      cause: error,
    });
  }
  return new SandboxError(`${what}: ${message}`, { cause: error });
}
