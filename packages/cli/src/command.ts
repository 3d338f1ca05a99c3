import type { ParseArgsConfig } from 'node:util';

/** One command of the CLI: its options, its help, and what it does with what was parsed. */
export interface Command {
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** `parseArgs` options (besides `--help`). */
  options: NonNullable<ParseArgsConfig['options']>;
  /** Runs the command; answers the exit code. */
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}
