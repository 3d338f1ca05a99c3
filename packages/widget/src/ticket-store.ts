import type { SessionTicket } from '@ix-playground/sdk';

/** A remembered session: its ticket, and for an element sharing it, the terminals that element shows. */
export interface StoredTicket extends SessionTicket {
  /** The terminals this element shows (elements sharing one session each show their own). */
  terminals?: number[];
}

/**
 * Remembers each element's session id and token in sessionStorage, so a page reload resumes the
 * same shell. sessionStorage is per tab, so two tabs never fight over one session.
 */
export class TicketStore {
  readonly key: string;

  constructor(key: string) {
    this.key = `ix-playground:v1:${key}`;
  }

  /** The stored ticket, if any and well-formed. */
  load(): StoredTicket | undefined {
    try {
      const value = JSON.parse(sessionStorage.getItem(this.key) ?? 'null') as Partial<StoredTicket> | null;
      if (typeof value?.id !== 'string' || typeof value.token !== 'string') return undefined;
      const terminals = Array.isArray(value.terminals) ? value.terminals.filter(Number.isInteger) : undefined;
      return { id: value.id, token: value.token, ...(terminals ? { terminals } : {}) };
    } catch {
      return undefined; // storage blocked or corrupt: start fresh
    }
  }

  /** Stores a ticket. */
  save(ticket: StoredTicket): void {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(ticket));
    } catch {
      // storage blocked: the session just won't survive a reload
    }
  }

  /** Forgets the ticket. */
  clear(): void {
    try {
      sessionStorage.removeItem(this.key);
    } catch {
      // nothing to do
    }
  }
}
