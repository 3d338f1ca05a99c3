import { createNanoEvents } from 'nanoevents';
import type { EndReason } from '@ix-playground/sdk/protocol';
import { DESCRIPTOR_RESERVE, descriptorUse } from '../descriptor-headroom.js';
import { ErrorCode, LimitError, PlaygroundError } from '../errors.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { SessionCredentials } from './session-credentials.js';
import type { SavedFiles } from './snapshot-store.js';
import type { SandboxDriver } from '../sandbox/sandbox.js';
import { PlaygroundSession, type PlaygroundSessionOptions } from './playground-session.js';
import { WarmPool } from './warm-pool.js';

/** How many ended sessions' reasons are remembered for pages that come back to them. */
const REMEMBER_ENDED = 5000;

/** Limits on how many sessions run at once. */
export interface SessionLimits {
  /** Sessions on this server. */
  maxSessions: number;
  /** Sessions per client address. */
  maxSessionsPerClient: number;
  /** Ready sessions kept per playground (a warm pool; 0, the default, keeps none). */
  warmPool?: number;
}

/** Owns every live session: creates them within limits, finds them by id, ends them all on shutdown. */
export class SessionManager {
  #sessions = new Map<string, { session: PlaygroundSession; client: string }>();
  /** Sessions being created, by client address (they count against the limits too). */
  #pending = new Map<string, number>();
  /** The driver for a manifest's sandbox (one for the host's system, one for images, say). */
  #driverFor: (manifest: Manifest) => SandboxDriver;
  #options: PlaygroundSessionOptions & SessionLimits;
  #events = createNanoEvents<{ created(session: PlaygroundSession): void }>();
  /** Why recently ended sessions ended, oldest first. */
  #ended = new Map<string, EndReason>();
  /** Aborted on shutdown: sessions still being made are torn down. */
  #closing = new AbortController();
  /** Sessions being made (for clients or the pool), so that shutdown can wait for them. */
  #making = new Set<Promise<unknown>>();
  #pool: WarmPool;

