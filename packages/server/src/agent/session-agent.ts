import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import type { EndReason } from '@ix-playground/sdk/protocol';
import { ErrorCode, PlaygroundError, asPlaygroundError } from '../errors.js';
import { Gateway } from '../gateway/gateway.js';
import { sessionSummary } from '../http/admin-api.js';
import { WebhookSender, sendTaskEvents } from '../tasks/webhook.js';
import { OriginPolicy } from '../http/origin-policy.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import { InPodDriver } from '../sandbox/kubernetes/in-pod-driver.js';
import type { SandboxUsage } from '../sandbox/sandbox.js';
import { ClusterPreviewGrants } from '../session/cluster-previews.js';
import { machinesOf } from '../session/playground-machines.js';
import { SessionCredentials } from '../session/session-credentials.js';
import { SessionManager } from '../session/session-manager.js';
import type { PlaygroundSession } from '../session/playground-session.js';

/** What the gateway tells the agent of the session it is to run. */
const sessionRequest = v.object({
  manifest: v.unknown(),
  credentials: v.object({ id: v.string(), token: v.pipe(v.string(), v.hexadecimal()), spectator: v.pipe(v.string(), v.hexadecimal()) }),
  peers: v.array(v.object({ name: v.string(), url: v.string(), token: v.string() })),
  /** Every machine's address, for each machine's /etc/hosts (clusters may have no DNS for pods). */
  hosts: v.array(v.object({ name: v.string(), ip: v.string() })),
  owner: v.optional(v.string()),
  graceMs: v.pipe(v.number(), v.minValue(1000)),
  replayBytes: v.pipe(v.number(), v.minValue(1024)),
  checkIntervalMs: v.pipe(v.number(), v.minValue(0)),
  /** The gateways' preview URLs (`{key}` to fill) and this session's preview secret, when previews are on. */
  previews: v.optional(v.object({ url: v.string(), key: v.pipe(v.string(), v.hexadecimal()) })),
  /** Where the session's task events go, and the secret they are signed with, when the gateways send webhooks. */
  events: v.optional(v.object({ url: v.pipe(v.string(), v.url()), secret: v.string() })),
});

/** The request that starts a session in the agent (`POST /session`). */
export type SessionRequest = v.InferOutput<typeof sessionRequest>;

/** Where the session agent listens and what it is. */
export interface SessionAgentOptions {
  /** This machine: the session's first. */
  self: { name: string; home: string; user: string; usage?: (() => Promise<SandboxUsage>) | undefined };
  /** The secret gateways present (`Authorization: Bearer …`). */
  token: string;
  host?: string;
  port?: number;
  /** Called once the session has ended and its clients were told, with why (the agent's program exits then). */
  onEnded?: (reason: EndReason) => void;
}

/** A running session agent. */
export interface SessionAgent {
  /** Its base URL (http://host:port). */
  readonly url: string;
  /** The session, once the gateway has started it. */
  readonly session: PlaygroundSession | undefined;
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The agent in a session's first pod: it runs the session itself (terminals, replay buffers,
 * task checks, the other machines through their agents), so that gateways hold nothing a restart
 * loses: any gateway proxies a page's WebSocket here, and the page resumes where it was.
 * `POST /session` starts it (once), `POST /manifest` hot-reloads its tasks, `GET /summary` and
 * `POST /end` are the admin API's (docs/cli.md, `ls` and `stop`), `/api/ws` speaks
 * docs/protocol.md, `/healthz` answers 200 once the session is ready (the pod's readiness).
 */
export async function startSessionAgent(options: SessionAgentOptions): Promise<SessionAgent> {
  const expected = digest(options.token);
  const authorized = (req: IncomingMessage) => {
    const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    return !!given && timingSafeEqual(digest(given), expected);
  };
  let sessions: SessionManager | undefined;
  let gateway: Gateway | undefined;
  let session: PlaygroundSession | undefined;
  let starting: Promise<PlaygroundSession> | undefined;

  const start = (request: SessionRequest): Promise<PlaygroundSession> => {
    // The gateway validated the manifest (it holds the authored file) and presented the agent's secret.
    const manifest = request.manifest as Manifest;
    const driver = new InPodDriver({ self: options.self, peers: new Map(request.peers.map((p) => [p.name, p])), hosts: request.hosts });
    sessions = new SessionManager(driver, {
      graceMs: request.graceMs,
      replayBytes: request.replayBytes,
      checkIntervalMs: request.checkIntervalMs,
      maxSessions: 1,
      maxSessionsPerClient: 1,
    });
    // Origins were checked by the gateway; here only gateways connect, with the agent's secret.
    // Previews are served by the gateways, which check the keys granted here and carry requests to the pods.
    const previews =
      request.previews &&
      new ClusterPreviewGrants({
        key: Buffer.from(request.previews.key, 'hex'),
        session: request.credentials.id,
        url: request.previews.url,
        machines: machinesOf(manifest).map((m) => m.name),
      });
    gateway = new Gateway(sessions, new OriginPolicy([]), { maxUnattached: 64, maxUnattachedPerClient: 64, inputRate: 1024 * 1024 }, previews);
    return sessions.create(manifest, 'gateway', { credentials: SessionCredentials.fromDigests(request.credentials), owner: request.owner }).then((made) => {
      session = made;
      if (request.events) sendTaskEvents(new WebhookSender(request.events), made); // the gateways relay them (http/event-relay.ts)
      made.on('ended', (reason) => setTimeout(() => options.onEnded?.(reason), 500).unref());
      return made;
    });
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 4 * 1024 * 1024) throw new PlaygroundError(ErrorCode.Limit, 'request too large');
    }
    return JSON.parse(text) as unknown;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (pathname === '/healthz') return send(res, session ? 200 : 503, { ready: !!session, ended: session?.endReason ?? null });
      if (!authorized(req)) return send(res, 401, { error: { code: ErrorCode.Unauthorized, message: 'the agent needs its token' } });
      if (pathname === '/session' && req.method === 'POST') {
        const parsed = v.safeParse(sessionRequest, await readBody(req));
        if (!parsed.success) throw new PlaygroundError(ErrorCode.BadRequest, `bad session request: ${parsed.issues[0]?.message}`);
        starting ??= start(parsed.output);
        const made = await starting;
        return send(res, 201, { id: made.id });
      }
      const route = `${req.method} ${pathname}`;
      if (route === 'GET /summary' || route === 'POST /end' || route === 'POST /manifest') {
        // The routes of a session that has started.
        if (!session) throw new PlaygroundError(ErrorCode.SessionNotFound, 'no session has started here');
        if (route === 'GET /summary') return send(res, 200, await sessionSummary(session));
        if (route === 'POST /end') {
          await session.end('kicked');
          return send(res, 200, { ended: session.id });
        }
        const manifest = (await readBody(req)) as Manifest;
        session.replaceManifest(manifest);
        session.notify('info', `the playground was reloaded: ${manifest.tasks.length} task(s)`);
        return send(res, 200, { ok: true });
      }
      send(res, 404, { error: { code: ErrorCode.NotFound, message: `no route ${req.method} ${pathname}` } });
    })().catch((error: unknown) => {
      const err = asPlaygroundError(error, ErrorCode.Internal, (error as Error)?.message ?? 'internal error');
      if (!res.headersSent) send(res, err.code === ErrorCode.BadRequest ? 400 : 503, { error: { code: err.code, message: err.message } });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(req) || !gateway) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    gateway.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7070, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`,
    get session() {
      return session;
    },
    async close() {
      await sessions?.shutdown();
      gateway?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
