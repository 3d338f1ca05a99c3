import type { SessionSummary } from '@ix-playground/server';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** The admin API's answer for one session (docs/cli.md). */
type Row = SessionSummary;

const OPTIONS = { server: { type: 'string' as const }, 'admin-token': { type: 'string' as const }, json: { type: 'boolean' as const } };
const OPTION_HELP = `  --server URL          the playground server (default $IX_SERVER, or http://localhost:8080)
  --admin-token TOKEN   the server's IX_ADMIN_TOKEN (default $IX_ADMIN_TOKEN)`;

/** Calls the server's admin API; throws with the server's message when it refuses. */
async function admin(values: Record<string, unknown>, method: string, path: string): Promise<unknown> {
  const server = ((values.server as string | undefined) ?? process.env.IX_SERVER ?? 'http://localhost:8080').replace(/\/$/, '');
  const token = (values['admin-token'] as string | undefined) ?? process.env.IX_ADMIN_TOKEN;
  if (!token) throw new UsageError('give the admin token with --admin-token (or IX_ADMIN_TOKEN)');
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new Error(`cannot reach ${server}: ${(error as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `the server answered HTTP ${res.status}`);
  return body;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

/** `ix-playground ls`: the server's sessions. */
export const ls: Command = {
  summary: 'list the sessions on a server (operators)',
  help: `usage: ix-playground ls [--server URL] [--admin-token TOKEN] [--json]

Lists every session on the server: id, playground, age, attached clients, memory, processes.

options:
${OPTION_HELP}
  --json                print the list as JSON
  -h, --help            this help`,
  options: OPTIONS,
  async run(values) {
    const { sessions } = (await admin(values, 'GET', '/api/admin/sessions')) as { sessions: Row[] };
    if (values.json) {
      console.log(JSON.stringify(sessions, null, 2));
      return ExitCode.Ok;
    }
    const rows = [
      ['SESSION', 'PLAYGROUND', 'AGE', 'CLIENTS', 'MEMORY', 'PROCESSES', 'MACHINES'],
      ...sessions.map((s) => [
        s.id,
        s.playground,
        age(s.ageSeconds),
        String(s.clients),
        `${(s.memoryBytes / 2 ** 20).toFixed(1)} MiB`,
        String(s.processes),
        s.machines.join(','),
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows)
      console.log(
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    return ExitCode.Ok;
  },
};

/** `ix-playground stop SESSION`: ends a session. */
export const stop: Command = {
  summary: 'end a session on a server (operators)',
  help: `usage: ix-playground stop SESSION... [--server URL] [--admin-token TOKEN]

Ends the sessions named: their pages hear that the session ended, their machines are removed.

options:
${OPTION_HELP}
  -h, --help            this help`,
  options: OPTIONS,
  async run(values, positionals) {
    if (!positionals.length) throw new UsageError('name the session(s) to stop');
    for (const id of positionals) {
      await admin(values, 'DELETE', `/api/admin/sessions/${encodeURIComponent(id)}`);
      console.log(`stopped ${id}`);
    }
    return ExitCode.Ok;
  },
};
