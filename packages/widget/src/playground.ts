import { LitElement, html, nothing, type PropertyValues } from 'lit';
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
} from '@ix-playground/sdk';
import { IxCompleteEvent, IxErrorEvent, IxProgressEvent, IxStatusEvent, IxTaskEvent } from './events.js';
import { playgroundStyles } from './playground.styles.js';
import { TicketStore } from './ticket-store.js';
import { loadXterm, type XtermModules } from './xterm-loader.js';

/** One terminal of the session, shown as a tab. */
interface Tab {
  term: Terminal;
  fit: FitAddon;
  box: HTMLElement;
}

/** When the element starts its terminal. */
export type ConnectMode = 'visible' | 'click' | 'eager';

/** Status of the element (the SDK's session status, plus `idle` before it boots). */
export type PlaygroundStatus = SessionStatus;

/** Commands `run()` holds while the session is not ready yet. */
const MAX_QUEUED_COMMANDS = 32;

const ENDED_TEXT: Record<EndReason, string> = {
  exited: 'The shell exited.',
  expired: 'The session expired.',
  shutdown: 'The server shut down.',
  kicked: 'The session was taken over elsewhere.',
  evicted: 'This playground was closed to make room for one you opened in another tab.',
  error: 'The session failed.',
};

/**
 * A live, sandboxed Linux terminal for any web page.
 *
 * @summary Drop `<ix-playground server="…" playground="hello">` into a page; readers get a real shell.
 *
 * @event ix-status - The status changed: `{ status, reason? }`.
 * @event ix-task - A task changed state: `{ id, title, state, message? }`.
 * @event ix-progress - Progress over all tasks: `{ done, total }`.
 * @event ix-complete - Every task is done: `{ total }`.
 * @event ix-error - Something went wrong: `{ code, message }`.
 *
 * @csspart terminal - The area the terminals render into.
 * @csspart tabs - The tab bar (one tab per terminal of the session).
 * @csspart tab - One tab button.
 * @csspart new-tab - The button that opens a new terminal.
 * @csspart overlay - The status overlay (connecting, ended, error).
 * @csspart notice - A banner with a message from the server (manifest reloaded, output skipped).
 *
 * @cssproperty --ix-playground-height - Height of the element (default 360px).
 * @cssproperty --ix-playground-bg - Background colour.
 * @cssproperty --ix-playground-fg - Overlay text colour.
 * @cssproperty --ix-playground-padding - Space around the terminal.
 * @cssproperty --ix-playground-radius - Corner radius.
 */
export class IxPlayground extends LitElement {
  static override styles = playgroundStyles;

  static override properties = {
    server: { type: String },
    playground: { type: String },
    protocol: { type: String },
    connect: { type: String },
    token: { type: String },
  };

  /** Base URL of the playground server; defaults to this page's origin. */
  server = '';
  /** Name of the playground manifest to start. */
  playground = '';
  /** Wire protocol: `ix` (default). `ttyd` is planned. */
  protocol = 'ix';
  /** When to start: `visible` (default, when near the viewport), `click`, or `eager`. */
  connect: ConnectMode = 'visible';
  /**
   * A signed session token from your site's backend, for servers that require one. It starts one
   * session; set {@link tokenProvider} instead to let the element fetch a fresh one when it needs it.
   */
  token = '';
  /** Fetches a fresh signed session token each time the element starts a session (wins over `token`). */
  tokenProvider: (() => string | Promise<string>) | undefined;

  #status: PlaygroundStatus = 'idle';
  #message = '';
  #notice: { level: NoticeLevel; text: string } | undefined;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #xterm: XtermModules | undefined;
  #tabs = new Map<number, Tab>();
  #active = 0;
  #session: Session | undefined;
  #booting = false;
  #completed = false;
  #visibility: IntersectionObserver | undefined;
  #resize: ResizeObserver | undefined;
  #unsubscribe: (() => void)[] = [];
  #queue: string[] = [];

  /** The xterm.js Terminal of the active tab, once booted. */
  get terminal(): Terminal | undefined {
    return this.#tabs.get(this.#active)?.term;
  }

  /** The SDK session, once connected. */
  get session(): Session | undefined {
    return this.#session;
  }

  /** `idle`, `connecting`, `ready`, `reconnecting`, `ended` or `error`; reflected as an attribute. */
  get status(): PlaygroundStatus {
    return this.#status;
  }

