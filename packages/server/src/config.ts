import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { descriptorLimit } from './descriptor-headroom.js';
import { parseDuration, parseSize } from './units.js';

/** Everything the reference server can be told, with safe defaults for a public host. */
export interface ServerConfig {
  /** TCP port (PORT, default 8080; 0 picks a free one). */
  port: number;
  /** Address to bind (HOST, default 127.0.0.1). */
  host: string;
  /** Folder of playground manifests (PLAYGROUNDS, default examples/playgrounds). */
  playgrounds: string;
  /** Folder served at `/` (IX_STATIC, default examples); empty for none. */
  staticDir: string;
  /** Let manifests with `network: true` use the host's network (IX_ALLOW_NETWORK=1; default off). */
  allowNetwork?: boolean | undefined;
  /** Sandbox driver by name (IX_SANDBOX: `bwrap`, the default, `host`, or any registered driver; drivers.ts). */
  sandbox: string;
  /**
   * The driver for playgrounds with an image that the `sandbox` driver cannot run (IX_IMAGE_SANDBOX,
   * default `machines`).
   */
  imageSandbox?: string | undefined;
  /** Page origins allowed to open sessions (IX_ORIGINS, comma-separated); undefined: the server's own. */
  origins?: string[] | undefined;
  /** Sessions on this server (IX_MAX_SESSIONS, default 32). */
  maxSessions: number;
  /** Sessions per client address (IX_MAX_SESSIONS_PER_CLIENT, default 4). */
  maxSessionsPerClient: number;
  /** Open TCP connections in total (IX_MAX_CONNECTIONS; default a quarter of the descriptor limit, at most 10000; 0 no cap). */
  maxConnections?: number;
  /** Open TCP connections per client address (IX_MAX_CONNECTIONS_PER_CLIENT, default 64; 0 no cap). */
  maxConnectionsPerClient?: number;
  /** WebSockets that have not attached yet, in total (IX_MAX_UNATTACHED, default 256). */
  maxUnattached?: number;
  /** WebSockets that have not attached yet, per client address (IX_MAX_UNATTACHED_PER_CLIENT, default 8). */
  maxUnattachedPerClient?: number;
  /** Inbound bytes per second per WebSocket before the server stops reading it for a while (IX_INPUT_RATE, default 1Mi). */
  inputRate?: number;
  /** Inbound frames per second per WebSocket (not an environment variable; default 200). */
  messageRate?: number;
  /** How long a new WebSocket has to attach before it is dropped (IX_ATTACH_TIMEOUT, default 10s). */
  attachTimeoutMs?: number;
  /**
   * Web previews (IX_PREVIEW_PORT, IX_PREVIEW_URL; IX_PREVIEW_PORT=off turns them off): the port
   * of their own listener (default PORT + 1; 0 any free port) and the URL template of a preview
   * (`{key}`, `{port}`; default `http://{key}.localhost:{port}/`).
   */
  preview?: { port?: number | undefined; urlTemplate?: string | undefined } | false;
  /** Build the images playgrounds name at startup, in the background (IX_PREBUILD_IMAGES, default 1); 0 builds each on its first session. */
  prebuildImages?: boolean;
  /** Reverse proxies whose X-Forwarded-For / Forwarded name the client (IX_TRUST_PROXY: addresses, or `loopback`; default none). */
  trustProxy?: string[];
  /**
   * Saved playgrounds (IX_SNAPSHOTS: their folder, `off` for none; default /var/lib/ix-playground/snapshots
   * as root, else in the temp folder), the most one may take (IX_SNAPSHOT_MAX, default 256Mi) and
   * how long they are kept (IX_SNAPSHOT_TTL, default 7d).
   */
  snapshots?: { dir: string; maxBytes: number; ttlMs: number } | false;
  /** The operator's token for the admin API (`ix-playground ls` and `stop`); IX_ADMIN_TOKEN, at least 24 characters; unset: no admin API. */
  adminToken?: string | undefined;
  /** Where the kubernetes driver puts sessions (IX_K8S_*; docs/kubernetes.md). */
  kubernetes?: KubernetesConfig | undefined;
  /** Signed session tokens (IX_TOKEN_*): when set, creating a session needs one (docs/operating.md). */
  tokens?: TokenConfig | undefined;
  /** Detached-session grace period in ms (IX_GRACE, default 5m). */
  graceMs: number;
  /** Replay buffer per terminal in bytes (IX_REPLAY_BUFFER, default 1Mi). */
  replayBytes: number;
  /** Task check timer's shortest delay in ms, after learner activity (IX_CHECK_INTERVAL, default 5s; 0 off). */
  checkIntervalMs: number;
  /** Ready sessions kept per playground, so a new session starts at once (IX_WARM_POOL, default 0: none). */
  warmPool?: number;
  /** Where task and completion events are POSTed, signed (IX_WEBHOOK_URL + IX_WEBHOOK_SECRET; docs/webhooks.md). */
  webhook?: { url: string; secret: string } | undefined;
  /** Reload manifests when they are saved (IX_WATCH, default 1; 0 turns it off). */
  watch?: boolean;
}

