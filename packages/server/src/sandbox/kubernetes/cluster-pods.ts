import { createHmac, randomBytes } from 'node:crypto';
import type { CoreV1Api, CoreV1Event, KubeConfig, NetworkingV1Api, V1Pod } from '@kubernetes/client-node';
import { SandboxError } from '../../errors.js';
import { describeImage, type ImageSpec } from '../../manifest/manifest-schema.js';
import type { MachineSpec } from '../sandbox.js';
import { eventProgress, podState, readerProgress } from './pod-readiness.js';
import { LABELS, MANAGER, machinePod, sessionPolicy } from './pod-spec.js';

/** How the cluster is used: where pods go, from which images, with what rights. */
export interface ClusterOptions {
  /** The namespace sessions' pods live in. */
  namespace: string;
  /** The agent's image (`ix-playground agent-image` pushes one). */
  agentImage: string;
  /** The image of machines whose playground names none (the host's system has no meaning in a cluster). */
  defaultImage?: string | undefined;
  /** The cluster's configuration; by default the in-cluster one, or KUBECONFIG / ~/.kube/config. */
  kubeConfig?: KubeConfig;
  /** Labels of the gateways' pods, which sessions' network policies let in. */
  gatewaySelector?: Record<string, string>;
  /** Let sessions' pods reach the gateways (their agents relay task events for webhooks). */
  toGateways?: boolean;
  /** Let playgrounds with `network: true` reach the outside (IX_ALLOW_NETWORK). */
  allowNetwork?: boolean;
  /** Ask for user namespaces (`hostUsers: false`); on by default, the log says when the cluster ignores it. */
  userNamespaces?: boolean;
  /** How long a machine may take to come up, image pull included (default 180 s). */
  startTimeoutMs?: number;
  /** The longest a pod lives (the kubelet ends it), default 4 h; sessions end sooner by their own limit. */
  lifetimeSeconds?: number;
  /** Progress lines (image pulls, scheduling) and warnings. */
  log?: (line: string) => void;
}

/** One machine of a session to start as a pod. */
export interface PodPlan {
  spec: MachineSpec;
  /** The agent's secret in it. */
  token: string;
  /** `machine`: it serves its machine; `session`: it runs the whole session (docs/kubernetes.md). */
  role: 'machine' | 'session';
  /** What to wait for: every container ready, or only the machine's container started. */
  until: 'ready' | 'started';
}

/**
 * The cluster side of sessions: pods labelled with their session, made, watched until they are up
 * (failing at once on pull errors and unschedulable pods), and deleted, through the official
 * client. Which pods belong to a session is read from the cluster, never kept here.
 */
export class ClusterPods {
  readonly options: ClusterOptions;
  #client: Promise<ClusterClient> | undefined;
  #warnedUserNamespaces = false;
  /** Set once the cluster's runtime turned user namespaces down: pods are then made without them. */
  #noUserNamespaces = false;

  constructor(options: ClusterOptions) {
    this.options = options;
  }

