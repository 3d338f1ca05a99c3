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

  constructor(file: string, line: number, reason: string, field?: string) {
    super(ErrorCode.Manifest, `${file}${line ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ManifestError';
    this.file = file;
    this.line = line;
    this.field = field;
    this.reason = reason;
  }
}

/** The sandbox could not be created or used. */
export class SandboxError extends PlaygroundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Sandbox, message, options);
    this.name = 'SandboxError';
  }
}
