import { createNanoEvents } from 'nanoevents';
import type { EndReason } from '@ix-playground/sdk/protocol';
import { LimitError } from './errors.js';
import type { Manifest } from './manifest-schema.js';
import type { SandboxDriver } from './sandbox.js';
import { PlaygroundSession, type PlaygroundSessionOptions } from './playground-session.js';

/** How many ended sessions' reasons are remembered for pages that come back to them. */
const REMEMBER_ENDED = 5000;

/** Limits on how many sessions run at once. */
export interface SessionLimits {
  /** Sessions on this server. */
  maxSessions: number;
  /** Sessions per client address. */
  maxSessionsPerClient: number;
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

  /** `driver`: one driver for every playground, or a function that picks one per manifest. */
  constructor(driver: SandboxDriver | ((manifest: Manifest) => SandboxDriver), options: PlaygroundSessionOptions & SessionLimits) {
    this.#driverFor = typeof driver === 'function' ? driver : () => driver;
    this.#options = options;
  }

  /**
   * Starts a session of `manifest` for a client. A client at its limit gets room by ending its
   * oldest session that no page is attached to (a tab it closed, say); only when all of its
   * sessions are in use is it refused.
   */
  async create(manifest: Manifest, client: string, start: Parameters<typeof PlaygroundSession.create>[3] = {}): Promise<PlaygroundSession> {
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
      const session = await PlaygroundSession.create(manifest, this.#driverFor(manifest), this.#options, start);
      this.#sessions.set(session.id, { session, client });
      session.on('ended', (reason) => {
        this.#sessions.delete(session.id);
        this.#remember(session.id, reason);
      });
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

  /** Ends every session (server shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map(({ session }) => session.end('shutdown')));
  }
}
