import { readFileSync, readdirSync } from 'node:fs';
import { run } from './home-disk.js';
import { processAlive } from './process-alive.js';

/** The private subnet of every session (each session's network is its own namespace, so all reuse it). */
const SUBNET = '10.89.0';
/** The bridge's address: the machines' gateway. */
const GATEWAY = `${SUBNET}.1`;

/** The address of machine `index` (0-based) on its session's network. */
export function machineAddress(index: number): string {
  return `${SUBNET}.${10 + index}`;
}

/**
 * One session's private network: a network namespace of its own holding a bridge, and one veth
 * per machine whose other end is the machine's `eth0`. Machines reach each other by name (their
 * /etc/hosts) and nothing else: not the host, its loopback or its network. Needs root.
 */
export class SessionNetwork {
  /** The namespace's name (`ip netns`), `ixs-<server pid>-<id>`. */
  readonly name: string;
  #attached = 0;
  #destroyed: Promise<void> | undefined;

  private constructor(name: string) {
    this.name = name;
  }

  /** Makes the namespace and its bridge. */
  static async create(id: string): Promise<SessionNetwork> {
    const network = new SessionNetwork(`ixs-${process.pid}-${id}`);
    await run('ip', ['netns', 'add', network.name]);
    try {
      const ip = (...args: string[]) => run('ip', ['-n', network.name, ...args]);
      await ip('link', 'set', 'lo', 'up');
      await ip('link', 'add', 'br0', 'type', 'bridge');
      await ip('addr', 'add', `${GATEWAY}/24`, 'dev', 'br0');
      await ip('link', 'set', 'br0', 'up');
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  /** Removes the namespaces of servers that are no longer running. */
  static async clearStale(): Promise<void> {
    let names: string[] = [];
    try {
      names = readdirSync('/run/netns');
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^ixs-(\d+)-/.exec(name);
      if (m && !processAlive(Number(m[1]))) await run('ip', ['netns', 'del', name]).catch(() => {});
    }
  }

  /** Gives the machine whose init is host pid `pid` an `eth0` on this network; answers its address. */
  async attach(pid: number): Promise<string> {
    const index = this.#attached++;
    const address = machineAddress(index);
    const port = `m${index}`;
    await run('ip', ['-n', this.name, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid)]);
    await run('ip', ['-n', this.name, 'link', 'set', port, 'master', 'br0', 'up']);
    // Host root configures the machine's namespace from outside: the machine needs no help.
    const inside = (...args: string[]) => run('nsenter', ['-t', String(pid), '-n', '--', 'ip', ...args]);
    await inside('link', 'set', 'lo', 'up');
    await inside('addr', 'add', `${address}/24`, 'dev', 'eth0');
    await inside('link', 'set', 'eth0', 'up');
    return address;
  }

  /** Runs a command in this network's namespace (a preview forwarder, say). */
  command(command: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...command];
  }

  /** Deletes the namespace (its bridge and the machines' veth ends go with it). Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= run('ip', ['netns', 'del', this.name]).catch(() => {});
    return this.#destroyed;
  }
}

/** The /etc/hosts of a session's machines: each machine's name and address. */
export function hostsFile(names: string[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...names.map((name, i) => `${machineAddress(i)}\t${name}`)];
  return lines.join('\n') + '\n';
}

/** The /etc/resolv.conf of machines: the host's when they may reach the internet, none otherwise. */
export function resolvConf(internet: boolean): string {
  if (!internet) return '# this playground has no internet access\n';
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return 'nameserver 1.1.1.1\n';
  }
}
