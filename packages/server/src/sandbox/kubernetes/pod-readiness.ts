import type { CoreV1Event, V1ContainerStateTerminated, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { END_REASONS, type EndReason } from '@ix-playground/sdk/protocol';
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

/** A line of progress from a pod's event ("Pulling image …") for the operator's log, or undefined for events not worth logging. */
export function eventProgress(event: CoreV1Event): string | undefined {
  if (!event.message) return undefined;
  if (['Pulling', 'Pulled', 'Scheduled', 'Created', 'Started', 'BackOff', 'Failed', 'FailedScheduling'].includes(event.reason ?? '')) return event.message;
  return undefined;
}

/**
 * The same event told to the reader waiting for the machine, in their words and without the
 * cluster's names (namespace, node); undefined for events a reader need not hear of. Failures
 * are not told here: they end the wait with their own error.
 */
export function readerProgress(event: CoreV1Event): string | undefined {
  const agent = (event.involvedObject?.fieldPath ?? '').includes('{ix-agent}');
  const image = /image "([^"]+)"/.exec(event.message ?? '')?.[1];
  switch (event.reason) {
    case 'Scheduled':
      return 'a node was found for the machine';
    case 'Pulling':
      return agent ? 'fetching the playground agent' : `downloading the image ${image ?? ''}`.trim();
    case 'Pulled':
      return agent ? undefined : 'the image is ready';
    case 'Started':
      return agent ? undefined : 'the machine is starting';
    default:
      return undefined;
  }
}

/** How the machine's container of a pod ended (its exit, reason, message, when), if it has. */
export function machineStopped(pod: V1Pod): V1ContainerStateTerminated | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === 'machine')?.state?.terminated;
}

/** When the machine's container of a pod stopped (ms since the epoch), 0 while it runs or when unknown. */
export function stoppedAt(pod: V1Pod): number {
  const finished = machineStopped(pod)?.finishedAt;
  return finished ? new Date(finished).getTime() : 0;
}

/** How a session whose pod is no more ended: the reason its agent gave, or what the cluster did to it. */
export interface PodEnd {
  reason: EndReason;
  /** What happened, for the reader, when it was not the session's own end (an eviction, say). */
  message?: string;
}

/**
 * Whether a session's pod has ended, and why: an agent that ended its session wrote the reason as
 * its termination message; anything else (an eviction, memory, a deletion, the pod's lifetime) is
 * an `error` with what the cluster says. Undefined while the pod lives.
 */
export function podEnd(pod: V1Pod): PodEnd | undefined {
  const status = pod.status;
  const machine = machineStopped(pod);
  const said = machine?.message?.trim() as EndReason | undefined;
  if (machine && machine.exitCode === 0 && said && END_REASONS.includes(said)) return { reason: said };
  if (status?.reason === 'Evicted') return { reason: 'error', message: `the cluster evicted the machine: ${status.message ?? 'no reason given'}` };
  if (status?.reason === 'DeadlineExceeded') return { reason: 'expired' };
  if (machine?.reason === 'OOMKilled') return { reason: 'error', message: 'the machine ran out of memory and was stopped' };
  if (machine && pod.metadata?.deletionTimestamp) return { reason: 'error', message: 'the machine was deleted from the cluster' };
  if (machine)
    return {
      reason: 'error',
      message: machine.exitCode === 0 ? 'the machine was stopped' : `the machine stopped (${machine.reason ?? `exit ${machine.exitCode}`})`,
    };
  if (status?.phase === 'Failed' || status?.phase === 'Succeeded')
    return { reason: 'error', message: `the machine stopped${status.message ? `: ${status.message}` : ''}` };
  if (pod.metadata?.deletionTimestamp) return { reason: 'error', message: 'the machine was deleted from the cluster' };
  return undefined;
}

/**
 * Whether a pod's end is still being written: its machine's container has stopped, but the pod's
 * phase is not final yet (the kubelet stops containers before it records an eviction).
 */
export function podEnding(pod: V1Pod): boolean {
  return !!machineStopped(pod) && !['Failed', 'Succeeded'].includes(pod.status?.phase ?? '') && !pod.metadata?.deletionTimestamp;
}

/**
 * What a pod's events say the cluster did to end it, where its status does not (a pod evicted
 * while its agent stops cleanly is recorded as completed): the latest eviction or preemption.
 */
export function eventEnd(events: CoreV1Event[]): PodEnd | undefined {
  const when = (e: CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
  const last = events
    .filter((e) => e.reason === 'Evicted' || e.reason === 'Preempted')
    .sort((a, b) => when(a) - when(b))
    .at(-1);
  if (!last) return undefined;
  if (last.reason === 'Preempted') return { reason: 'error', message: 'the cluster stopped the machine to make room for another' };
  return { reason: 'error', message: `the cluster evicted the machine: ${last.message ?? 'no reason given'}` };
}
