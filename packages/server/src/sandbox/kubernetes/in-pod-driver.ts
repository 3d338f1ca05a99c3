import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { LocalMachine } from '../local/local-machine.js';
import { openMachine, type RemoteMachine } from '../remote/remote-machine.js';
import type { Machine, Sandbox, SandboxDriver, SandboxSpec, SandboxUsage } from '../sandbox.js';
import { shareHosts } from './machine-hosts.js';

/** Another machine of the session: its agent's address and secret. */
export interface Peer {
  url: string;
  token: string;
}

/** Where the in-pod driver is. */
export interface InPodOptions {
  /** The machine this process runs in (the session's first). */
  self: { name: string; home: string; user: string; usage?: (() => Promise<SandboxUsage>) | undefined };
  /** The session's other machines, by name. */
  peers: ReadonlyMap<string, Peer>;
  /** Every machine's address: written into each machine's /etc/hosts when there are several. */
  hosts: readonly { name: string; ip: string }[];
}

/**
 * The driver of a session that lives in its first machine's pod: that machine is the pod itself
 * (the pod is the sandbox the cluster made), the others are reached through their agents over
 * the pod network. Nothing here makes a pod; the gateway did.
 */
export class InPodDriver implements SandboxDriver {
  readonly name = 'in-pod';
  readonly #options: InPodOptions;

  constructor(options: InPodOptions) {
    this.#options = options;
  }

  /** Whatever image the pods run: they are made already. */
  supportsImage(_image: ImageSpec | undefined): boolean {
    return true;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const { self, peers } = this.#options;
    const local = new LocalMachine({ ...self, removeHome: false });
    const remote: RemoteMachine[] = [];
    const machines = new Map<string, Machine>();
    const dispose = async () => {
      for (const machine of remote) machine.close();
      await local.dispose();
    };
    try {
      for (const machine of spec.machines) {
        if (machine.name === self.name) {
          if (machine.restore) await local.restore(machine.restore);
          else await local.seed(machine.files);
          machines.set(machine.name, local);
          continue;
        }
        const peer = peers.get(machine.name);
        if (!peer) throw new Error(`no agent is known for the ${machine.name} machine`);
        const opened = await openMachine(peer.url, peer.token, machine);
        remote.push(opened);
        machines.set(machine.name, opened);
      }
      if (machines.size > 1) {
        const byName = new Map(this.#options.hosts.map((h) => [h.name, h.ip]));
        const list = [...machines.values()];
        await shareHosts(
          list,
          list.map((m) => byName.get(m.name) ?? '127.0.0.1'),
        );
      }
    } catch (error) {
      await dispose();
      throw error;
    }
    let disposed: Promise<void> | undefined;
    return { machines, dispose: () => (disposed ??= dispose()) };
  }
}
