// Shared by the widget's browser tests (web-test-runner); not part of the package.
import { PROTOCOL, Session, type TaskInfo, type WebSocketLike } from '@ix-playground/sdk';
import { IxStatusEvent } from '../src/events.js';
import type { IxPlayground } from '../src/playground.js';

/** The URL of the real playground server web-test-runner started (see web-test-runner.config.mjs). */
export async function playgroundServerUrl(): Promise<string> {
  return ((await (await fetch('/__ix/server')).json()) as { url: string }).url;
}

/** Resolves when `check` is true; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const mounted: Element[] = [];

/** Adds an element to the page (removed by {@link unmountAll}). */
export function mount<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text) el.textContent = text;
  document.body.append(el);
  mounted.push(el);
  return el;
}

/** Removes what {@link mount} added and forgets stored sessions. */
export function unmountAll(): void {
  for (const el of mounted.splice(0)) el.remove();
  sessionStorage.clear();
}

let ids = 0;
/** A fresh element id, so tests never see each other's elements. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${++ids}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The text of a playground's xterm buffer (scrollback and screen). */
export function bufferText(el: IxPlayground): string {
  const buffer = el.terminal?.buffer.active;
  if (!buffer) return '';
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n');
}

/**
 * A scripted server for one session, speaking the real protocol through the SDK's WebSocket seam,
 * for states a real shell cannot be made to show on cue (notices, a swapped session).
 */
export function scriptedSession(tasks: TaskInfo[]): { session: Session; send(message: object): void; sent: string[] } {
  let socket: WebSocketLike | undefined;
  const sent: string[] = [];
  class ScriptedSocket implements WebSocketLike {
    readyState = 0;
    protocol = PROTOCOL;
    binaryType = 'arraybuffer';
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onerror: WebSocketLike['onerror'] = null;
    onclose: WebSocketLike['onclose'] = null;
    constructor() {
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- the test keeps the socket the code under test made
      socket = this;
      queueMicrotask(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data: string | Uint8Array): void {
      if (typeof data !== 'string') return;
      sent.push(data);
      const message = JSON.parse(data) as { type: string; session: string };
      if (message.type === 'attach') {
        const welcome = {
          type: 'welcome',
          protocol: PROTOCOL,
          session: message.session,
          mode: 'rw',
          playground: { name: 'scripted', title: 'Scripted lab' },
          terminals: [],
          tasks,
        };
        queueMicrotask(() => this.onmessage?.({ data: JSON.stringify(welcome) }));
      }
    }
    close(): void {
      this.readyState = 3;
    }
  }
  const session = new Session({ url: 'ws://scripted.invalid/api/ws', id: 's1', token: 't1', WebSocket: ScriptedSocket });
  return { session, sent, send: (message) => socket!.onmessage?.({ data: JSON.stringify(message) }) };
}

/** A real `<ix-playground>` (never started) that reports a given session as ready. */
export function playgroundWithSession(id: string, session: Session): IxPlayground {
  const pg = mount('ix-playground', { id, connect: 'click' });
  Object.defineProperty(pg, 'session', { get: () => session, configurable: true });
  Object.defineProperty(pg, 'status', { get: () => 'ready', configurable: true });
  pg.dispatchEvent(new IxStatusEvent({ status: 'ready' }));
  return pg;
}
