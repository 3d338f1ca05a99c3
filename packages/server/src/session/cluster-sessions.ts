import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { ErrorCode, LimitError, PlaygroundError, SandboxError } from '../errors.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import { agentToken, clusterSessionId, type ClusterPods } from '../sandbox/kubernetes/cluster-pods.js';
import { AGENT_PORT, LABELS } from '../sandbox/kubernetes/pod-spec.js';
import type { SessionRequest } from '../agent/session-agent.js';
import type { SessionWhereabouts } from '../gateway/session-proxy.js';
import type { SessionSummary } from '../http/admin-api.js';
import { eventsSecret } from '../http/event-relay.js';
import { eventEnd, podEnd, podEnding, stoppedAt, type PodEnd } from '../sandbox/kubernetes/pod-readiness.js';
import { previewSecret, readPreviewKey } from './cluster-previews.js';
import { machinesOf } from './playground-machines.js';
import { SessionCredentials } from './session-credentials.js';

/** What cluster sessions are configured with. */
export interface ClusterSessionOptions {
  /** The gateways' shared secret (IX_K8S_SECRET): agents' secrets derive from it. */
  secret: string;
  graceMs: number;
  replayBytes: number;
  checkIntervalMs: number;
  /** Sessions in the cluster, counted across every gateway. */
  maxSessions: number;
  /** Sessions per client address, counted across every gateway. */
  maxSessionsPerClient: number;
  /** The gateways' preview URL pattern (`{key}` to fill), when previews are on. */
  previewUrl?: () => string | undefined;
  /** Where agents post their sessions' task events for webhooks (IX_K8S_GATEWAY_URL + the relay path), when webhooks are on. */
  eventsUrl?: string | undefined;
}

/** How many times (every 250 ms) a pod whose agent stopped is looked at until the cluster records why. */
const ENDING_LOOKS = 40;

/** How long a session's first pod may take to listen, once its container runs. */
const LISTEN_TIMEOUT_MS = 30_000;

const clientLabel = (client: string) => createHash('sha256').update(client).digest('hex').slice(0, 16);

/**
 * Sessions that live in the cluster, not in a gateway: each session's first machine is a pod
 * whose agent runs the session (terminals, replay buffers, checks), and the other machines are
 * pods its agent reaches. Any gateway finds a session from the cluster (labels) and proxies to it;
 * limits are counted from the cluster too, so they hold across gateways.
 */
export class ClusterSessions {
  readonly #pods: ClusterPods;
  readonly #options: ClusterSessionOptions;

  constructor(pods: ClusterPods, options: ClusterSessionOptions) {
    this.#pods = pods;
    this.#options = options;
  }

