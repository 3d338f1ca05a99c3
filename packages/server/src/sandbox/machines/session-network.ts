import { readFileSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../local/proc.js';
import { run } from '../local/run-command.js';

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

  /** True when machines may reach the internet (not the host, its loopback or private networks). */
  readonly internet: boolean;

  private constructor(name: string, internet: boolean) {
    this.name = name;
    this.internet = internet;
  }

  /**
   * The way out: pasta (a user-mode network stack, as root but with no gateway mapped to the host)
   * gives the namespace an interface whose traffic pasta sends from the host's own sockets (it
   * answers the machines' addresses as they are: no NAT); the namespace forwards the machines'
   * traffic to it, and drops anything for the host's addresses, loopback, link-local and private
   * ranges, except DNS to the host's resolvers.
   */
  async #connectInternet(): Promise<void> {
    await run('pasta', [
      '--config-net',
      '--netns',
      `/run/netns/${this.name}`,
      '--netns-only',
      '--no-map-gw',
      '--runas',
      '0',
      '-q',
      '-t',
      'none',
      '-u',
      'none',
      '-T',
      'none',
      '-U',
      'none',
    ]);
    await run('ip', ['netns', 'exec', this.name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const resolvers = nameservers().filter((a) => net.isIPv4(a));
    const hostAddresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => Boolean(a && a.family === 'IPv4'))
      .map((a) => a.address);
    const blocked = [
      '0.0.0.0/8',
      '10.0.0.0/8',
      '100.64.0.0/10',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '172.16.0.0/12',
      '192.0.0.0/24',
      '192.168.0.0/16',
      '198.18.0.0/15',
      '224.0.0.0/3',
      ...hostAddresses,
    ];
    const dns = resolvers.length ? `iifname "br0" ip daddr { ${resolvers.join(', ')} } meta l4proto { tcp, udp } th dport 53 accept` : '';
    const rules = `table inet ix {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ${dns}
    iifname "br0" ip daddr { ${blocked.join(', ')} } drop
    iifname "br0" oifname != "br0" meta nfproto ipv4 accept
  }
}
`;
    const file = path.join(os.tmpdir(), `${this.name}.nft`);
    await writeFile(file, rules);
    try {
      await run('ip', ['netns', 'exec', this.name, 'nft', '-f', file]);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Makes the namespace and its bridge; with `internet`, a way out through a user-mode stack. */
  static async create(id: string, internet = false): Promise<SessionNetwork> {
    const network = new SessionNetwork(`ixs-${process.pid}-${id}`, internet);
    await run('ip', ['netns', 'add', network.name]);
    try {
      const ip = (...args: string[]) => run('ip', ['-n', network.name, ...args]);
      await ip('link', 'set', 'lo', 'up');
      await ip('link', 'add', 'br0', 'type', 'bridge');
      await ip('addr', 'add', `${GATEWAY}/24`, 'dev', 'br0');
      await ip('link', 'set', 'br0', 'up');
      if (internet) await network.#connectInternet();
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
    if (this.internet) await inside('route', 'add', 'default', 'via', GATEWAY);
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

/** The host's DNS resolvers (from /etc/resolv.conf). */
function nameservers(): string[] {
  try {
    return [...readFileSync('/etc/resolv.conf', 'utf8').matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
  } catch {
    return [];
  }
}

/** The /etc/resolv.conf of machines: the host's resolvers when they may reach the internet, none otherwise. */
export function resolvConf(internet: boolean): string {
  if (!internet) return '# this playground has no internet access\n';
  const servers = nameservers().filter((a) => net.isIPv4(a));
  return servers.length ? servers.map((a) => `nameserver ${a}`).join('\n') + '\n' : 'nameserver 1.1.1.1\n';
}
