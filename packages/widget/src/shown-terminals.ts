import type { SessionTicket, TerminalInfo } from '@ix-playground/sdk';

/**
 * Which of a session's terminals an element shows: every one ({@link allTerminals}), unless it
 * shares the session with other elements of the page (shared-terminals.ts, a chunk of its own).
 */
export interface ShownTerminals {
  /** The terminals to remember for a reload; undefined when the element shows them all. */
  readonly terminals: number[] | undefined;
  /** Starts showing a session: answers the terminal to show first, if any yet (`terminals`: those shown before a reload). */
  show(terminals?: number[]): number | undefined;
  /** Whether the element shows terminal `id`. */
  owns(id: number): boolean;
  /** Which of a session's `terminals` the element shows, once attached. */
  shown(terminals: ReadonlyMap<number, TerminalInfo>): number[];
  /** The name to open a new terminal under, so the page knows whose it is (none: any). */
  request(names: string[]): string | undefined;
  /** Terminal `id` named `name` opened: undefined when another element shows it, else whether {@link claim} waited for it. */
  take(id: number, name: string): boolean | undefined;
  /** Where the element shows no terminal yet: opens one of its own (by `open`) and waits until it is. */
  claim(open: () => void): Promise<void>;
  /** The session was found gone: the ticket of the session (made by `create`) that replaces session `gone`, if shared. */
  replace(create: () => Promise<SessionTicket>, gone: string): Promise<SessionTicket> | undefined;
  /** Session `id` ended: the next start makes a new one. */
  forget(id: string | undefined): void;
  /** Withdraws what the element asked for; a pending {@link claim} rejects with `cancelled`. */
  dispose(): void;
}

/** What an element that shares its session with no other shows: every terminal of it. */
export const allTerminals: ShownTerminals = {
  terminals: undefined,
  show: () => 0,
  owns: () => true,
  shown: (terminals) => [...terminals.keys()],
  request: () => undefined,
  take: () => false,
  claim: async () => {},
  replace: () => undefined,
  forget() {},
  dispose() {},
};