  /**
   * Starts a session of `manifest` for `client`; resolves once its first prompt is there (its pod
   * is ready). `progress` hears the pods' events in the reader's words meanwhile.
   */
  async create(
    manifest: Manifest,
    client: string,
    start: { owner?: string | undefined; progress?: (line: string) => void } = {},
  ): Promise<{ id: string; credentials: SessionCredentials }> {
    const live = (await this.#pods.pods({ [LABELS.role]: 'session' })).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
    if (live.length >= this.#options.maxSessions)
      throw new LimitError('sessions', 60, `the cluster is full (${this.#options.maxSessions} sessions); try again in a minute`);
    const label = clientLabel(client);
    if (live.filter((p) => p.metadata?.labels?.[LABELS.client] === label).length >= this.#options.maxSessionsPerClient) {
      throw new LimitError(
        'sessions-per-client',
        Math.ceil(this.#options.graceMs / 1000),
        `you already have ${this.#options.maxSessionsPerClient} playgrounds open (the most for one reader): close one in another tab`,
      );
    }
    const id = clusterSessionId();
    const credentials = SessionCredentials.create(id);
    const machines = machinesOf(manifest).map(({ init: _init, ...spec }) => spec);
    const plans = machines.map((spec, i) => ({
      spec,
      token: agentToken(this.#options.secret, id, spec.name),
      role: i === 0 ? ('session' as const) : ('machine' as const),
      until: i === 0 ? ('started' as const) : ('ready' as const),
    }));
    const ips = await this.#pods.start(id, plans, { [LABELS.client]: label, [LABELS.playground]: manifest.name }, start.progress);
    const previewUrl = this.#options.previewUrl?.();
    const request: SessionRequest = {
      manifest,
      credentials: credentials.digests,
      peers: plans.slice(1).map((plan, i) => ({ name: plan.spec.name, url: `ws://${ips[i + 1]}:${AGENT_PORT}/machine`, token: plan.token })),
      hosts: plans.map((plan, i) => ({ name: plan.spec.name, ip: ips[i] as string })),
      ...(start.owner ? { owner: start.owner } : {}),
      graceMs: this.#options.graceMs,
      replayBytes: this.#options.replayBytes,
      checkIntervalMs: this.#options.checkIntervalMs,
      ...(this.#options.eventsUrl ? { events: { url: this.#options.eventsUrl, secret: eventsSecret(this.#options.secret, id) } } : {}),
      ...(previewUrl ? { previews: { url: previewUrl, key: previewSecret(this.#options.secret, id).toString('hex') } } : {}),
    };
    try {
      await this.#post(`http://${ips[0]}:${AGENT_PORT}/session`, plans[0]?.token as string, request);
    } catch (error) {
      await this.#pods.delete(id);
      throw error;
    }
    return { id, credentials };
  }

  /** Where a session's agent is, from the cluster, or how its first pod ended; undefined when the cluster has no such session. */
  async locate(id: string): Promise<SessionWhereabouts> {
    let pod = await this.#sessionPod(id);
    // Its agent has stopped but the cluster has not said why yet (an eviction is recorded after): wait for it, bounded.
    for (let look = 0; pod && podEnding(pod) && look < ENDING_LOOKS; look++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      pod = await this.#sessionPod(id);
    }
    if (!pod) return undefined;
    const ended = podEnd(pod);
    if (ended) return { ended: ended.reason === 'error' ? await this.#causeOf(pod, ended) : ended };
    const ip = pod.status?.podIP;
    if (!ip) return undefined;
    return { url: `ws://${ip}:${AGENT_PORT}/api/ws`, token: this.#tokenOf(pod) };
  }

  /** A session's first pod (the one its agent runs the session in), if there is one; undefined for what is no session id. */
  async #sessionPod(id: string): Promise<V1Pod | undefined> {
    if (!/^[a-f0-9]{20}$/.test(id)) return undefined;
    return (await this.#pods.pods({ [LABELS.session]: id, [LABELS.role]: 'session' }))[0];
  }

  /** The secret of a pod's agent (derived from the gateways' shared secret, by its labels). */
  #tokenOf(pod: V1Pod): string {
    const labels = pod.metadata?.labels ?? {};
    return agentToken(this.#options.secret, labels[LABELS.session] ?? '', labels[LABELS.machine] ?? '');
  }

  /**
   * Why the cluster stopped a pod, from its events when its status does not say (an eviction):
   * they are recorded as it happens, so a pod that stopped a moment ago is looked at a few times more.
   */
  async #causeOf(pod: V1Pod, ended: PodEnd): Promise<PodEnd> {
    const stopped = stoppedAt(pod);
    for (let look = 0; ; look++) {
      const told = eventEnd(await this.#pods.events(pod.metadata?.name ?? '', pod.metadata?.uid).catch(() => []));
      if (told) return told;
      if (look >= ENDING_LOOKS || Date.now() - stopped >= 5000) return ended;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The admin API's list: every live session in the cluster, as its agent describes it (as the cluster does, while it starts). */
  async list(): Promise<SessionSummary[]> {
    const pods = (await this.#pods.pods({ [LABELS.role]: 'session' })).filter((p) => !podEnd(p));
    return Promise.all(
      pods.map(async (pod) => {
        const id = pod.metadata?.labels?.[LABELS.session] ?? '';
        const created = new Date(pod.metadata?.creationTimestamp ?? Date.now());
        const known: SessionSummary = {
          id,
          playground: pod.metadata?.labels?.[LABELS.playground] ?? '',
          createdAt: created.toISOString(),
          ageSeconds: Math.round((Date.now() - created.getTime()) / 1000),
          clients: 0,
          memoryBytes: 0,
          processes: 0,
          terminals: 0,
          machines: [],
        };
        const ip = pod.status?.podIP;
        if (!ip) return known;
        const answer = await fetch(`http://${ip}:${AGENT_PORT}/summary`, {
          headers: { authorization: `Bearer ${this.#tokenOf(pod)}` },
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined);
        return answer?.ok ? ((await answer.json().catch(() => known)) as SessionSummary) : known;
      }),
    );
  }

  /** The admin API's stop: its agent ends the session as `kicked` (its pages hear so), or, if it cannot, its pods go. */
  async stop(id: string): Promise<boolean> {
    const pod = await this.#sessionPod(id);
    const ip = pod?.status?.podIP;
    if (!pod || !ip || podEnd(pod)) return false;
    await this.#post(`http://${ip}:${AGENT_PORT}/end`, this.#tokenOf(pod), {}, 1).catch(() => this.#pods.delete(id));
    return true;
  }

  /** Where a preview key a session's agent granted leads: its machine's pod, if the key is genuine and the session lives. */
  async locatePreview(key: string): Promise<{ host: string; port: number; machine: string } | undefined> {
    const target = readPreviewKey(key, (session) => previewSecret(this.#options.secret, session));
    if (!target) return undefined;
    const [pod] = await this.#pods.pods({ [LABELS.session]: target.session, [LABELS.index]: String(target.index) });
    const ip = pod?.status?.podIP;
    if (!pod || !ip || podEnd(pod)) return undefined;
    return { host: ip, port: target.port, machine: pod.metadata?.labels?.[LABELS.machine] ?? '' };
  }

  /** Hot reload: every live session of the playground gets its new tasks (each gateway may send it; it is the same). */
  async replaceManifest(manifest: Manifest): Promise<void> {
    const pods = await this.#pods.pods({ [LABELS.role]: 'session', [LABELS.playground]: manifest.name });
    await Promise.all(
      pods.map(async (pod) => {
        const ip = pod.status?.podIP;
        if (!ip || !pod.metadata?.labels?.[LABELS.session] || !pod.metadata.labels[LABELS.machine]) return;
        await this.#post(`http://${ip}:${AGENT_PORT}/manifest`, this.#tokenOf(pod), manifest, 1).catch(() => {});
      }),
    );
  }

  /**
   * Deletes the pods of sessions that ended (their first pod's agent exits when its session does)
   * a grace period ago: until then, a page that comes back hears why its session ended.
   */
  async reap(now = Date.now()): Promise<number> {
    const ended = (await this.#pods.pods({ [LABELS.role]: 'session' })).filter(
      (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && now - stoppedAt(p) >= this.#options.graceMs,
    );
    await Promise.all(ended.map((p) => this.#pods.delete(p.metadata?.labels?.[LABELS.session] ?? '')));
    return ended.length;
  }

  /** POSTs JSON to an agent, trying again while it is not listening yet (bounded); its error becomes ours. */
  async #post(url: string, token: string, body: unknown, attempts = Math.ceil(LISTEN_TIMEOUT_MS / 100)): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
      } catch (error) {
        if (attempt >= attempts) throw new SandboxError(`the session's agent did not answer: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (res.ok) return;
      const answer = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      throw new PlaygroundError(
        (answer.error?.code as ErrorCode | undefined) ?? ErrorCode.Sandbox,
        answer.error?.message ?? `the session's agent answered ${res.status}`,
      );
    }
  }
}
