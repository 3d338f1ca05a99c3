import { ErrorCode, PlaygroundError } from '@ix-playground/sdk/errors';
import type { IxPlayground } from './playground.js';

/** The DOM events the bridge forwards to the parent page. */
export const BRIDGED_EVENTS = ['ix-status', 'ix-task', 'ix-progress', 'ix-complete', 'ix-error', 'ix-saved'] as const;

/** One of {@link BRIDGED_EVENTS}. */
export type BridgedEventType = (typeof BRIDGED_EVENTS)[number];

/** What the bridge posts to the parent page for each event. */
export interface BridgeMessage {
  /** Always `'ix-playground'`, so the parent can tell these apart from other messages. */
  source: 'ix-playground';
  /** The DOM event's type, e.g. `ix-progress`. */
  type: BridgedEventType;
  /** The id of the `<ix-playground>` the event came from (`''` if it has none). */
  id: string;
  /** The event's detail, e.g. `{ done, total }`. */
  detail: unknown;
}

/** What the parent page may post to the frame: type `command` into `<ix-playground id>`, press Enter. */
export interface BridgeRunMessage {
  /** Always `'run'`. */
  type: 'run';
  /** The id of the `<ix-playground>` in the framed page. */
  id: string;
  /** The command (at most 4096 characters); Enter is pressed after it. */
  command: string;
}

/** Options of {@link enableParentBridge}. */
export interface ParentBridgeOptions {
  /** The exact origin of the embedding page, e.g. `https://course.example.com`. Nothing else is trusted. */
  parentOrigin: string;
  /** Where to post; defaults to `window.parent`. */
  target?: { postMessage(message: unknown, targetOrigin: string): void };
  /** Which events to forward; defaults to all of {@link BRIDGED_EVENTS}. */
  events?: readonly BridgedEventType[];
}

/** A running bridge; `dispose()` removes its listeners. */
export interface ParentBridge {
  /** Stops forwarding and listening. */
  dispose(): void;
}

/** Longest command a parent may send. */
const MAX_COMMAND = 4096;

/**
 * Connects the `<ix-playground>` elements of a page shown in an iframe to the page around it:
 * their `ix-*` events are posted to the parent, to `parentOrigin` only, and the parent may send
 * `{ type: 'run', id, command }`. Messages from any other origin are ignored.
 *
 * Opt-in: nothing is posted or accepted until a page calls it.
 *
 * ```js
 * enableParentBridge({ parentOrigin: 'https://course.example.com' });
 * ```
 */
export function enableParentBridge(options: ParentBridgeOptions): ParentBridge {
  const origin = exactOrigin(options.parentOrigin);
  const target = options.target ?? window.parent;
  const forward = (event: Event) => {
    const el = event.target; // at the document, retargeted to the element that is in the page
    const message: BridgeMessage = {
      source: 'ix-playground',
      type: event.type as BridgedEventType,
      id: el instanceof Element ? el.id : '',
      detail: (event as CustomEvent).detail ?? null,
    };
    try {
      target.postMessage(message, origin);
    } catch {
      // a detail that cannot be cloned (not one of ours): skip it rather than break the page
    }
  };
  const receive = (event: MessageEvent) => {
    if (event.origin !== origin) return;
    const run = asRunMessage(event.data);
    if (!run) return;
    const el = document.getElementById(run.id);
    if (el?.localName === 'ix-playground' && typeof (el as IxPlayground).run === 'function') (el as IxPlayground).run(run.command);
  };
  const events = options.events ?? BRIDGED_EVENTS;
  for (const type of events) document.addEventListener(type, forward);
  window.addEventListener('message', receive);
  return {
    dispose() {
      for (const type of events) document.removeEventListener(type, forward);
      window.removeEventListener('message', receive);
    },
  };
}

function exactOrigin(value: string): string {
  let origin: string | undefined;
  try {
    origin = new URL(value).origin;
  } catch {
    origin = undefined;
  }
  // `https://a.example/` is fine too: people copy origins from the address bar.
  if (!origin || origin === 'null' || (value !== origin && value !== `${origin}/`)) {
    throw new PlaygroundError(ErrorCode.BadRequest, `parentOrigin must be an exact origin like https://course.example.com, not "${value}"`);
  }
  return origin;
}

function asRunMessage(data: unknown): BridgeRunMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, id, command } = data as Record<string, unknown>;
  if (type !== 'run' || typeof id !== 'string' || typeof command !== 'string') return undefined;
  if (!id || id.length > 200 || !command || command.length > MAX_COMMAND) return undefined;
  return { type, id, command };
}
