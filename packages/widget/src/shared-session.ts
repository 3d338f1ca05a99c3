import type { SessionTicket } from '@ix-playground/sdk';
import { TicketStore } from './ticket-store.js';

/**
 * A session that the elements of one page with the same `session` attribute (and server and
 * playground) share: one sandbox, each element showing its own terminal on it.
 */
export interface SharedSession {
  /** The session's id, once known. */
  id?: string;
  /** Its ticket: the one stored before a reload, or a new session being created. */
  ticket: Promise<SessionTicket>;
  /** True until an element takes the manifest's terminals (only for a session created by this page). */
  fresh: boolean;
  /** Which element shows which terminal. */
  owners: Map<number, unknown>;
  /** Terminals asked for by name and not open yet, and the element each is for. */
  requests: Map<string, unknown>;
  /** Where the ticket is remembered, so a reload finds the same machine. */
  store: TicketStore;
}

const shared = new Map<string, SharedSession>();

/**
 * The shared session under `key`: the one this page uses, else the one stored before a reload,
 * else a new one from `create`. `replacing` names a session found gone: unless another element
 * has replaced it already, a new one is created.
 */
export function sharedSession(key: string, create: () => Promise<SessionTicket>, replacing?: string): SharedSession {
  const known = shared.get(key);
  if (known && (!replacing || known.id !== replacing)) return known;
  const store = new TicketStore(key);
  if (replacing) store.clear();
  const stored = store.load();
  const group: SharedSession = { ticket: stored ? Promise.resolve(stored) : create(), fresh: !stored, owners: new Map(), requests: new Map(), store };
  shared.set(key, group);
  group.ticket.then(
    (ticket) => {
      group.id = ticket.id;
      store.save(ticket);
    },
    () => shared.get(key) === group && shared.delete(key), // failed: the next element tries again
  );
  return group;
}

/** Forgets the shared session under `key` if it is `id` (it ended), so the next start makes a new one. */
export function dropSharedSession(key: string, id: string | undefined): void {
  const group = shared.get(key);
  if (!group || group.id !== id) return;
  shared.delete(key);
  group.store.clear();
}

/** Who shows terminal `id`: its owner, else the element that asked for a terminal of that name. */
export function ownerOf(group: SharedSession, id: number, name: string): unknown {
  if (!group.owners.has(id) && group.requests.has(name)) {
    group.owners.set(id, group.requests.get(name));
    group.requests.delete(name);
  }
  return group.owners.get(id);
}

/**
 * Asks for a terminal for `owner` under a name no terminal of the session (`names`) and no other
 * request has, so that whichever element's connection hears of it first knows whose it is.
 */
export function requestTerminal(group: SharedSession, owner: unknown, names: string[]): string {
  let n = names.length + 1;
  while (names.includes(`shell ${n}`) || group.requests.has(`shell ${n}`)) n++;
  group.requests.set(`shell ${n}`, owner);
  return `shell ${n}`;
}
