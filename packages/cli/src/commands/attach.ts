import WebSocket from 'ws';
import { Session, createSession, gatewayUrl, type SessionTicket } from '@ix-playground/sdk';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { LocalTerminal } from '../local-terminal.js';

/** `ctrl-]` → 0x1d: the byte a control key sends. */
function controlKey(name: string): number {
  const m = /^(?:ctrl-|\^)(.)$/i.exec(name.trim());
  const code = m?.[1]?.toUpperCase().charCodeAt(0);
  if (code === undefined || code < 0x40 || code > 0x5f) throw new UsageError(`--detach-key must be a control key like ctrl-] or ctrl-q, got "${name}"`);
  return code & 0x1f;
}

/** `ix-playground attach URL`: this terminal joins a session, as the page does. */
export const attach: Command = {
  summary: 'join a playground session from this terminal',
  help: `usage: ix-playground attach URL (--playground NAME | --session ID --token TOKEN) [options]

Starts a session of playground NAME on the server at URL, or joins session ID (the same one a page
shows, given its id and token), and makes this terminal its terminal: raw keys, resized with the
window, reconnecting and resuming like the page. The terminal is put back as it was on every way
out: the detach key, the session ending, a lost connection, a signal, a crash.

options:
  --playground NAME        start a new session of this playground
  --session ID             join this session…
  --token TOKEN            …with its token (or IX_SESSION_TOKEN); a spectator token joins read-only
  --auth TOKEN             a signed session token, for servers that require one (with --playground)
  --terminal N             which of the session's terminals (default 0)
  --detach-key KEY         leaves without ending the session (default ctrl-])
  --reconnect-attempts N   tries before giving up on a lost connection (default 6)
  -h, --help               this help`,
  options: {
    playground: { type: 'string' },
    session: { type: 'string' },
    token: { type: 'string' },
    auth: { type: 'string' },
    terminal: { type: 'string' },
    'detach-key': { type: 'string' },
    'reconnect-attempts': { type: 'string' },
  },
  async run(values, positionals) {
    const [server, ...extra] = positionals;
    if (!server || extra.length) throw new UsageError('give the server URL, like http://localhost:8080');
    const playground = values.playground as string | undefined;
    const id = values.session as string | undefined;
    const token = (values.token as string | undefined) ?? process.env.IX_SESSION_TOKEN;
    if (!playground === !id) throw new UsageError('give either --playground NAME, or --session ID with --token');
    if (id && !token) throw new UsageError('--session needs --token (or IX_SESSION_TOKEN)');
    const terminal = Number(values.terminal ?? 0);
    if (!Number.isInteger(terminal) || terminal < 0) throw new UsageError('--terminal must be a terminal number, like 0');
    const attempts = Number(values['reconnect-attempts'] ?? 6);
    if (!Number.isInteger(attempts) || attempts < 0) throw new UsageError('--reconnect-attempts must be a number');
    const detachKey = controlKey((values['detach-key'] as string | undefined) ?? 'ctrl-]');
    const url = gatewayUrl(server);

    const ticket: SessionTicket = id
      ? { id, token: token as string }
      : await createSession(server, playground as string, values.auth ? { token: values.auth as string } : {});
    const session = new Session({ url, id: ticket.id, token: ticket.token, WebSocket, reconnect: { attempts, baseDelayMs: 250, maxDelayMs: 4000 } });
    const local = new LocalTerminal();
    return new Promise<number>((resolve) => {
      const finish = (code: number, message?: string) => {
        local.restore();
        session.close();
        if (message) process.stderr.write(`\r\n${message}\r\n`);
        resolve(code);
      };
      local.onExit((signal) => finish(ExitCode.Failed, `ix-playground attach: stopped by ${signal}; the session lives on for its grace period`));
      session.on('output', ({ terminal: t, data }) => t === terminal && local.write(data));
      session.on('snapshot', ({ terminal: t, data }) => t === terminal && local.write(`\x1bc${data}`));
      session.on('reconnecting', ({ attempt }) => process.stderr.write(`\r\n[connection lost; reconnecting, attempt ${attempt} of ${attempts}]\r\n`));
      session.on('ended', (reason) => finish(ExitCode.Ok, `[the session ended: ${reason}]`));
      session.on('status', (status) => {
        if (status === 'error') finish(ExitCode.Failed, '[the connection is lost and could not be resumed]');
      });
      session.on('error', (error) => {
        if (error.code === 'read-only') process.stderr.write('\r\n[read-only: this token only watches]\r\n');
      });
      session
        .open()
        .then(() => {
          if (!session.terminals.has(terminal))
            return finish(ExitCode.Failed, `this session has no terminal ${terminal} (it has ${[...session.terminals.keys()].join(', ')})`);
          process.stderr.write(
            `Attached to ${session.playground.title} (session ${session.id}, terminal ${terminal}). Detach: ${(values['detach-key'] as string | undefined) ?? 'ctrl-]'}.\r\n` +
              `Join again: ix-playground attach ${server} --session ${session.id} --token ${ticket.token}\r\n`,
          );
          local.start({
            input: (data) => {
              if (data.includes(detachKey)) return finish(ExitCode.Ok, `[detached; the session lives on for its grace period]`);
              session.write(terminal, data);
            },
            resize: (cols, rows) => session.resize(terminal, cols, rows),
          });
        })
        .catch((error: Error) => finish(ExitCode.Failed, `ix-playground attach: ${error.message}`));
    });
  },
};
