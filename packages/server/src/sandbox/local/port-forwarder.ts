import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SandboxError } from '../../errors.js';
import { goneError } from '../sandbox.js';

/** How long a forwarder has to start listening. */
const START_MS = 5000;

/**
 * Reaches TCP ports inside a machine from the host without giving the machine any way out: per
 * port, one `socat` in the machine's network namespace (and nothing else of it) listens on a unix
 * socket in a host folder and connects each client to 127.0.0.1:port there. The web preview and
 * port forwarding use it; the machine cannot use it to reach the host.
 */
export class PortForwarder {
  readonly #dir: string;
  readonly #enterNetwork: () => string[];
  readonly #forwarders = new Map<number, { child: ChildProcess; ready: Promise<string> }>();
  #disposed = false;

  /** `dir`: a host folder only the server can read; `enterNetwork`: the command prefix that enters the machine's network namespace. */
  constructor(dir: string, enterNetwork: () => string[]) {
    this.#dir = dir;
    this.#enterNetwork = enterNetwork;
  }

  /** A connection to `port` inside the machine (refused there: the socket closes at once). */
  async connect(port: number): Promise<net.Socket> {
    if (this.#disposed) throw goneError();
    const socketPath = await this.#forwarder(port);
    return net.connect(socketPath);
  }

  #forwarder(port: number): Promise<string> {
    const existing = this.#forwarders.get(port);
    if (existing && existing.child.exitCode === null) return existing.ready;
    const socketPath = path.join(this.#dir, `port-${port}.sock`);
    const command = [...this.#enterNetwork(), 'socat', `UNIX-LISTEN:${socketPath},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${port}`];
    let child: ChildProcess;
    try {
      child = spawn(command[0] as string, command.slice(1), { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    } catch (error) {
      return Promise.reject(new SandboxError(`cannot reach port ${port}: ${(error as Error).message}`));
    }
    const ready = new Promise<string>((resolve, reject) => {
      child.on('error', (error) => reject(new SandboxError(`cannot reach port ${port}: ${error.message} (install socat)`)));
      const started = Date.now();
      const poll = () => {
        if (existsSync(socketPath)) return resolve(socketPath);
        if (child.exitCode !== null || Date.now() - started > START_MS)
          return reject(new SandboxError(`cannot reach port ${port}: the forwarder did not start`));
        setTimeout(poll, 10);
      };
      poll();
    });
    ready.catch(() => this.#forwarders.delete(port));
    this.#forwarders.set(port, { child, ready });
    return ready;
  }

  /** Stops every forwarder. */
  dispose(): void {
    this.#disposed = true;
    for (const { child } of this.#forwarders.values()) child.kill('SIGKILL');
    this.#forwarders.clear();
  }
}
