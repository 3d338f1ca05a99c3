import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { widgetFileHeaders } from './http/cdn-headers.js';
import { AdminApi } from './http/admin-api.js';
import { EventRelay, RELAY_PATH } from './http/event-relay.js';
import { ProxyTrust } from './http/client-address.js';
import { PreviewServer } from './http/preview-server.js';
import type { ServerConfig } from './config.js';
import { ConnectionCounter } from './http/connection-counter.js';
import { SandboxDrivers, createDriver } from './sandbox/drivers.js';
import { KubernetesDriver } from './sandbox/kubernetes/kubernetes-driver.js';
import { ClusterSessions } from './session/cluster-sessions.js';
import { machinesOf } from './session/playground-machines.js';
import { ErrorCode, PlaygroundError } from './errors.js';
import { Gateway } from './gateway/gateway.js';
import { HeaderRules } from './http/header-rules.js';
import { HttpApi, sendError, sendJson } from './http/http-api.js';
import { loadManifests } from './manifest/manifest.js';
import { ManifestWatcher } from './manifest/manifest-watcher.js';
import type { Manifest } from './manifest/manifest-schema.js';
import { OriginPolicy } from './http/origin-policy.js';
import type { SandboxDriver } from './sandbox/sandbox.js';
import { SessionManager } from './session/session-manager.js';
import { SessionTokens } from './http/session-tokens.js';
import { SnapshotStore } from './session/snapshot-store.js';
import { serveStatic } from './http/static-files.js';
import { WebhookSender, sendTaskEvents } from './tasks/webhook.js';

/** A running reference server. */
export interface PlaygroundServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The live sessions. */
  readonly sessions: SessionManager;
  /** Page origins allowed to open sessions. */
  readonly origins: OriginPolicy;
  /** The loaded manifests by name. */
  readonly manifests: ReadonlyMap<string, Manifest>;
  /** Which per-sandbox limits the kernel enforces on this host, and which are off (for the startup log). */
  readonly limits: string;
  /** Ends every session and stops listening. */
  close(): Promise<void>;
}

/** Where the widget's CDN build (entry and lazy chunks) is, to serve it at /widget/. */
function widgetDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@ix-playground/widget/package.json');
    return path.join(path.dirname(pkg), 'dist', 'cdn');
  } catch {
    return undefined;
  }
}

/** Sessions in the cluster's pods, when the server runs the kubernetes driver with the gateways' shared secret (IX_K8S_SECRET). */
function clusterSessions(config: ServerConfig, driver: SandboxDriver, previewUrl: () => string | undefined): ClusterSessions | undefined {
  if (!(driver instanceof KubernetesDriver) || !config.kubernetes?.secret) return undefined;
  return new ClusterSessions(driver.pods, {
    previewUrl,
    eventsUrl: config.webhook && config.kubernetes.gatewayUrl ? config.kubernetes.gatewayUrl + RELAY_PATH : undefined,
    secret: config.kubernetes.secret,
    graceMs: config.graceMs,
    replayBytes: config.replayBytes,
    checkIntervalMs: config.checkIntervalMs,
    maxSessions: config.maxSessions,
    maxSessionsPerClient: config.maxSessionsPerClient,
  });
}

