import type { SessionTicket } from '@ix-playground/sdk';

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
  load(): SessionTicket | undefined {
    try {
      const value = JSON.parse(sessionStorage.getItem(this.key) ?? 'null') as Partial<SessionTicket> | null;
      return typeof value?.id === 'string' && typeof value.token === 'string' ? { id: value.id, token: value.token } : undefined;
    } catch {
      return undefined; // storage blocked or corrupt: start fresh
    }
  }

  /** Stores a ticket. */
  save(ticket: SessionTicket): void {
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
