import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { agentImage } from './commands/agent-image.js';
import { attach } from './commands/attach.js';
import { check } from './commands/check.js';
import { ls, stop } from './commands/admin.js';
import { portForward } from './commands/port-forward.js';
import { serve } from './commands/serve.js';
import { ExitCode, UsageError } from './exit-codes.js';

const COMMANDS: Record<string, Command> = { serve, check, attach, 'port-forward': portForward, ls, stop, 'agent-image': agentImage };

const GENERAL = `ix-playground: live, sandboxed Linux terminals for web pages

usage: ix-playground <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
  .join('\n')}

Run "ix-playground <command> --help" for a command's options.
Exit codes: 0 done, 1 failed (problems found, a refusal, a lost connection), 2 wrong usage.
Documentation: docs/cli.md`;

/** Runs the CLI with `argv` (without node and the script); answers the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(GENERAL);
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  if (name === '--version') {
    console.log('0.1.0');
    return ExitCode.Ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`ix-playground: no command "${name}"\n\n${GENERAL}`);
    return ExitCode.Usage;
  }
  try {
    const { values, positionals } = parseArgs({
      args: joinDashValues(rest, command.options),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(command.help);
      return ExitCode.Ok;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`ix-playground ${name}: ${(error as Error).message}\n\n${command.help}`);
      return ExitCode.Usage;
    }
    console.error(`ix-playground ${name}: ${(error as Error).message}`);
    return ExitCode.Failed;
  }
}

/**
 * Joins an option that takes a value with a value starting with `-` (`--token -x1` → `--token=-x1`):
 * tokens and ids are base64url and may start with one, which `parseArgs` would call ambiguous.
 */
function joinDashValues(args: string[], options: Command['options']): string[] {
  const takesValue = new Set(Object.entries(options).flatMap(([long, o]) => (o.type === 'string' ? [`--${long}`] : [])));
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (takesValue.has(arg) && next?.startsWith('-') && next !== '--') {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}
