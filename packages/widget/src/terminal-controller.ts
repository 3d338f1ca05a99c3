import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import {
  ErrorCode,
  PlaygroundError,
  Session,
  createSession,
  gatewayUrl,
  type CreateSessionOptions,
  type EndReason,
  type NoticeLevel,
  type SessionStatus,
  type SessionTicket,
  type TerminalSession,
} from '@ix-playground/sdk';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import { IxCompleteEvent, IxProgressEvent, IxTaskEvent } from './events.js';
import { TicketStore } from './ticket-store.js';
import { adoptStylesheet, openTerminal } from './xterm-open.js';
import type { XtermModules } from './xterm-loader.js';

/** A banner for the person at the page. */
export interface Notice {
  /** How it is shown; errors stay until dismissed. */
  level: NoticeLevel;
  /** The text. */
  text: string;
}

/** What the controller needs from its element (`<ix-playground>`). */
export interface TerminalHost {
  /** The element: DOM events are dispatched on it and the terminals fit its size. */
  readonly element: HTMLElement;
  /** Its shadow root: holds the `.terminal` area and adopts xterm's stylesheets. */
  readonly root: HTMLElement | DocumentFragment;
  /** The element's status. */
  status(): SessionStatus;
  /** Re-renders the element (tabs changed). */
  update(): void;
  /** The session's status changed (`ready`, `reconnecting`, `ended`, …), with a message for people. */
  setStatus(status: SessionStatus, message?: string, reason?: string): void;
  /** Shows or hides the banner. */
  notice(notice: Notice | undefined): void;
  /** Reports an error; `recoverable` errors leave the status alone. */
  error(error: PlaygroundError, recoverable: boolean): void;
}

/** One terminal of the session, shown as a tab. */
interface Tab {
  term: Terminal;
  fit: FitAddon;
  box: HTMLElement;
  styles: { dispose(): void };
}

const ENDED_TEXT: Record<EndReason, string> = {
  exited: 'The shell exited.',
  expired: 'The session expired.',
  shutdown: 'The server shut down.',
  kicked: 'The session was taken over elsewhere.',
  evicted: 'This playground was closed to make room for one you opened in another tab.',
  stopped: 'The playground was saved and stopped.',
  error: 'The session failed.',
};

/**
 * The terminal side of `<ix-playground>`: the SDK session, one xterm.js terminal per tab, fitting
 * them to the element, and turning session events into the element's status and DOM events. It
 * lives in a lazily loaded chunk with the SDK session code, so a page pays for it only when a
 * playground boots.
 */
export class TerminalController {
  readonly #host: TerminalHost;
  readonly #loadingXterm: Promise<XtermModules>;
  #xterm: XtermModules | undefined;
  #tabs = new Map<number, Tab>();
  #active = 0;
  #session: TerminalSession | undefined;
  #resize: ResizeObserver | undefined;
  /** Subscriptions to the current session. */
  #held = new DisposableStore();
  #completed = false;
  #store: TicketStore | undefined;

  /** `xterm` may still be loading: the session is requested meanwhile, so both waits overlap. */
  constructor(host: TerminalHost, xterm: Promise<XtermModules>) {
    this.#host = host;
    this.#loadingXterm = xterm;
  }

  /** The SDK session, once attached. */
  get session(): TerminalSession | undefined {
    return this.#session;
  }

  /** The xterm.js Terminal of the active tab. */
  get terminal(): Terminal | undefined {
    return this.#tabs.get(this.#active)?.term;
  }

