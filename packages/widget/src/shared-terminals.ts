import { ErrorCode, MAX_TERMINALS, PlaygroundError, type SessionTicket, type TerminalInfo } from '@ix-playground/sdk';
import { dropSharedSession, ownerOf, requestTerminal, sharedSession, type SharedSession } from './shared-session.js';
import type { ShownTerminals } from './shown-terminals.js';

/** How long a shared session's new terminal may take to open. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * The terminals one element shows of a session it shares with the page's other elements of the
 * same `session` attribute (shared-session.ts): those it showed before a reload, the manifest's
 * for the element that started the session, else a new one of its own. A chunk of its own, loaded
 * only by pages that share sessions.
 */
export class SharedTerminals implements ShownTerminals {
  readonly #key: string;
  #group: SharedSession;
  /** The terminals this element shows. */
  #own = new Set<number>();
  /** Set by show() when the manifest's terminals are this element's to show. */
  #takesManifest = false;
  /** Settles claim(): with nothing once the terminal asked for is open, with an error when disposed. */
  #claimed: ((error?: PlaygroundError) => void) | undefined;

  /** Joins the shared session under `key`, made by `create` if the page has none yet. */
  constructor(key: string, create: () => Promise<SessionTicket>) {
    this.#key = key;
    this.#group = sharedSession(key, create);
  }

  /** The shared session's ticket. */
  get ticket(): Promise<SessionTicket> {
    return this.#group.ticket;
  }

  get terminals(): number[] {
    return [...this.#own];
  }

  replace(create: () => Promise<SessionTicket>, gone: string): Promise<SessionTicket> {
    return (this.#group = sharedSession(this.#key, create, gone)).ticket;
  }

  show(terminals?: number[]): number | undefined {
    const group = this.#group;
    this.#own = new Set(terminals);
    this.#takesManifest = !terminals && group.fresh;
    if (this.#takesManifest) group.fresh = false;
    for (const id of this.#own) group.owners.set(id, this);
    return this.#takesManifest ? 0 : terminals?.[0];
  }

  owns(id: number): boolean {
    return this.#own.has(id);
  }

  shown(terminals: ReadonlyMap<number, TerminalInfo>): number[] {
    const group = this.#group;
    // The element that started the session takes the manifest's: every one no other element asked for or shows.
    if (this.#takesManifest)
      for (const [id, { name }] of terminals)
        if (!group.owners.has(id) && !group.requests.has(name)) {
          this.#own.add(id);
          group.owners.set(id, this);
        }
    this.#takesManifest = false;
    return [...terminals.keys()].filter((id) => this.#own.has(id));
  }

  request(names: string[]): string {
    return requestTerminal(this.#group, this, names);
  }

  take(id: number, name: string): boolean | undefined {
    if (ownerOf(this.#group, id, name) !== this) return undefined;
    this.#own.add(id);
    const claimed = this.#claimed;
    this.#claimed = undefined;
    claimed?.();
    return !!claimed;
  }

  async claim(open: () => void): Promise<void> {
    if (this.#own.size) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new PlaygroundError(ErrorCode.Limit, `could not open a terminal on the shared machine (at most ${MAX_TERMINALS} terminals per session)`)),
        OPEN_TIMEOUT_MS,
      );
      this.#claimed = (error) => (error ? reject(error) : resolve());
      open();
    }).finally(() => clearTimeout(timer));
  }

  forget(id: string | undefined): void {
    dropSharedSession(this.#key, id);
  }

  dispose(): void {
    for (const [name, owner] of this.#group.requests) if (owner === this) this.#group.requests.delete(name);
    this.#claimed?.(new PlaygroundError(ErrorCode.Cancelled, 'the terminal was closed'));
    this.#claimed = undefined;
  }
}
