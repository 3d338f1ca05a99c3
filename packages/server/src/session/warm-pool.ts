import type { Manifest } from '../manifest/manifest-schema.js';
import type { PlaygroundSession } from './playground-session.js';

/** How long refilling a playground's pool pauses after a session could not be made. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/** What a pool is told by its owner. */
export interface WarmPoolOptions {
  /** Ready sessions kept per playground. */
  size: number;
  /** Makes a session of `manifest` ahead of time (its clock not started), or rejects. */
  make: (manifest: Manifest) => Promise<PlaygroundSession>;
  /** Whether the server has room for one more session (pooled sessions count against its limits). */
  hasRoom: () => boolean;
}

/**
 * A few sessions per playground made before anyone asks, so that creating a session is taking one:
 * no sandbox to start, no init to run, the prompt already there. Bounded (`size` per playground),
 * refilled in the background one session at a time (so refills never compete with each other for
 * the CPU), and emptied on shutdown. A session made from an older version of a manifest (hot
 * reload) is never handed out.
 */
export class WarmPool {
  readonly #options: WarmPoolOptions;
  /** Ready sessions by playground name, oldest first. */
  readonly #ready = new Map<string, PlaygroundSession[]>();
  /** The latest manifest of every playground the pool serves. */
  readonly #manifests = new Map<string, Manifest>();
  /** When each playground may be refilled again after a failure. */
  readonly #pausedUntil = new Map<string, number>();
  /** Unsubscribes the pool from a ready session's end. */
  readonly #watching = new Map<PlaygroundSession, () => void>();
  #filling: Promise<void> | undefined;
  #closed = false;

  constructor(options: WarmPoolOptions) {
    this.#options = options;
  }

  /** Ready sessions in the pool, in all. */
  get size(): number {
    let n = 0;
    for (const list of this.#ready.values()) n += list.length;
    return n;
  }

  /** Starts keeping sessions of these playgrounds ready (the latest manifest of each wins). */
  fill(manifests: Iterable<Manifest>): void {
    if (this.#closed || this.#options.size <= 0) return;
    for (const manifest of manifests) this.#manifests.set(manifest.name, manifest);
    this.#refill();
  }

  /**
   * A ready session of exactly this manifest, taken out of the pool (claim it to start its clock),
   * or undefined; the pool is refilled in the background either way.
   */
  take(manifest: Manifest): PlaygroundSession | undefined {
    if (this.#closed || this.#options.size <= 0) return undefined;
    this.#manifests.set(manifest.name, manifest);
    const list = this.#ready.get(manifest.name) ?? [];
    let session: PlaygroundSession | undefined;
    for (const candidate of list.splice(0)) {
      if (candidate.manifest !== manifest || candidate.endReason)
        void candidate.end('shutdown'); // made from an older manifest
      else if (!session) session = candidate;
      else list.push(candidate);
    }
    this.#ready.set(manifest.name, list);
    if (session) {
      this.#watching.get(session)?.();
      this.#watching.delete(session);
    }
    this.#refill();
    return session;
  }

  /**
   * Ends one ready session (of the playground with the most), making room for a session someone
   * asked for; false if the pool is empty.
   */
  async shed(): Promise<boolean> {
    const list = [...this.#ready.values()].reduce<PlaygroundSession[] | undefined>((most, l) => (l.length > (most?.length ?? 0) ? l : most), undefined);
    const session = list?.shift();
    if (!session) return false;
    this.#watching.get(session)?.();
    this.#watching.delete(session);
    await session.end('shutdown');
    return true;
  }

  /** Stops refilling, ends every pooled session and waits for a refill under way. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#filling;
    const all = [...this.#ready.values()].flat();
    this.#ready.clear();
    await Promise.all(all.map((s) => s.end('shutdown')));
  }

  /** Makes sessions one after another until every playground has `size` ready (or there is no room). */
  #refill(): void {
    if (this.#filling || this.#closed) return;
    this.#filling = (async () => {
      for (let next = this.#wanted(); next && !this.#closed; next = this.#wanted()) {
        try {
          const session = await this.#options.make(next);
          if (this.#closed || this.#manifests.get(next.name) !== next) {
            await session.end('shutdown');
            continue;
          }
          const list = this.#ready.get(next.name) ?? [];
          list.push(session);
          this.#ready.set(next.name, list);
          // A pooled session that ends by itself (its shell died) leaves the pool.
          this.#watching.set(
            session,
            session.on('ended', () => {
              this.#watching.delete(session);
              const left = this.#ready.get(next.name)?.filter((s) => s !== session);
              if (left) this.#ready.set(next.name, left);
            }),
          );
        } catch {
          this.#pausedUntil.set(next.name, Date.now() + RETRY_AFTER_FAILURE_MS);
        }
      }
    })().finally(() => (this.#filling = undefined));
  }

  /** The manifest of a playground whose pool is short, or undefined when all are full. */
  #wanted(): Manifest | undefined {
    if (!this.#options.hasRoom()) return undefined;
    for (const [name, manifest] of this.#manifests) {
      if ((this.#pausedUntil.get(name) ?? 0) > Date.now()) continue;
      if ((this.#ready.get(name)?.length ?? 0) < this.#options.size) return manifest;
    }
    return undefined;
  }
}
