import { createNanoEvents } from 'nanoevents';
import { ErrorCode, PlaygroundError } from './errors.js';
import type { Manifest } from './manifest-schema.js';
import type { SandboxDriver } from './sandbox.js';
import { PlaygroundSession, type PlaygroundSessionOptions } from './playground-session.js';

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
  #driver: SandboxDriver;
  #options: PlaygroundSessionOptions & SessionLimits;
  #events = createNanoEvents<{ created(session: PlaygroundSession): void }>();

  constructor(driver: SandboxDriver, options: PlaygroundSessionOptions & SessionLimits) {
    this.#driver = driver;
    this.#options = options;
  }

  /** Starts a session of `manifest` for a client address. */
  async create(manifest: Manifest, client: string): Promise<PlaygroundSession> {
    const pending = [...this.#pending.values()].reduce((a, b) => a + b, 0);
    if (this.#sessions.size + pending >= this.#options.maxSessions) {
      throw new PlaygroundError(ErrorCode.Limit, `the server is full (${this.#options.maxSessions} sessions); try again later`);
    }
    const mine = [...this.#sessions.values()].filter((s) => s.client === client).length + (this.#pending.get(client) ?? 0);
    if (mine >= this.#options.maxSessionsPerClient) {
      throw new PlaygroundError(ErrorCode.Limit, `too many sessions from your address (${this.#options.maxSessionsPerClient})`);
    }
    this.#pending.set(client, (this.#pending.get(client) ?? 0) + 1);
    try {
      const session = await PlaygroundSession.create(manifest, this.#driver, this.#options);
      this.#sessions.set(session.id, { session, client });
      session.on('ended', () => this.#sessions.delete(session.id));
      this.#events.emit('created', session);
      return session;
    } finally {
      const left = (this.#pending.get(client) ?? 1) - 1;
      if (left) this.#pending.set(client, left);
      else this.#pending.delete(client);
    }
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
