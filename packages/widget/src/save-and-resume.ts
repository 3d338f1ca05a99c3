import { createSession, listSnapshots, type CreateSessionOptions, type SessionTicket, type SnapshotInfo, type TerminalSession } from '@ix-playground/sdk';
import { IxSavedEvent } from './events.js';
import { localSaves } from './local-saves.js';
import type { ResumeOffer } from './resume-offer.js';
import type { TerminalHost } from './terminal-host.js';

/** How long the list of saved playgrounds may take before the element starts without offering one. */
const LIST_TIMEOUT_MS = 3000;

/** Makes a session; with `restore`, from that save. */
export type CreateTicket = (restore?: string) => Promise<SessionTicket>;

/**
 * Saving a playground and coming back to it: sessions carry the reader's anonymous owner key, so
 * they can be saved; the element that saved (and only it) offers to resume the save on the
 * reader's return. The offer is a chunk of its own (resume-offer.ts), loaded when there is a save to offer.
 */
export class SaveAndResume {
  readonly #host: TerminalHost;
  /** What the element is remembered under (its last save, for a return). */
  #key = '';
  /** Stops the list of saves being fetched (the element let go before it came). */
  #listing: AbortController | undefined;
  /** The offer to resume a saved playground, while shown. */
  #offer: ResumeOffer | undefined;
  /** The last save of this session. */
  #saved: SnapshotInfo | undefined;

  constructor(host: TerminalHost) {
    this.#host = host;
  }

  /** The save made by {@link save}, if any. */
  get saved(): SnapshotInfo | undefined {
    return this.#saved;
  }

  /**
   * How the element remembered under `key` makes sessions of `playground` on `server`: `create`
   * makes one the reader owns; `offer` too, but where the reader saved in this element before (and
   * no signed token names another owner), it first offers to resume that save.
   */
  start(server: string, playground: string, key: string, options: CreateSessionOptions): [create: CreateTicket, offer: () => Promise<SessionTicket>] {
    const owner = localSaves.owner();
    const create: CreateTicket = (restore) => createSession(server, playground, { ...options, ...(owner ? { owner } : {}), ...(restore ? { restore } : {}) });
    this.#key = key;
    const last = localSaves.last(key);
    return [create, () => (owner && last && options.token === undefined ? this.#offerSaved(server, playground, owner, last, create) : create())];
  }

  /**
   * Creates the session, restoring save `id` (the last one made in this element) if the reader
   * chooses so and it is still kept. The list is asked for briefly: unreachable or slow, the
   * element starts fresh rather than wait.
   */
  async #offerSaved(server: string, playground: string, owner: string, id: string, create: CreateTicket): Promise<SessionTicket> {
    const abort = (this.#listing = new AbortController());
    const timer = setTimeout(() => abort.abort(), LIST_TIMEOUT_MS);
    const saved = await listSnapshots(server, owner, playground, (input, init) => fetch(input, { ...init, signal: abort.signal }))
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    const newest = saved?.find((s) => s.id === id);
    if (saved && !newest) localSaves.remember(this.#key, undefined); // expired, or the server forgot it
    if (!newest || !this.#host.element.isConnected) return create();
    const { ResumeOffer } = await import('./resume-offer.js');
    this.#offer = new ResumeOffer(this.#host);
    try {
      const resume = await this.#offer.ask(newest);
      if (!resume) localSaves.remember(this.#key, undefined); // asked once: fresh it is, from now on
      this.#host.setStatus('connecting', 'Starting your machine…');
      return await create(resume ? newest.id : undefined);
    } finally {
      this.#offer = undefined;
    }
  }

  /**
   * Saves the playground's files on the server under the reader's owner key and ends `session`
   * (running programs stop); the element remembers the save for the reader's return. Announced
   * as `ix-saved`.
   */
  async save(session: TerminalSession): Promise<void> {
    this.#host.notice({ level: 'info', text: 'Saving your files…' });
    try {
      const snapshot = await session.save({ stop: true });
      this.#saved = snapshot;
      localSaves.remember(this.#key, snapshot.id);
      this.#host.notice(undefined);
      this.#host.element.dispatchEvent(new IxSavedEvent(snapshot));
    } catch (error) {
      this.#host.notice({ level: 'error', text: `Could not save: ${(error as Error).message}` });
    }
  }

  /** Stops fetching the list of saves and takes a shown offer away (the session they would start is not wanted any more). */
  dispose(): void {
    this.#listing?.abort();
    this.#offer?.cancel();
    this.#offer = undefined;
  }
}
