import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { SandboxError } from '../../errors.js';

/** Waiting reasons that will not pass by themselves: the page hears them at once, not at a timeout. */
const STUCK = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'CrashLoopBackOff',
  'RunContainerError',
]);

/**
 * What a pod's status says now: still coming, its machine's container started (with the pod's
 * address), ready (every container ready, not only phase Running), or never going to be.
 */
export type PodState = { state: 'waiting' } | { state: 'started'; ip: string } | { state: 'ready'; ip: string } | { state: 'failed'; error: SandboxError };

/** Reads a pod's status: ready means every container is ready (not only phase Running) and it has an address. */
export function podState(pod: V1Pod): PodState {
  const name = pod.metadata?.name ?? 'the pod';
  const status = pod.status;
  const unschedulable = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (unschedulable)
    return { state: 'failed', error: new SandboxError(`the machine cannot be placed on any node of the cluster: ${unschedulable.message ?? 'unschedulable'}`) };
  const containers: V1ContainerStatus[] = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
  for (const container of containers) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && STUCK.has(waiting.reason)) {
      const what = container.name === 'ix-agent' ? 'the agent image' : `the image ${container.image}`;
      return { state: 'failed', error: new SandboxError(`${what} cannot be started (${waiting.reason}): ${waiting.message ?? 'no message'}`) };
    }
    const terminated = container.state?.terminated;
    if (terminated && (container.name !== 'ix-agent' || terminated.exitCode !== 0)) {
      const why = terminated.message?.trim() || terminated.reason || `exit ${terminated.exitCode}`;
      return { state: 'failed', error: new SandboxError(`the machine's ${container.name === 'ix-agent' ? 'agent setup' : 'container'} ended: ${why}`) };
    }
  }
  if (status?.phase === 'Failed' || status?.phase === 'Succeeded') {
    return { state: 'failed', error: new SandboxError(`${name} ended (${status.reason ?? status.phase}): ${status.message ?? ''}`.trim()) };
  }
  const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (ready && status?.podIP) return { state: 'ready', ip: status.podIP };
  const started = status?.containerStatuses?.some((c) => c.name === 'machine' && c.state?.running);
  if (started && status?.podIP) return { state: 'started', ip: status.podIP };
  return { state: 'waiting' };
}

/** A line of progress from a pod's event ("Pulling image …"), or undefined for events not worth showing. */
export function eventProgress(event: CoreV1Event): string | undefined {
  if (!event.message) return undefined;
  if (['Pulling', 'Pulled', 'Scheduled', 'Created', 'Started', 'BackOff', 'Failed', 'FailedScheduling'].includes(event.reason ?? '')) return event.message;
  return undefined;
}