  /** The tabs to show, in order, and which one is active; none for read-only spectators. */
  get tabs(): { id: number; name: string; active: boolean }[] {
    // Spectators and one-terminal servers (ttyd) get no tab bar.
    if (this.#session?.grantedMode === 'ro' || this.#session?.features.tabs === false) return [];
    return [...this.#tabs.keys()].map((id) => ({ id, name: this.#session?.terminals.get(id)?.name ?? `shell ${id + 1}`, active: id === this.#active }));
  }

  /**
   * Starts a session of `playground` on `server` (or resumes the one remembered under `storeKey`
   * after a page reload) and shows its terminals. Resolves once the session is ready. `options`
   * carry the signed session token, for servers that require one.
   */
  async start(server: string, playground: string, storeKey: string, options: CreateSessionOptions = {}): Promise<void> {
    const url = gatewayUrl(server);
    this.#store = new TicketStore(storeKey);
    const stored = this.#store.load();
    const [xterm, ticket] = await Promise.all([this.#loadingXterm, stored ?? createSession(server, playground, options)]);
    if (!this.#host.element.isConnected) return;
    if (!this.#xterm) {
      this.#xterm = xterm;
      adoptStylesheet(this.#host.root, xterm.css);
    }
    this.#tab(0);
    try {
      await this.#attach(url, ticket);
    } catch (error) {
      const stale =
        error instanceof PlaygroundError &&
        (error.code === ErrorCode.SessionNotFound || error.code === ErrorCode.Unauthorized || error.code === ErrorCode.Ended);
      if (!stored || !stale) throw error;
      // The remembered session is gone (expired or server restarted): start a new one.
      this.#store.clear();
      this.dispose();
      this.#tab(0);
      await this.#attach(url, await createSession(server, playground, options));
    }
    this.#store.save({ id: this.#session!.id, token: this.#session!.token });
  }

  /** Types text into the active terminal's shell. */
  write(data: string): void {
    this.#session?.write(this.#active, data);
  }

  /** Opens a new tab: another shell on the same machine. */
  openTab(): void {
    this.#session?.openTerminal();
  }

  /** Shows the tab of terminal `id`. */
  selectTab(id: number): void {
    if (!this.#tabs.has(id)) return;
    this.#active = id;
    for (const [tid, tab] of this.#tabs) tab.box.hidden = tid !== id;
    this.#fit(id);
    this.#host.update();
    this.terminal?.focus();
  }

  /** Forgets the remembered session, so the next start is a fresh one. */
  forgetSession(): void {
    this.#store?.clear();
  }

  /** Closes the session and removes every terminal; nothing is left running. */
  dispose(): void {
    this.#held.clear();
    this.#session?.close();
    this.#session = undefined;
    this.#resize?.disconnect();
    this.#resize = undefined;
    for (const tab of this.#tabs.values()) {
      tab.term.dispose();
      tab.styles.dispose();
      tab.box.remove();
    }
    this.#tabs.clear();
    this.#active = 0;
  }

  /** The tab of terminal `id`, made on first use: its own xterm, fitted to the element. */
  #tab(id: number): Tab {
    const existing = this.#tabs.get(id);
    if (existing) return existing;
    const area = this.#host.root.querySelector('.terminal') as HTMLElement;
    const box = document.createElement('div');
    box.className = 'screen';
    box.hidden = id !== this.#active;
    const xterm = this.#xterm!; // loaded by start() before any tab exists
    const term = new xterm.Terminal({
      cursorBlink: true,
      fontSize: 14,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      theme: { background: getComputedStyle(this.#host.element).backgroundColor || '#1e1e1e' },
    });
    const fit = new xterm.FitAddon();
    term.loadAddon(fit);
    const styles = openTerminal(term, box, area, this.#host.root);
    term.onData((data) => this.#session?.write(id, data));
    term.onBinary((data) =>
      this.#session?.write(
        id,
        Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff),
      ),
    );
    term.onResize(({ cols, rows }) => this.#session?.resize(id, cols, rows));
    const tab = { term, fit, box, styles };
    this.#tabs.set(id, tab);
    if (!this.#resize) {
      this.#resize = new ResizeObserver(() => this.#fit(this.#active));
      this.#resize.observe(area);
    }
    this.#fit(id);
    this.#host.update();
    return tab;
  }

  #fit(id: number): void {
    try {
      this.#tabs.get(id)?.fit.fit();
    } catch {
      // not laid out (display: none): nothing to fit
    }
  }

  /**
   * Shows a terminal of a stock ttyd server (`url`: its WebSocket URL, `token`: its AuthToken, if it
   * has one). ttyd has no tasks, no tabs and no resume; the page is told so.
   */
  async startTtyd(url: string, token: string): Promise<void> {
    const [xterm, { TtydSession }] = await Promise.all([this.#loadingXterm, import('@ix-playground/sdk/ttyd')]);
    if (!this.#host.element.isConnected) return;
    if (!this.#xterm) {
      this.#xterm = xterm;
      adoptStylesheet(this.#host.root, xterm.css);
    }
    const { term } = this.#tab(0);
    const session = new TtydSession({ url, token, cols: term.cols, rows: term.rows, manualAck: true });
    this.#listen(session);
    await session.open();
    this.#host.notice({
      level: 'info',
      text: 'This terminal runs on a ttyd server: no task checks, and a lost connection cannot resume (it starts a new shell).',
    });
  }

  /** Follows a session: its output into the tabs, its events into the element's status and DOM events. */
  #listen(session: TerminalSession): void {
    const host = this.#host;
    this.#session = session;
    this.#completed = false;
    this.#held.add(
      session.on('output', ({ terminal, offset, data }) => {
        this.#tab(terminal).term.write(data, () => session.ack(terminal, offset + data.byteLength));
      }),
      session.on('snapshot', ({ terminal, data }) => {
        const { term } = this.#tab(terminal);
        const resumed = term.buffer.active.length > term.rows || term.buffer.active.cursorY > 0;
        term.reset();
        term.write(data);
        if (resumed)
          host.notice({
            level: 'info',
            text: 'You were away longer than the replay buffer lasts: showing the current screen; some older output is not shown.',
          });
      }),
      session.on('notice', (notice) => host.notice({ level: notice.level, text: notice.message })),
      session.on('terminal', ({ id }) => {
        this.#tab(id);
        this.selectTab(id);
      }),
      session.on('reconnecting', ({ attempt }) => host.setStatus('reconnecting', `Connection lost. Reconnecting (attempt ${attempt})…`)),
      session.on('status', (status) => {
        if (status === 'ready' && host.status() === 'reconnecting') host.setStatus('ready', '');
        else if (status === 'connecting' || status === 'idle') host.setStatus(status);
      }),
      session.on('ended', (reason) => host.setStatus('ended', ENDED_TEXT[reason], reason)),
      session.on('error', (error) => host.error(error, session.status !== 'error')),
      session.on('task', (task) => {
        host.element.dispatchEvent(new IxTaskEvent({ id: task.id, title: task.title, state: task.state, ...(task.message ? { message: task.message } : {}) }));
      }),
      session.on('progress', (progress) => {
        host.element.dispatchEvent(new IxProgressEvent(progress));
        if (progress.total > 0 && progress.done === progress.total && !this.#completed) {
          this.#completed = true;
          host.element.dispatchEvent(new IxCompleteEvent({ total: progress.total }));
        }
      }),
    );
  }

  async #attach(url: string, ticket: SessionTicket): Promise<void> {
    const session = new Session({ url, id: ticket.id, token: ticket.token, manualAck: true });
    this.#listen(session);
    await session.open();
    this.#fitSession(session);
  }

  /** Tells the server the size each terminal has on the page. */
  #fitSession(session: TerminalSession): void {
    for (const id of session.terminals.keys()) {
      const { term } = this.#tab(id);
      session.resize(id, term.cols, term.rows);
    }
  }
}