  /** Types a command into the terminal and presses Enter (held until the session is ready). */
  run(command: string): void {
    if (this.#status === 'ready' && this.#session) {
      this.#session.write(this.#active, command + '\r');
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_COMMANDS) {
      this.#error(new PlaygroundError(ErrorCode.Limit, `too many commands waiting for the terminal (${MAX_QUEUED_COMMANDS})`));
      return;
    }
    this.#queue.push(command);
    if (this.#status === 'idle') void this.#boot();
  }

  /** Focuses the terminal. */
  override focus(): void {
    this.terminal?.focus();
  }

  /** Opens a new tab: another shell on the same machine (same files, same processes). */
  openTab(): void {
    this.#session?.openTerminal();
  }

  /** Shows the tab of terminal `id`. */
  selectTab(id: number): void {
    if (!this.#tabs.has(id)) return;
    this.#active = id;
    for (const [tid, tab] of this.#tabs) tab.box.hidden = tid !== id;
    this.#fit(id);
    this.requestUpdate();
    this.terminal?.focus();
  }

  /** Ends this element's connection and starts a fresh session. */
  restart(): void {
    this.#teardown();
    this.#store().clear();
    this.#disposeTabs();
    void this.#boot();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#setStatus(this.#status);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#visibility?.disconnect();
    this.#visibility = undefined;
    this.#teardown();
    this.#disposeTabs();
    clearTimeout(this.#noticeTimer);
    this.#setStatus('idle');
  }

  protected override firstUpdated(_changed: PropertyValues): void {
    if (this.connect === 'eager') {
      void this.#boot();
    } else if (this.connect !== 'click') {
      this.#visibility = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting)) {
            this.#visibility?.disconnect();
            this.#visibility = undefined;
            void this.#boot();
          }
        },
        { rootMargin: '200px' },
      );
      this.#visibility.observe(this);
    }
  }

  protected override render() {
    const status = this.#status;
    const showStart = status === 'idle' && this.connect === 'click';
    const showRetry = status === 'ended' || status === 'error';
    const hidden = status === 'ready' || (status === 'idle' && !showStart);
    const tabs = [...this.#tabs.keys()];
    const tabBar = this.#tabs.size && this.#session?.grantedMode !== 'ro';
    return html`
      ${tabBar
        ? html`<div class="tabs" part="tabs" role="tablist">
            ${tabs.map(
              (id) => html`<button role="tab" part="tab" aria-selected=${id === this.#active ? 'true' : 'false'} @click=${() => this.selectTab(id)}>
                ${this.#session?.terminals.get(id)?.name ?? `shell ${id + 1}`}
              </button>`,
            )}
            <button class="new-tab" part="new-tab" aria-label="Open a new terminal tab" title="New tab" @click=${() => this.openTab()}>+</button>
          </div>`
        : nothing}
      <div class="terminal" part="terminal"></div>
      ${this.#notice
        ? html`<div class="notice ${this.#notice.level}" part="notice" role=${this.#notice.level === 'error' ? 'alert' : 'status'}>
            <span>${this.#notice.text}</span>
            <button aria-label="Dismiss" @click=${() => this.#showNotice(undefined)}>×</button>
          </div>`
        : nothing}
      <div class="overlay" part="overlay" role="status" aria-live="polite" ?hidden=${hidden}>
        <div class="message">${this.#message}</div>
        ${showStart ? html`<button @click=${() => void this.#boot()}>Start terminal</button>` : nothing}
        ${showRetry ? html`<button @click=${() => this.restart()}>Start a new session</button>` : nothing}
      </div>
    `;
  }

  #store(): TicketStore {
    const siblings = [...document.querySelectorAll('ix-playground')].filter((e) => e.getAttribute('playground') === this.playground);
    const who = this.id || String(siblings.indexOf(this));
    return new TicketStore(`${this.#serverUrl()}|${this.playground}|${who}`);
  }

  #sessionOptions(): CreateSessionOptions {
    const token = this.tokenProvider ?? (this.token || undefined);
    return token ? { token } : {};
  }

  #serverUrl(): string {
    return new URL(this.server || '/', document.baseURI).toString().replace(/\/$/, '');
  }

  async #boot(): Promise<void> {
    if (this.#booting || this.#session) return;
    this.#booting = true;
    this.#completed = false;
    await this.updateComplete; // boot may be called from an update; change status after it
    try {
      if (!this.playground) throw new PlaygroundError(ErrorCode.BadRequest, 'set the playground attribute to the name of a playground');
      if (this.protocol !== 'ix') throw new PlaygroundError(ErrorCode.BadRequest, `protocol="${this.protocol}" is not supported yet; use "ix"`);
      const server = this.#serverUrl();
      const url = gatewayUrl(server);
      this.#setStatus('connecting', 'Starting your machine…');
      const store = this.#store();
      const stored = store.load();
      const [xterm, ticket] = await Promise.all([loadXterm(), stored ?? createSession(server, this.playground, this.#sessionOptions())]);
      if (!this.isConnected) return;
      this.#xterm = xterm;
      this.#tab(0);
      try {
        await this.#attach(url, ticket);
      } catch (error) {
        const stale = error instanceof PlaygroundError && (error.code === ErrorCode.SessionNotFound || error.code === ErrorCode.Unauthorized || error.code === ErrorCode.Ended);
        if (!stored || !stale) throw error;
        // The remembered session is gone (expired or server restarted): start a new one.
        store.clear();
        this.#teardown();
        this.#disposeTabs();
        this.#tab(0);
        await this.#attach(url, await createSession(server, this.playground, this.#sessionOptions()));
      }
      store.save({ id: this.#session!.id, token: this.#session!.token });
    } catch (error) {
      this.#teardown();
      this.#error(error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Internal, String(error)));
    } finally {
      this.#booting = false;
    }
  }

  /** The tab of terminal `id`, made on first use: its own xterm, fitted to the element. */
  #tab(id: number): Tab {
    const existing = this.#tabs.get(id);
    if (existing) return existing;
    const xterm = this.#xterm as XtermModules;
    const area = this.renderRoot.querySelector('.terminal') as HTMLElement;
    const box = document.createElement('div');
    box.className = 'screen';
    box.hidden = id !== this.#active;
    area.append(box);
    const term = new xterm.Terminal({
      cursorBlink: true,
      fontSize: 14,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      theme: { background: getComputedStyle(this).backgroundColor || '#1e1e1e' },
    });
    const fit = new xterm.FitAddon();
    term.loadAddon(fit);
    term.open(box);
    term.onData((data) => this.#session?.write(id, data));
    term.onBinary((data) => this.#session?.write(id, Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    term.onResize(({ cols, rows }) => this.#session?.resize(id, cols, rows));
    const tab = { term, fit, box };
    this.#tabs.set(id, tab);
    if (!this.#resize) {
      this.#resize = new ResizeObserver(() => this.#fit(this.#active));
      this.#resize.observe(area);
    }
    this.#fit(id);
    this.requestUpdate();
    return tab;
  }

  #fit(id: number): void {
    try {
      this.#tabs.get(id)?.fit.fit();
    } catch {
      // not laid out (display: none): nothing to fit
    }
  }

  #disposeTabs(): void {
    this.#resize?.disconnect();
    this.#resize = undefined;
    for (const tab of this.#tabs.values()) {
      tab.term.dispose();
      tab.box.remove();
    }
    this.#tabs.clear();
    this.#active = 0;
  }

  async #attach(url: string, ticket: SessionTicket): Promise<void> {
    const session = new Session({ url, id: ticket.id, token: ticket.token, manualAck: true });
    this.#session = session;
    this.#unsubscribe.push(
      session.on('output', ({ terminal, offset, data }) => {
        this.#tab(terminal).term.write(data, () => session.ack(terminal, offset + data.byteLength));
      }),
      session.on('snapshot', ({ terminal, data }) => {
        const { term } = this.#tab(terminal);
        const resumed = term.buffer.active.length > term.rows || term.buffer.active.cursorY > 0;
        term.reset();
        term.write(data);
        if (resumed) this.#showNotice({ level: 'info', text: 'You were away longer than the replay buffer lasts: showing the current screen; some older output is not shown.' });
      }),
      session.on('notice', (notice) => this.#showNotice({ level: notice.level, text: notice.message })),
      session.on('terminal', ({ id }) => {
        this.#tab(id);
        this.selectTab(id);
      }),
      session.on('reconnecting', ({ attempt }) => this.#setStatus('reconnecting', `Connection lost. Reconnecting (attempt ${attempt})…`)),
      session.on('status', (status) => {
        if (status === 'ready' && this.#status === 'reconnecting') this.#setStatus('ready', '');
        else if (status === 'connecting' || status === 'idle') this.#setStatus(status);
      }),
      session.on('ended', (reason) => this.#setStatus('ended', ENDED_TEXT[reason], reason)),
      session.on('error', (error) => this.#error(error, session.status !== 'error')),
      session.on('task', (task) => {
        this.dispatchEvent(new IxTaskEvent({ id: task.id, title: task.title, state: task.state, ...(task.message ? { message: task.message } : {}) }));
      }),
      session.on('progress', (progress) => {
        this.dispatchEvent(new IxProgressEvent(progress));
        if (progress.total > 0 && progress.done === progress.total && !this.#completed) {
          this.#completed = true;
          this.dispatchEvent(new IxCompleteEvent({ total: progress.total }));
        }
      }),
    );
    await session.open();
    for (const id of session.terminals.keys()) {
      const { term } = this.#tab(id);
      session.resize(id, term.cols, term.rows);
    }
    this.#setStatus('ready', '');
    for (const command of this.#queue.splice(0)) session.write(this.#active, command + '\r');
  }

  /** Shows a dismissable banner; info and warnings fade after a while, errors stay. */
  #showNotice(notice: { level: NoticeLevel; text: string } | undefined): void {
    clearTimeout(this.#noticeTimer);
    this.#notice = notice;
    if (notice && notice.level !== 'error') this.#noticeTimer = setTimeout(() => this.#showNotice(undefined), 10_000);
    this.requestUpdate();
  }

  #teardown(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#session?.close();
    this.#session = undefined;
  }

  #error(error: PlaygroundError, recoverable = false): void {
    this.dispatchEvent(new IxErrorEvent({ code: error.code, message: error.message }));
    if (!recoverable) this.#setStatus('error', error.message, error.code);
  }

  #setStatus(status: PlaygroundStatus, message?: string, reason?: string): void {
    const changed = status !== this.#status;
    this.#status = status;
    if (message !== undefined) this.#message = message;
    if (this.getAttribute('status') !== status) this.setAttribute('status', status);
    this.requestUpdate();
    if (changed) this.dispatchEvent(new IxStatusEvent({ status, ...(reason ? { reason } : {}) }));
  }
}
