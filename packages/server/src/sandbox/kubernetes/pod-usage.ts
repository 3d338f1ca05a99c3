import { ownCgroup } from '../local/cgroup.js';
import type { SandboxUsage } from '../sandbox.js';

/**
 * What the machine an agent runs in uses, when that machine is a pod's container (its own cgroup:
 * memory, its peak, processes, out-of-memory kills); undefined elsewhere, where this process's
 * cgroup is not the machine's.
 */
export function podUsage(env: NodeJS.ProcessEnv = process.env): (() => Promise<SandboxUsage>) | undefined {
  const cgroup = env.KUBERNETES_SERVICE_HOST ? ownCgroup() : undefined;
  return cgroup && (() => cgroup.usage());
}
