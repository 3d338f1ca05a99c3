import { randomBytes } from 'node:crypto';
import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { openMachine, type RemoteMachine } from '../remote/remote-machine.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../sandbox.js';
import { ClusterPods, type ClusterOptions } from './cluster-pods.js';
import { shareHosts } from './machine-hosts.js';
import { AGENT_PORT } from './pod-spec.js';

/**
 * Machines on Kubernetes: every machine is a pod of the playground's image (a registry
 * reference) with the agent copied in by an init container, reached over the pod network, never
 * through the API server. This driver keeps the session in this server (one gateway); for
 * gateways that can die, sessions live in their first pod instead (session/cluster-sessions.ts).
 */
export class KubernetesDriver implements SandboxDriver {
  readonly name = 'kubernetes';
  readonly #pods: ClusterPods;

  /** The cluster it makes pods in (cluster sessions share it). */
  get pods(): ClusterPods {
    return this.#pods;
  }

  constructor(options: ClusterOptions | ClusterPods) {
    this.#pods = options instanceof ClusterPods ? options : new ClusterPods(options);
  }

  supportsImage(image: ImageSpec | undefined): boolean {
    return this.#pods.supportsImage(image);
  }

  async describeLimits(): Promise<string> {
    await this.#pods.connect(); // at startup: a missing cluster configuration is said now, not at the first session
    const { namespace, userNamespaces } = this.#pods.options;
    return `kubernetes: pods in namespace ${namespace}; memory, CPU and disk as container resources; user namespaces ${userNamespaces === false ? 'off' : 'asked for (hostUsers: false)'}`;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const session =
      spec.sessionId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 20) || randomBytes(4).toString('hex');
    const plans = spec.machines.map((machine) => ({
      spec: machine,
      token: randomBytes(24).toString('base64url'),
      role: 'machine' as const,
      until: 'ready' as const,
    }));
    const ips = await this.#pods.start(session, plans);
    const machines: RemoteMachine[] = [];
    const dispose = async () => {
      for (const machine of machines) machine.close();
      await this.#pods.delete(session);
    };
    try {
      for (const [i, plan] of plans.entries()) machines.push(await openMachine(`ws://${ips[i]}:${AGENT_PORT}/machine`, plan.token, plan.spec));
      if (machines.length > 1) await shareHosts(machines, ips);
    } catch (error) {
      await dispose();
      throw error;
    }
    let disposed: Promise<void> | undefined;
    return { machines: new Map(machines.map((m) => [m.name, m])), dispose: () => (disposed ??= dispose()) };
  }
}