  /** `driver`: one driver for every playground, or a function that picks one per manifest. */
  constructor(driver: SandboxDriver | ((manifest: Manifest) => SandboxDriver), options: PlaygroundSessionOptions & SessionLimits) {
    this.#driverFor = typeof driver === 'function' ? driver : () => driver;
    this.#options = options;
    this.#pool = new WarmPool({
      size: options.warmPool ?? 0,
      make: (manifest) => this.#make(manifest, true),
      hasRoom: () => this.#count() < this.#options.maxSessions,
    });
  }

  /** Sessions running, being made and ready in the pool: what the server's limit counts. */
  #count(): number {
    return this.#sessions.size + [...this.#pending.values()].reduce((a, b) => a + b, 0) + this.#pool.size;
  }

  /** Keeps a few sessions of these playgrounds ready, if the warm pool is on (IX_WARM_POOL). */
  warm(manifests: Iterable<Manifest>): void {
    this.#pool.fill(manifests);
  }

  /** Makes a session, torn down if the server shuts down meanwhile. */
  #make(
    manifest: Manifest,
    pooled: boolean,
    start: { restore?: SavedFiles; owner?: string | undefined; credentials?: SessionCredentials } = {},
  ): Promise<PlaygroundSession> {
    if (this.#closing.signal.aborted) return Promise.reject(new PlaygroundError(ErrorCode.Unavailable, 'the server is shutting down'));
    let driver: SandboxDriver;
    try {
      driver = this.#driverFor(manifest); // no driver here runs this playground's images: say why
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const making = PlaygroundSession.create(manifest, driver, { ...this.#options, pooled }, { ...start, signal: this.#closing.signal });
    this.#making.add(making);
    void making.then(
      () => this.#making.delete(making),
      () => this.#making.delete(making),
    );
    return making;
  }

  /**
   * Starts a session of `manifest` for a client. A client at its limit gets room by ending its
   * oldest session that no page is attached to (a tab it closed, say); only when all of its
   * sessions are in use is it refused.
   */
  async create(
    manifest: Manifest,
    client: string,
    start: { restore?: SavedFiles; owner?: string | undefined; credentials?: SessionCredentials } = {},
  ): Promise<PlaygroundSession> {
    if (this.#closing.signal.aborted) throw new PlaygroundError(ErrorCode.Unavailable, 'the server is shutting down');
    const fds = descriptorUse();
    if (fds && fds.limit - fds.open < DESCRIPTOR_RESERVE) {
      throw new PlaygroundError(
        ErrorCode.Unavailable,
        `the server is out of resources right now (${fds.open} of ${fds.limit} open files in use); try again in a moment`,
      );
    }
    const pending = [...this.#pending.values()].reduce((a, b) => a + b, 0);
    if (this.#sessions.size + pending >= this.#options.maxSessions) {
      throw new LimitError('sessions', 60, `the server is full (${this.#options.maxSessions} sessions); try again in a minute`);
    }
    const mine = [...this.#sessions.values()].filter((s) => s.client === client);
    if (mine.length + (this.#pending.get(client) ?? 0) >= this.#options.maxSessionsPerClient) {
      const detached = mine.find((s) => s.session.clientCount === 0 && !s.session.endReason);
      if (!detached) {
        const graceSeconds = Math.ceil(this.#options.graceMs / 1000);
        throw new LimitError(
          'sessions-per-client',
          graceSeconds,
          `you already have ${this.#options.maxSessionsPerClient} playgrounds open (the most for one reader): close one in another tab, or try again ${graceSeconds} s after closing it`,
        );
      }
      await detached.session.end('evicted'); // the oldest: the map keeps creation order
    }
    this.#pending.set(client, (this.#pending.get(client) ?? 0) + 1);
    try {
      // A restored session starts from saved files: never one of the pool's fresh ones.
      const pooled = start.restore ? undefined : this.#pool.take(manifest);
      // Pooled sessions count against the limit too: one gives way to a session that must be made.
      if (!pooled && this.#count() > this.#options.maxSessions) await this.#pool.shed();
      const session = pooled ?? (await this.#make(manifest, false, start));
      // Registered before anything else can run, so that a shutdown starting now ends it too.
      this.#sessions.set(session.id, { session, client });
      session.on('ended', (reason) => {
        this.#sessions.delete(session.id);
        this.#remember(session.id, reason);
      });
      if (this.#closing.signal.aborted) {
        await session.end('shutdown');
        throw new PlaygroundError(ErrorCode.Unavailable, 'the server is shutting down');
      }
      session.claim(start.owner);
      this.#events.emit('created', session);
      return session;
    } finally {
      const left = (this.#pending.get(client) ?? 1) - 1;
      if (left) this.#pending.set(client, left);
      else this.#pending.delete(client);
    }
  }

  /** Remembers why a session ended, so a page that comes back to it can be told (bounded). */
  #remember(id: string, reason: EndReason): void {
    this.#ended.set(id, reason);
    if (this.#ended.size > REMEMBER_ENDED) this.#ended.delete(this.#ended.keys().next().value as string);
  }

  /** Why a recently ended session ended (a bounded memory of the last few thousand), if known. */
  endedReason(id: string): EndReason | undefined {
    return this.#ended.get(id);
  }

  /** The live session with this id, if any. */
  get(id: string): PlaygroundSession | undefined {
    return this.#sessions.get(id)?.session;
  }

  /** Every live session. */
  values(): PlaygroundSession[] {
    return [...this.#sessions.values()].map((s) => s.session);
  }

  /** Calls `callback` with every new session (webhooks subscribe here); returns an unsubscribe function. */
  onCreated(callback: (session: PlaygroundSession) => void): () => void {
    return this.#events.on('created', callback);
  }

  /** How many sessions are live. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Ends every session (server shutdown), the pool's too; sessions still being made are torn
   * down as well, and this resolves only once none is left.
   */
  async shutdown(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#making]);
    await Promise.all([this.#pool.close(), ...[...this.#sessions.values()].map(({ session }) => session.end('shutdown'))]);
  }
}
