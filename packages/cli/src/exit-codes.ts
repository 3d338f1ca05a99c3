/** The CLI's exit codes (docs/cli.md). */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Failed: problems found, the server refused, the connection was lost. */
  Failed: 1,
  /** Wrong usage: an unknown command or option, a missing argument. */
  Usage: 2,
} as const;

/** A mistake in how a command was called; the CLI prints it with the command's help and exits 2. */
export class UsageError extends Error {
  /** Always `usage`. */
  readonly code = 'usage';
}
