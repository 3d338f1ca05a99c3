import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { LocalMachine } from '../local/local-machine.js';
import type { SandboxUsage } from '../sandbox.js';
import { MACHINE_PROTOCOL } from './machine-protocol.js';
import { MachineServer } from './machine-server.js';

/** What an agent serves, and to whom. */
export interface AgentOptions {
  /** The machine's name in its session. */
  name: string;
  /** The learner's home (root's, in a pod). */
  home: string;
  /** The user shells run as (this process's). */
  user: string;
  /** What the machine uses, where it can be told (a pod's own cgroup). */
  usage?: (() => Promise<SandboxUsage>) | undefined;
  /** The secret a driver must present (`Authorization: Bearer …`). */
  token: string;
  /** Where to listen (default all addresses, port 7070). */
  host?: string;
  port?: number;
}

/** A running agent. */
export interface Agent {
  /** The WebSocket URL drivers connect to. */
  readonly url: string;
  /** Stops listening and kills what the machine's shells started. */
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The agent: serves the machine it runs in (a pod, a VM, this host) over the machine protocol at
 * `/machine`, to drivers that present its token; `/healthz` answers once it listens. Terminal
 * bytes go between it and its driver directly, never through a control plane.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const machine = new LocalMachine({ name: options.name, home: options.home, user: options.user, removeHome: false, usage: options.usage });
  const machines = new MachineServer(machine);
  const expected = digest(options.token);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1 << 20,
    handleProtocols: (offered) => (offered.has(MACHINE_PROTOCOL) ? MACHINE_PROTOCOL : false),
  });
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, machine: options.name }));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/machine') return refuse('404 Not Found');
    if (!given || !timingSafeEqual(digest(given), expected)) return refuse('401 Unauthorized');
    if (!String(req.headers['sec-websocket-protocol'] ?? '').includes(MACHINE_PROTOCOL)) return refuse('400 Bad Request');
    wss.handleUpgrade(req, socket, head, (ws) => machines.handle(ws));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7070, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `ws://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}/machine`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await machine.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