/** How signed session tokens (JWTs minted by the host site's backend) are checked. */
export interface TokenConfig {
  /** Shared secret for HS256 (IX_TOKEN_SECRET, at least 32 bytes). */
  secret?: string | undefined;
  /** PEM public key (SPKI) for RS256, ES256 or EdDSA (IX_TOKEN_PUBLIC_KEY: the PEM text, or a path to it). */
  publicKey?: string | undefined;
  /** The one algorithm accepted (IX_TOKEN_ALG; default HS256 with a secret, else required). */
  algorithm: string;
  /** Required `iss` (IX_TOKEN_ISSUER). */
  issuer: string;
  /** Required `aud` (IX_TOKEN_AUDIENCE). */
  audience: string;
  /** Longest lifetime a token may have, from `iat` (IX_TOKEN_MAX_AGE, default 10m). */
  maxAgeMs: number;
}

/** Thrown for a bad environment variable; the message names it. */
export class ConfigError extends Error {
  /** Always `config`. */
  readonly code = 'config';
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function parsed(env: NodeJS.ProcessEnv, name: string, fallback: string, parse: (s: string) => number | undefined, what: string): number {
  const raw = env[name] || fallback;
  const n = parse(raw);
  if (n === undefined) throw new ConfigError(`${name} must be ${what}, got "${raw}"`);
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== '0' && raw !== '1') throw new ConfigError(`${name} must be 0 or 1, got "${raw}"`);
  return raw === '1';
}