  /**
   * The cluster's API clients. The client library is loaded on first use, not with the server:
   * it opens a few hundred files, which a server on another driver under a tight descriptor limit
   * cannot spare. Rejects with a `sandbox` error when no cluster configuration is found.
   */
  connect(): Promise<ClusterClient> {
    this.#client ??= import('@kubernetes/client-node').then(
      (k8s) => {
        const config = this.options.kubeConfig ?? defaultKubeConfig(k8s.KubeConfig);
        return { config, core: config.makeApiClient(k8s.CoreV1Api), networking: config.makeApiClient(k8s.NetworkingV1Api), Watch: k8s.Watch };
      },
      (error: Error) => Promise.reject(new SandboxError(`the Kubernetes client cannot be loaded: ${error.message}`)),
    );
    return this.#client;
  }

  /** Images in a registry; the host's system only where a default image stands in for it. */
  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined ? !!this.options.defaultImage : 'ref' in image;
  }

  /** The registry reference a machine runs. */
  imageOf(machine: MachineSpec): string {
    const image = machine.image;
    if (image === undefined && this.options.defaultImage) return this.options.defaultImage;
    if (image && 'ref' in image) return image.ref;
    throw new SandboxError(`the kubernetes driver runs images from a registry, not ${image ? describeImage(image) : "the host's system"}`);
  }

  /**
   * Makes the pods of a session and its network policy, and waits until each is up as its plan
   * says; answers their addresses in plan order. On failure, deletes what it made. `progress`
   * hears what the reader may be told meanwhile ("downloading the image …").
   */
  async start(session: string, plans: PodPlan[], labels: Record<string, string> = {}, progress?: (line: string) => void): Promise<string[]> {
    try {
      return await this.#start(session, plans, labels, progress);
    } catch (error) {
      if (!(error instanceof UserNamespacesUnsupported) || this.#noUserNamespaces) throw error;
      this.#noUserNamespaces = true;
      this.#log(
        `the cluster's container runtime does not support user namespaces (${error.message}): pods are made without them from now on, and root in a machine is root on its node`,
      );
      return this.#start(session, plans, labels, progress);
    }
  }

  async #start(session: string, plans: PodPlan[], labels: Record<string, string>, progress?: (line: string) => void): Promise<string[]> {
    const { namespace } = this.options;
    const { core, networking } = await this.connect();
    const userNamespaces = this.options.userNamespaces !== false && !this.#noUserNamespaces;
    const egress = plans.some((p) => p.spec.limits.network);
    if (egress && !this.options.allowNetwork)
      throw new SandboxError('this playground asks for internet access (limits.network: true), which this server does not allow: set IX_ALLOW_NETWORK=1');
    try {
      const created: V1Pod[] = [];
      for (const [index, plan] of plans.entries()) {
        const pod = machinePod({
          index,
          session,
          machine: plan.spec,
          image: this.imageOf(plan.spec),
          agentImage: this.options.agentImage,
          token: plan.token,
          role: plan.role,
          labels,
          userNamespaces,
          lifetimeSeconds: this.options.lifetimeSeconds ?? 4 * 3600,
        });
        const made = await core.createNamespacedPod({ namespace, body: pod });
        if (userNamespaces && made.spec?.hostUsers !== false && !this.#warnedUserNamespaces) {
          this.#warnedUserNamespaces = true;
          this.#log('this cluster does not offer user namespaces for pods (hostUsers: false was dropped): root in a machine is root on its node');
        }
        created.push(made);
      }
      const owner = created[0]?.metadata;
      if (owner?.name && owner.uid) {
        const policy = sessionPolicy(session, {
          gatewaySelector: this.options.gatewaySelector ?? { [LABELS.managedBy]: `${MANAGER}-gateway` },
          egress,
          toGateways: this.options.toGateways ?? false,
          owner: { name: owner.name, uid: owner.uid },
        });
        await networking.createNamespacedNetworkPolicy({ namespace, body: policy });
      }
      const told = (machine: string) => progress && ((line: string) => progress(plans.length > 1 ? `${machine}: ${line}` : line));
      return await Promise.all(
        created.map((pod, i) => this.waitFor(pod.metadata?.name ?? '', plans[i]?.until ?? 'ready', pod.metadata?.uid, told(plans[i]?.spec.name ?? ''))),
      );
    } catch (error) {
      await this.delete(session);
      throw error instanceof SandboxError || error instanceof UserNamespacesUnsupported
        ? error
        : new SandboxError(`cannot start the machines on the cluster: ${kubernetesMessage(error)}`, { cause: error });
    }
  }

  /**
   * Waits until a pod is ready (or its machine's container has started), failing at once on what
   * will not pass. `uid` tells its events from those of an earlier pod of the same name;
   * `progress` hears its events in the reader's words.
   */
  async waitFor(name: string, until: 'ready' | 'started', uid?: string, progress?: (line: string) => void): Promise<string> {
    const { namespace } = this.options;
    const { config, core, Watch } = await this.connect();
    const timeoutMs = this.options.startTimeoutMs ?? 180_000;
    return new Promise((resolve, reject) => {
      const watches: Promise<AbortController>[] = [];
      let settled = false;
      const finish = (error: Error | undefined, ip?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const watch of watches) void watch.then((w) => w.abort()).catch(() => {});
        if (error) reject(error);
        else resolve(ip as string);
      };
      const look = (pod: V1Pod) => {
        const state = podState(pod);
        if (state.state === 'ready' || (state.state === 'started' && until === 'started')) finish(undefined, state.ip);
        else if (state.state === 'failed') finish(state.error);
      };
      const timer = setTimeout(() => finish(new SandboxError(`the machine was not up within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const watch = new Watch(config);
      watches.push(
        watch.watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { fieldSelector: `metadata.name=${name}` },
          (_type, pod: V1Pod) => look(pod),
          // The API server ends watches now and then: look once more.
          () => void (settled ? undefined : core.readNamespacedPod({ name, namespace }).then(look, () => {})),
        ),
        watch.watch(
          `/api/v1/namespaces/${namespace}/events`,
          { fieldSelector: `involvedObject.name=${name}${uid ? `,involvedObject.uid=${uid}` : ''}` },
          (_type, event: CoreV1Event) => {
            // A runtime without user namespaces says so in an event, again and again: that will not pass.
            if (event.reason === 'FailedCreatePodSandBox' && /user namespaces/i.test(event.message ?? ''))
              return finish(new UserNamespacesUnsupported(event.message ?? ''));
            const line = eventProgress(event);
            if (line) this.#log(`${name}: ${line}`);
            const told = !settled && readerProgress(event);
            if (told) progress?.(told);
          },
          () => {},
        ),
      );
      // It may have been up before the watch began.
      void core.readNamespacedPod({ name, namespace }).then(look, (error: unknown) => finish(new SandboxError(kubernetesMessage(error))));
    });
  }

  /** The pods of a session (or of every session, with `selector` on other labels). */
  async pods(selector: Record<string, string>): Promise<V1Pod[]> {
    const labelSelector = Object.entries({ [LABELS.managedBy]: MANAGER, ...selector })
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const { core } = await this.connect();
    return (await core.listNamespacedPod({ namespace: this.options.namespace, labelSelector })).items;
  }

  /** The events of a pod (of this `uid`, when given), oldest first as the API lists them. */
  async events(name: string, uid?: string): Promise<CoreV1Event[]> {
    const { core } = await this.connect();
    const fieldSelector = `involvedObject.name=${name}${uid ? `,involvedObject.uid=${uid}` : ''}`;
    return (await core.listNamespacedEvent({ namespace: this.options.namespace, fieldSelector })).items;
  }

  /** Deletes a session's pods (its network policy goes with the first) and waits until they are gone, bounded. */
  async delete(session: string): Promise<void> {
    const { namespace } = this.options;
    const { core } = await this.connect();
    for (let attempt = 0; attempt < 300; attempt++) {
      const left = await this.pods({ [LABELS.session]: session }).catch(() => undefined); // a failed look is looked at again
      if (left && !left.length) return;
      // A grace period, not 0: a pod deleted with none leaves the API at once while its containers still run.
      for (const pod of left ?? []) {
        if (!pod.metadata?.deletionTimestamp)
          await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace, gracePeriodSeconds: 1 }).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.#log(`the pods of session ${session} are still being deleted`);
  }

  #log(line: string): void {
    (this.options.log ?? ((l: string) => console.log(`[ix-playground] ${l}`)))(line);
  }
}

/** The API clients of a cluster. */
export interface ClusterClient {
  config: KubeConfig;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  Watch: typeof import('@kubernetes/client-node').Watch;
}

/** The cluster cannot give pods user namespaces (`hostUsers: false`). */
class UserNamespacesUnsupported extends Error {}

/** A label-safe session id: lowercase hex. */
export function clusterSessionId(): string {
  return randomBytes(10).toString('hex');
}

/**
 * The agent secret of a session's machine, derived from the gateways' shared secret: any gateway
 * can reach any session's agents without storing anything.
 */
export function agentToken(secret: string, session: string, machine: string): string {
  return createHmac('sha256', secret).update(`ix-agent:${session}/${machine}`).digest('base64url');
}

/** The cluster's configuration: in a pod the in-cluster one, elsewhere KUBECONFIG or ~/.kube/config. */
function defaultKubeConfig(Config: typeof KubeConfig): KubeConfig {
  const config = new Config();
  if (process.env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

/** What an error from the Kubernetes API says (its status message), in one line. */
export function kubernetesMessage(error: unknown): string {
  const body = (error as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return (error as Error)?.message ?? String(error);
}
