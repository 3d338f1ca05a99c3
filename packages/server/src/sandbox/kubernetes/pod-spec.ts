import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { MachineSpec } from '../sandbox.js';
import { agentCommand, copyCommand } from './agent-bundle.js';

/** Labels every object of a session carries; which pods belong to a session comes from them. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  session: 'ix-playground.dev/session',
  machine: 'ix-playground.dev/machine',
  role: 'ix-playground.dev/role',
  client: 'ix-playground.dev/client',
  /** The playground a session's pods run. */
  playground: 'ix-playground.dev/playground',
  /** The machine's place among its session's (0: the first), which preview keys name. */
  index: 'ix-playground.dev/index',
} as const;

/** The value of the managed-by label. */
export const MANAGER = 'ix-playground';

/** The port the agent listens on inside a pod. */
export const AGENT_PORT = 7070;

/** Where the init container puts the agent bundle in the machine's container. */
const SHARED = '/ix-agent';

/**
 * The room the agent's copy takes on the pod's ephemeral storage (the bundle is about 140 MB):
 * the kubelet counts that volume against the pod's limit, so the limit is the manifest's `disk`
 * plus this, and the volume cannot grow past it.
 */
export const AGENT_DISK = 192 * 1024 * 1024;

/** What a machine's pod is made of. */
export interface PodOptions {
  /** The session's id (a label value: lowercase letters and digits). */
  session: string;
  machine: MachineSpec;
  /** The image the machine runs (a registry reference). */
  image: string;
  /** The image of the agent bundle, copied in by an init container. */
  agentImage: string;
  /** The agent's secret. */
  token: string;
  /** The machine's place among its session's machines. */
  index?: number;
  /** What its agent does: serve its machine, or run the whole session. */
  role?: 'machine' | 'session';
  /** More labels (the client it is for, say). */
  labels?: Record<string, string>;
  /** Run root inside as nobody outside (`hostUsers: false`), where the cluster offers user namespaces. */
  userNamespaces: boolean;
  /** The kubelet ends the pod after this many seconds (the session's time limit), whatever the gateways do. */
  lifetimeSeconds: number;
  /** Pull the images even when the node has them (`Always`), or only when not (`IfNotPresent`). */
  pullPolicy?: 'Always' | 'IfNotPresent';
}

/** The pod's name for a session's machine. */
export function podName(session: string, machine: string): string {
  return `ix-${session}-${machine}`.slice(0, 63);
}

/**
 * The pod of one machine: the author's image, unchanged, running the agent the init container
 * copied in; no service-account token, no service links; the manifest's limits as the container's
 * resources (memory, CPU weight as a share of a core, `disk` as ephemeral storage beside the agent's copy); ready when the
 * agent answers.
 */
export function machinePod(options: PodOptions): V1Pod {
  const { machine, session } = options;
  const memory = String(machine.limits.memory);
  const cpu = `${Math.max(10, Math.round(machine.limits.cpu))}m`; // weight 100 (an even share) asks for a tenth of a core
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(session, machine.name),
      labels: {
        ...options.labels,
        [LABELS.managedBy]: MANAGER,
        [LABELS.session]: session,
        [LABELS.machine]: machine.name,
        [LABELS.role]: options.role ?? 'machine',
        [LABELS.index]: String(options.index ?? 0),
      },
    },
    spec: {
      hostname: machine.hostname,
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      activeDeadlineSeconds: options.lifetimeSeconds,
      terminationGracePeriodSeconds: 1,
      ...(options.userNamespaces ? { hostUsers: false } : {}),
      initContainers: [
        {
          name: 'ix-agent',
          image: options.agentImage,
          imagePullPolicy: options.pullPolicy ?? 'IfNotPresent',
          command: copyCommand(SHARED),
          volumeMounts: [{ name: 'ix-agent', mountPath: SHARED }],
          resources: { limits: { memory: '256Mi' }, requests: { memory: '32Mi', cpu: '10m' } },
        },
      ],
      containers: [
        {
          name: 'machine',
          image: options.image,
          imagePullPolicy: options.pullPolicy ?? 'IfNotPresent',
          command: agentCommand(SHARED),
          workingDir: '/root',
          env: [
            { name: 'IX_AGENT_TOKEN', value: options.token },
            { name: 'IX_AGENT_NAME', value: machine.name },
            { name: 'IX_AGENT_PORT', value: String(AGENT_PORT) },
            { name: 'IX_AGENT_ROLE', value: options.role ?? 'machine' },
            { name: 'HOME', value: '/root' },
            { name: 'USER', value: 'root' },
          ],
          ports: [{ name: 'agent', containerPort: AGENT_PORT }],
          readinessProbe: { httpGet: { path: '/healthz', port: AGENT_PORT }, periodSeconds: 1, failureThreshold: 3 },
          resources: {
            limits: { memory, 'ephemeral-storage': String(machine.limits.disk + AGENT_DISK) },
            requests: { memory: String(Math.min(machine.limits.memory, 32 * 1024 * 1024)), cpu },
          },
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          volumeMounts: [{ name: 'ix-agent', mountPath: SHARED, readOnly: true }],
        },
      ],
      volumes: [{ name: 'ix-agent', emptyDir: { sizeLimit: String(AGENT_DISK) } }],
    },
  };
}

/** Where a session's way out never leads: the cluster's and the cloud's own networks. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];

/**
 * A session's network policy: its pods accept connections from each other and from the
 * gateways (pods labelled `gatewaySelector`), and reach only each other (and the gateways, with
 * `toGateways`), plus the outside when the manifest and the operator allow it. Owned by the session's first pod, so the cluster removes
 * it with that pod.
 */
export function sessionPolicy(
  session: string,
  options: { gatewaySelector: Record<string, string>; egress: boolean; toGateways?: boolean; owner: { name: string; uid: string } },
): V1NetworkPolicy {
  const own = { podSelector: { matchLabels: { [LABELS.session]: session } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: `ix-${session}`,
      labels: { [LABELS.managedBy]: MANAGER, [LABELS.session]: session },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: options.owner.name, uid: options.owner.uid }],
    },
    spec: {
      podSelector: { matchLabels: { [LABELS.session]: session } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [own, { podSelector: { matchLabels: options.gatewaySelector } }] }],
      egress: [
        { to: [own] },
        // The agent relays task events to the gateways, for webhooks (http/event-relay.ts).
        ...(options.toGateways ? [{ to: [{ podSelector: { matchLabels: options.gatewaySelector } }] }] : []),
        ...(options.egress ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES } }] }] : []),
      ],
    },
  };
}
