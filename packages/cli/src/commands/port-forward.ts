import net from 'node:net';
import WebSocket from 'ws';
import { Session, gatewayUrl } from '@ix-playground/sdk';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** `LOCAL:[MACHINE:]REMOTE` → its parts. */
function parseSpec(spec: string): { local: number; machine: string | undefined; remote: number } {
  const parts = spec.split(':');
  const port = (text: string | undefined) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`"${text}" in ${spec} is not a port (1 to 65535)`);
    return n;
  };
  if (parts.length === 2) return { local: port(parts[0]), machine: undefined, remote: port(parts[1]) };
  if (parts.length === 3 && parts[1]) return { local: port(parts[0]), machine: parts[1], remote: port(parts[2]) };
  throw new UsageError(`the forward must be LOCAL:REMOTE or LOCAL:MACHINE:REMOTE, got "${spec}"`);
}

/** `ix-playground port-forward SESSION LOCAL:[MACHINE:]REMOTE`: a local port reaches one in the playground. */
export const portForward: Command = {
  summary: 'make a local TCP port reach a port inside a playground',
  help: `usage: ix-playground port-forward SESSION LOCAL:[MACHINE:]REMOTE --server URL --token TOKEN

Listens on 127.0.0.1:LOCAL; every connection there reaches port REMOTE inside session SESSION (on
MACHINE, for a playground with several), carried over the session's own authenticated
connection. Runs until Ctrl-C, the session ends, or the connection is lost for good.

options:
  --server URL     the playground server (default $IX_SERVER, or http://localhost:8080)
  --token TOKEN    the session's token (default $IX_SESSION_TOKEN); read-only tokens cannot forward
  --bind ADDR      the local address to listen on (default 127.0.0.1)
  -h, --help       this help`,
  options: { server: { type: 'string' }, token: { type: 'string' }, bind: { type: 'string' } },
  async run(values, positionals) {
    const [id, spec, ...extra] = positionals;
    if (!id || !spec || extra.length) throw new UsageError('give the session id and LOCAL:[MACHINE:]REMOTE');
    const { local, machine, remote } = parseSpec(spec);
    const server = (values.server as string | undefined) ?? process.env.IX_SERVER ?? 'http://localhost:8080';
    const token = (values.token as string | undefined) ?? process.env.IX_SESSION_TOKEN;
    if (!token) throw new UsageError('give the session token with --token (or IX_SESSION_TOKEN)');
    const session = new Session({ url: gatewayUrl(server), id, token, WebSocket, reconnect: { attempts: 6 } });
    await session.open();
    const listener = net.createServer((client) => {
      const tunnel = session.openTunnel(remote, machine);
      client.on('data', (data: Buffer) => tunnel.write(data));
      client.on('end', () => tunnel.close());
      client.on('error', () => tunnel.close());
      client.pause(); // until the connection inside is open
      tunnel.on('open', () => client.resume());
      tunnel.on('data', (data) => client.write(data));
      tunnel.on('close', (error) => {
        if (error && error !== 'the session was closed') process.stderr.write(`connection to ${machine ?? 'the playground'}:${remote} closed: ${error}\n`);
        client.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(local, (values.bind as string | undefined) ?? '127.0.0.1', () => resolve());
    });
    process.stderr.write(`Forwarding 127.0.0.1:${local} to ${machine ? `${machine}:` : ''}${remote} in session ${id}. Ctrl-C stops.\n`);
    return new Promise<number>((resolve) => {
      const stop = (code: number, message?: string) => {
        if (message) process.stderr.write(`${message}\n`);
        listener.close();
        session.close();
        resolve(code);
      };
      process.once('SIGINT', () => stop(ExitCode.Ok));
      process.once('SIGTERM', () => stop(ExitCode.Ok));
      session.on('ended', (reason) => stop(ExitCode.Ok, `the session ended: ${reason}`));
      session.on('status', (status) => status === 'error' && stop(ExitCode.Failed, 'the connection to the server is lost'));
    });
  },
};