/** Loads the manifests, starts the HTTP server and WebSocket gateway, and listens. */
export async function startServer(config: ServerConfig, driver: SandboxDriver = createDriver(config)): Promise<PlaygroundServer> {
  const manifests = await loadManifests(config.playgrounds);
  const limits = (await driver.describeLimits?.()) ?? `the ${driver.name} driver enforces no kernel limits`;
  const origins = new OriginPolicy(config.origins ?? []);
  // Each playground runs on the configured driver if it can, on the image driver if not.
  const drivers = SandboxDrivers.fromConfig(config, driver);
  const imagesOf = (manifest: Manifest) => machinesOf(manifest).map((m) => m.image);
  const sessions = new SessionManager((manifest) => drivers.pick(manifest.name, imagesOf(manifest)), config);
  if (config.prebuildImages !== false) {
    const playgrounds = [...manifests.values()].map((m) => ({ name: m.name, images: imagesOf(m) }));
    drivers.prepare(playgrounds, (line) => console.log(`[ix-playground] ${line}`));
  }
  const webhooks = config.webhook ? new WebhookSender(config.webhook) : undefined;
  if (webhooks) sessions.onCreated((session) => sendTaskEvents(webhooks, session));
  const proxies = new ProxyTrust(config.trustProxy ?? []);
  const snapshots = config.snapshots ? new SnapshotStore(config.snapshots) : undefined;
  // On a cluster with a shared secret, sessions live in their pods: any replica starts them and carries pages to them.
  const cluster = clusterSessions(config, driver, () => previews?.urlPattern);
  const reaper =
    cluster &&
    setInterval(() => void cluster.reap().catch((error: Error) => console.error(`[ix-playground] reaping ended sessions: ${error.message}`)), 15_000);
  reaper?.unref();
  const api = new HttpApi(() => manifests, cluster ?? sessions, origins, {
    tokens: config.tokens ? new SessionTokens(config.tokens) : undefined,
    proxies,
    admin: new AdminApi(config.adminToken, sessions, cluster),
    relay: cluster && webhooks && config.kubernetes?.secret ? new EventRelay(config.kubernetes.secret, webhooks) : undefined,
    snapshots,
  });
  const previews =
    config.preview === false
      ? undefined
      : new PreviewServer({
          host: config.host,
          port: config.preview?.port ?? (config.port ? config.port + 1 : 0),
          urlTemplate: config.preview?.urlTemplate,
          remote: cluster,
        });
  if (previews) {
    const explicit = config.preview !== undefined && config.preview !== false && config.preview.port !== undefined;
    await previews.listen().catch(async (error: NodeJS.ErrnoException) => {
      // PORT + 1 is only a default: when something else has it, any free port does as well.
      if (!explicit && error.code === 'EADDRINUSE') return previews.listen(0);
      throw new PlaygroundError(
        ErrorCode.Unavailable,
        `the web-preview port (IX_PREVIEW_PORT) cannot be used: ${error.message}; set IX_PREVIEW_PORT to a free port, 0 for any, or off`,
      );
    });
  }
  const gateway = new Gateway(
    sessions,
    origins,
    {
      maxUnattached: config.maxUnattached ?? 256,
      maxUnattachedPerClient: config.maxUnattachedPerClient ?? 8,
      inputRate: config.inputRate ?? 1024 * 1024,
      ...(config.messageRate ? { messageRate: config.messageRate } : {}),
      ...(config.attachTimeoutMs ? { attachTimeoutMs: config.attachTimeoutMs } : {}),
      proxies,
    },
    previews,
    snapshots,
    cluster,
  );
  const connections = new ConnectionCounter(config.maxConnections ?? 0, config.maxConnectionsPerClient ?? 64);
  const widget = widgetDir();
  const pageHeaders = config.staticDir ? new HeaderRules(config.staticDir) : undefined;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (pathname === '/healthz') return sendJson(res, 200, { ok: true, sessions: sessions.size, sandbox: driver.name });
      if (await api.handle(req, res, pathname)) return;
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendError(res, new PlaygroundError(ErrorCode.MethodNotAllowed, `${req.method} is not allowed on ${pathname}`));
      if (widget && pathname.startsWith('/widget/') && (await serveStatic(req, res, widget, pathname.slice('/widget'.length), { headers: widgetFileHeaders })))
        return;
      if (config.staticDir && (await serveStatic(req, res, config.staticDir, pathname, { headers: () => pageHeaders?.headersFor(pathname) }))) return;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found');
    })().catch((error: unknown) => {
      console.error('[ix-playground]', error);
      if (!res.headersSent) sendError(res, new PlaygroundError(ErrorCode.Internal, 'internal error'));
      else res.destroy();
    });
  });
  // Slow or idle clients do not keep descriptors for long, and no client holds more than its share.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('connection', (socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    // A trusted proxy carries many readers: it counts against the total, not as one client.
    if (!connections.tryAdd(client, { perClient: !proxies.trusts(client) })) {
      socket.destroy();
      return;
    }
    socket.once('close', () => connections.remove(client));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    // Node stops listening for errors on a socket it hands over for an upgrade: a client that
    // resets while being refused must not take the server down.
    socket.on('error', () => socket.destroy());
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    gateway.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const onReload = cluster ? (manifest: Manifest) => void cluster.replaceManifest(manifest) : undefined;
  const watcher = config.watch !== false ? new ManifestWatcher(config.playgrounds, manifests, sessions, { ...(onReload ? { onReload } : {}) }) : undefined;
  sessions.warm(manifests.values()); // IX_WARM_POOL: sessions made ahead, in the background
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // The default allowlist is the server's own origins, known only now (the port may have been 0).
  if (!config.origins) origins.allow(OriginPolicy.ownOrigins(config.host, address.port));
  return {
    url: `http://${host}:${address.port}`,
    sessions,
    origins,
    manifests,
    limits,
    async close() {
      watcher?.close();
      clearInterval(reaper);
      await sessions.shutdown(); // clients hear `ended {reason: shutdown}` before their sockets close
      gateway.close();
      await webhooks?.close(2000);
      await drivers.close();
      await previews?.close();
      snapshots?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
