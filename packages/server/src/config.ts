import path from 'node:path';
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
  /** Sandbox driver (IX_SANDBOX: bwrap, the default, or host). */
  sandbox: 'bwrap' | 'host';
  /** Page origins allowed to open sessions (IX_ORIGINS, comma-separated); undefined: the server's own. */
  origins?: string[] | undefined;
  /** Sessions on this server (IX_MAX_SESSIONS, default 32). */
  maxSessions: number;
  /** Sessions per client address (IX_MAX_SESSIONS_PER_CLIENT, default 4). */
  maxSessionsPerClient: number;
  /** Detached-session grace period in ms (IX_GRACE, default 5m). */
  graceMs: number;
  /** Replay buffer per terminal in bytes (IX_REPLAY_BUFFER, default 1Mi). */
  replayBytes: number;
  /** Task check timer in ms (IX_CHECK_INTERVAL, default 5s; 0 off). */
  checkIntervalMs: number;
  /** Where task and completion events are POSTed, signed (IX_WEBHOOK_URL + IX_WEBHOOK_SECRET; docs/webhooks.md). */
  webhook?: { url: string; secret: string } | undefined;
  /** Reload manifests when they are saved (IX_WATCH, default 1; 0 turns it off). */
  watch?: boolean;
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

/** Reads the configuration from environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = number(env, 'PORT', 8080);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`);
  const host = env.HOST || '127.0.0.1';
  const sandbox = env.IX_SANDBOX || 'bwrap';
  if (sandbox !== 'bwrap' && sandbox !== 'host') throw new ConfigError(`IX_SANDBOX must be "bwrap" or "host", got "${sandbox}"`);
  const origins = env.IX_ORIGINS ? env.IX_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : undefined;
  return {
    port,
    host,
    playgrounds: path.resolve(env.PLAYGROUNDS || 'examples/playgrounds'),
    staticDir: env.IX_STATIC === '' ? '' : path.resolve(env.IX_STATIC || 'examples'),
    sandbox,
    allowNetwork: env.IX_ALLOW_NETWORK === '1',
    origins,
    maxSessions: number(env, 'IX_MAX_SESSIONS', 32),
    maxSessionsPerClient: number(env, 'IX_MAX_SESSIONS_PER_CLIENT', 4),
    graceMs: parsed(env, 'IX_GRACE', '5m', (t) => ((parseDuration(t) ?? 0) >= 1000 ? parseDuration(t) : undefined), 'a duration of at least 1s, like 5m'),
    replayBytes: parsed(env, 'IX_REPLAY_BUFFER', '1Mi', parseSize, 'a size like 1Mi'),
    checkIntervalMs: parsed(env, 'IX_CHECK_INTERVAL', '5s', parseDuration, 'a duration like 5s'),
    webhook: webhook(env),
    watch: flag(env, 'IX_WATCH', true),
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