/** IX_WEBHOOK_URL and IX_WEBHOOK_SECRET: both or neither, and an http(s) URL. */
function webhook(env: NodeJS.ProcessEnv): ServerConfig['webhook'] {
  const url = env.IX_WEBHOOK_URL;
  const secret = env.IX_WEBHOOK_SECRET;
  if (!url) {
    if (secret) throw new ConfigError('IX_WEBHOOK_SECRET is set but IX_WEBHOOK_URL is not: set both to send webhooks');
    return undefined;
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new ConfigError(`IX_WEBHOOK_URL must be an absolute http(s) URL, got "${url}"`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw new ConfigError(`IX_WEBHOOK_URL must be an http(s) URL, got "${url}"`);
  if (!secret) throw new ConfigError('IX_WEBHOOK_URL is set but IX_WEBHOOK_SECRET is not: webhooks are always signed, set a long random secret');
  return { url, secret };
}

/** IX_ADMIN_TOKEN: long enough to be a secret. */
function adminToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.IX_ADMIN_TOKEN || undefined;
  if (token && token.length < 24)
    throw new ConfigError('IX_ADMIN_TOKEN must be at least 24 characters (use a long random string, e.g. `openssl rand -base64 32`)');
  return token;
}

/** IX_PREVIEW_PORT and IX_PREVIEW_URL. */
function preview(env: NodeJS.ProcessEnv): ServerConfig['preview'] {
  if (env.IX_PREVIEW_PORT === 'off') return false;
  const previewPort = env.IX_PREVIEW_PORT ? number(env, 'IX_PREVIEW_PORT', 0) : undefined;
  if (previewPort !== undefined && previewPort > 65535) throw new ConfigError(`IX_PREVIEW_PORT must be at most 65535, got ${previewPort}`);
  const urlTemplate = env.IX_PREVIEW_URL || undefined;
  if (urlTemplate && (!/^https?:\/\//.test(urlTemplate) || !urlTemplate.includes('{key}'))) {
    throw new ConfigError(`IX_PREVIEW_URL must be an http(s) URL with {key} in its host name, like https://{key}.preview.example.com/, got "${urlTemplate}"`);
  }
  return { port: previewPort, urlTemplate };
}

/** IX_TRUST_PROXY: comma-separated proxy addresses, `loopback`, or `1` (same as loopback). */
function trustProxy(env: NodeJS.ProcessEnv): string[] {
  const raw = env.IX_TRUST_PROXY;
  if (!raw || raw === '0') return [];
  const list = raw
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => (a === '1' ? 'loopback' : a));
  for (const a of list) {
    if (a !== 'loopback' && !isIP(a)) throw new ConfigError(`IX_TRUST_PROXY must list proxy IP addresses (or "loopback"), got "${a}"`);
  }
  return list;
}

/** IX_WARM_POOL: ready sessions per playground, 0 to 16. */
function warmPool(env: NodeJS.ProcessEnv): number {
  const n = number(env, 'IX_WARM_POOL', 0);
  if (n > 16) throw new ConfigError(`IX_WARM_POOL must be at most 16 (ready sessions per playground), got ${n}`);
  return n;
}

/** The IX_TOKEN_* variables: none, or a complete, safe set. */
function tokens(env: NodeJS.ProcessEnv): TokenConfig | undefined {
  const secret = env.IX_TOKEN_SECRET || undefined;
  let publicKey = env.IX_TOKEN_PUBLIC_KEY || undefined;
  const related = ['IX_TOKEN_ALG', 'IX_TOKEN_ISSUER', 'IX_TOKEN_AUDIENCE', 'IX_TOKEN_MAX_AGE'].filter((n) => env[n]);
  if (!secret && !publicKey) {
    if (related.length)
      throw new ConfigError(`${related.join(', ')} set without IX_TOKEN_SECRET or IX_TOKEN_PUBLIC_KEY: set one of them to require signed session tokens`);
    return undefined;
  }
  if (secret && publicKey) throw new ConfigError('set IX_TOKEN_SECRET or IX_TOKEN_PUBLIC_KEY, not both');
  if (secret && Buffer.byteLength(secret) < 32)
    throw new ConfigError('IX_TOKEN_SECRET must be at least 32 bytes (use a long random string, e.g. `openssl rand -base64 48`)');
  if (publicKey && !publicKey.includes('-----BEGIN')) {
    try {
      publicKey = readFileSync(publicKey, 'utf8');
    } catch (error) {
      throw new ConfigError(`IX_TOKEN_PUBLIC_KEY must be a PEM public key or the path of one: ${(error as Error).message}`);
    }
  }
  const algorithm = env.IX_TOKEN_ALG || (secret ? 'HS256' : '');
  const allowed = secret ? ['HS256', 'HS384', 'HS512'] : ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
  if (!allowed.includes(algorithm))
    throw new ConfigError(`IX_TOKEN_ALG must be one of ${allowed.join(', ')} with ${secret ? 'IX_TOKEN_SECRET' : 'IX_TOKEN_PUBLIC_KEY'}, got "${algorithm}"`);
  const issuer = env.IX_TOKEN_ISSUER;
  const audience = env.IX_TOKEN_AUDIENCE;
  if (!issuer || !audience)
    throw new ConfigError('signed session tokens need IX_TOKEN_ISSUER and IX_TOKEN_AUDIENCE (the `iss` your backend sets and the `aud` naming this server)');
  const maxAgeMs = parsed(
    env,
    'IX_TOKEN_MAX_AGE',
    '10m',
    (t) => ((parseDuration(t) ?? 0) >= 1000 ? parseDuration(t) : undefined),
    'a duration of at least 1s, like 10m',
  );
  return { secret, publicKey, algorithm, issuer, audience, maxAgeMs };
}

/** The kubernetes driver's settings. */
export interface KubernetesConfig {
  /** Namespace of the sessions' pods (IX_K8S_NAMESPACE, default `default`). */
  namespace: string;
  /** The agent's image (IX_K8S_AGENT_IMAGE, required for the driver). */
  agentImage: string | undefined;
  /** The image of playgrounds that name none (IX_K8S_DEFAULT_IMAGE). */
  defaultImage: string | undefined;
  /** Ask for user namespaces, `hostUsers: false` (IX_K8S_USER_NAMESPACES, default 1). */
  userNamespaces: boolean;
  /**
   * The gateways' shared secret (IX_K8S_SECRET, at least 24 characters): with it, sessions live in
   * their pods and any gateway replica serves any page; without it, in this server.
   */
  secret: string | undefined;
  /** How session pods reach the gateways (IX_K8S_GATEWAY_URL, e.g. http://ix-playground.ix-playground.svc): their agents relay task events there for webhooks. */
  gatewayUrl: string | undefined;
}

function kubernetesConfig(env: NodeJS.ProcessEnv): KubernetesConfig {
  const namespace = env.IX_K8S_NAMESPACE || 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new ConfigError(`IX_K8S_NAMESPACE must be a namespace name, got "${namespace}"`);
  const secret = env.IX_K8S_SECRET || undefined;
  if (secret && secret.length < 24) throw new ConfigError('IX_K8S_SECRET must be at least 24 characters (use a long random string)');
  return {
    namespace,
    agentImage: env.IX_K8S_AGENT_IMAGE || undefined,
    defaultImage: env.IX_K8S_DEFAULT_IMAGE || undefined,
    userNamespaces: env.IX_K8S_USER_NAMESPACES !== '0',
    secret,
    gatewayUrl: httpUrl(env, 'IX_K8S_GATEWAY_URL'),
  };
}

/** An http(s) URL from `key`, without a trailing slash, or undefined when unset. */
function httpUrl(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const value = env[key];
  if (!value) return undefined;
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(value)) throw new ConfigError(`${key} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/$/, '');
}

/** A sandbox driver's name from `key` (drivers.ts says which exist; this only checks the shape). */
function driverName(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  const name = env[key] || fallback;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new ConfigError(`${key} must be a driver name like "bwrap" or "machines", got "${name}"`);
  return name;
}

/** Reads the configuration from environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = number(env, 'PORT', 8080);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`);
  const host = env.HOST || '127.0.0.1';
  const sandbox = driverName(env, 'IX_SANDBOX', 'bwrap');
  const imageSandbox = driverName(env, 'IX_IMAGE_SANDBOX', 'machines');
  if (sandbox === 'kubernetes' && env.IX_K8S_SECRET && env.IX_WEBHOOK_URL && !env.IX_K8S_GATEWAY_URL)
    throw new ConfigError(
      'webhooks of sessions on the cluster need IX_K8S_GATEWAY_URL, the address session pods reach the gateways at (e.g. http://ix-playground.ix-playground.svc): their agents relay task events there',
    );
  const origins = env.IX_ORIGINS
    ? env.IX_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : undefined;
  return {
    port,
    host,
    playgrounds: path.resolve(env.PLAYGROUNDS || 'examples/playgrounds'),
    staticDir: env.IX_STATIC === '' ? '' : path.resolve(env.IX_STATIC || 'examples'),
    sandbox,
    imageSandbox,
    allowNetwork: env.IX_ALLOW_NETWORK === '1',
    origins,
    maxSessions: number(env, 'IX_MAX_SESSIONS', 32),
    maxSessionsPerClient: number(env, 'IX_MAX_SESSIONS_PER_CLIENT', 4),
    maxConnections: number(env, 'IX_MAX_CONNECTIONS', Math.min(10_000, Math.max(64, Math.floor((descriptorLimit() ?? 4096) / 4)))),
    maxConnectionsPerClient: number(env, 'IX_MAX_CONNECTIONS_PER_CLIENT', 64),
    maxUnattached: number(env, 'IX_MAX_UNATTACHED', 256),
    maxUnattachedPerClient: number(env, 'IX_MAX_UNATTACHED_PER_CLIENT', 8),
    inputRate: parsed(
      env,
      'IX_INPUT_RATE',
      '1Mi',
      (t) => ((parseSize(t) ?? 0) >= 1024 ? parseSize(t) : undefined),
      'a size per second of at least 1Ki, like 1Mi',
    ),
    attachTimeoutMs: parsed(
      env,
      'IX_ATTACH_TIMEOUT',
      '10s',
      (t) => ((parseDuration(t) ?? 0) >= 100 ? parseDuration(t) : undefined),
      'a duration of at least 100ms, like 10s',
    ),
    trustProxy: trustProxy(env),
    preview: preview(env),
    prebuildImages: flag(env, 'IX_PREBUILD_IMAGES', true),
    tokens: tokens(env),
    adminToken: adminToken(env),
    kubernetes: kubernetesConfig(env),
    snapshots:
      env.IX_SNAPSHOTS === 'off'
        ? false
        : {
            dir: path.resolve(
              env.IX_SNAPSHOTS || (process.getuid?.() === 0 ? '/var/lib/ix-playground/snapshots' : path.join(os.tmpdir(), 'ix-playground-snapshots')),
            ),
            maxBytes: parsed(env, 'IX_SNAPSHOT_MAX', '256Mi', parseSize, 'a size like 256Mi'),
            ttlMs: parsed(
              env,
              'IX_SNAPSHOT_TTL',
              '7d',
              (t) => parseDuration(t.replace(/^(\d+)d$/, (_, d: string) => `${Number(d) * 24}h`)),
              'a duration like 7d or 12h',
            ),
          },
    graceMs: parsed(env, 'IX_GRACE', '5m', (t) => ((parseDuration(t) ?? 0) >= 1000 ? parseDuration(t) : undefined), 'a duration of at least 1s, like 5m'),
    replayBytes: parsed(env, 'IX_REPLAY_BUFFER', '1Mi', parseSize, 'a size like 1Mi'),
    checkIntervalMs: parsed(env, 'IX_CHECK_INTERVAL', '5s', parseDuration, 'a duration like 5s'),
    warmPool: warmPool(env),
    webhook: webhook(env),
    watch: flag(env, 'IX_WATCH', true),
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
