import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { Terminal } from '@xterm/xterm';
import type { CreateSessionOptions, SessionStatus, TerminalSession } from '@ix-playground/sdk';
import { ErrorCode, PlaygroundError } from '@ix-playground/sdk/errors';
import { IxErrorEvent, IxStatusEvent } from './events.js';
import { playgroundStyles } from './playground.styles.js';
import type { TerminalController } from './terminal-controller.js';
import type { Notice, TerminalHost } from './terminal-host.js';
import { loadXterm } from './xterm-loader.js';

/** When the element starts its terminal. */
export type ConnectMode = 'visible' | 'click' | 'eager';

/** Status of the element (the SDK's session status, plus `idle` before it boots). */
export type PlaygroundStatus = SessionStatus;

/** Commands `run()` holds while the session is not ready yet. */
const MAX_QUEUED_COMMANDS = 32;

/** How far outside the viewport a `connect="visible"` element starts loading. */
const NEAR_VIEWPORT = '200px';

/** Automatic retries after the server could not be reached (2, 4, 8, 16, 30, 30 s apart). */
const MAX_AUTO_RETRIES = 6;

/**
 * A live, sandboxed Linux terminal for any web page.
 *
 * Until it boots it is a placeholder: xterm.js, the SDK session and the terminal code are loaded
 * when the element nears the viewport (or on click, or at once; see `connect`). Children are
 * fallback content, shown only while the element is not defined (e.g. its script failed to load).
 *
 * @tag ix-playground
 * @summary Drop `<ix-playground server="…" playground="hello">` into a page; readers get a real shell.
 *
 * @event ix-status - The status changed: `{ status, reason? }`.
 * @event ix-task - A task changed state: `{ id, title, state, message? }`.
 * @event ix-progress - Progress over all tasks: `{ done, total }`.
 * @event ix-complete - Every task is done: `{ total }`.
 * @event ix-error - Something went wrong: `{ code, message }`.
 * @event ix-saved - The reader saved the playground and it stopped: `{ id, playground, createdAt, expiresAt, sizeBytes }`.
 *
 * Keyboard: Tab is the shell's (completion); **Escape then Tab** (or Shift+Tab) moves the focus out
 * of the terminal, as in code editors. A hint says so while the terminal has the focus.
 *
 * @csspart terminal - The area the terminals render into (it shows the focus ring).
 * @csspart placeholder - What is drawn before the terminal loads.
 * @csspart toolbar - The bar above the terminal: tabs, new-tab, preview, save and screen-reader buttons.
 * @csspart tabs - The tab list (one tab per terminal of the session, then one per web preview).
 * @csspart tab - One tab button.
 * @csspart new-tab - The button that opens a new terminal.
 * @csspart preview-button - The button that asks which port to preview (where the server allows web previews).
 * @csspart save-button - The button that asks whether to save and stop (where the server allows saving).
 * @csspart screen-reader-toggle - The button that turns screen-reader mode on and off.
 * @csspart strip - The question under the toolbar: which port to preview, or whether to save and stop.
 * @csspart save-confirm - The strip's "Save and stop" button.
 * @csspart preview-open-button - The strip's "Preview" button.
 * @csspart preview - A web preview's panel (reload button, address, link and the page), shown instead of a terminal.
 * @csspart preview-reload - A preview's reload button.
 * @csspart preview-open - A preview's "Open in new tab" link.
 * @csspart resume-offer - The offer to resume a saved playground or start fresh, over the whole element.
 * @csspart resume-button - The offer's "Resume your playground" button.
 * @csspart fresh-button - The offer's "Start fresh" button.
 * @csspart hint - "Esc then Tab leaves the terminal", shown while the terminal has the focus.
 * @csspart overlay - The status overlay (connecting, ended, error); its `data-code` is the error code.
 * @csspart overlay-button - The overlay's button (Retry, Start a new session, Start terminal).
 * @csspart notice - A banner with a message from the server (manifest reloaded, output skipped).
 *
 * @cssproperty --ix-playground-height - Height of the element (default 360px).
 * @cssproperty --ix-playground-bg - Background colour of the element and the terminal.
 * @cssproperty --ix-playground-fg - Text colour of the element and the terminal.
 * @cssproperty --ix-playground-focus - Focus ring colour.
 * @cssproperty --ix-playground-cursor - Terminal cursor colour (default: the text colour).
 * @cssproperty --ix-playground-selection - Terminal selection colour.
 * @cssproperty --ix-playground-font-family - Terminal font family.
 * @cssproperty --ix-playground-font-size - Terminal font size in px (default 14).
 * @cssproperty --ix-playground-ansi-black - ANSI colour 0; likewise `-red`, `-green`, `-yellow`, `-blue`, `-magenta`, `-cyan`, `-white`, and `-bright-black` … `-bright-white` for 8–15.
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
    theme: { type: String, reflect: true },
    screenReader: { type: Boolean, reflect: true, attribute: 'screen-reader' },
    sessionName: { type: String, attribute: 'session' },
  };

  /** Base URL of the playground server; defaults to this page's origin. */
  server = '';
  /** Name of the playground manifest to start. */
  playground = '';
  /**
   * Wire protocol: `ix` (default) for an ix-playground server, or `ttyd` for a stock ttyd server,
   * whose WebSocket URL `server` then names (e.g. `ws://host:7681/ws`; no tasks, tabs or resume there).
   */
  protocol: 'ix' | 'ttyd' = 'ix';
  /** When to start: `visible` (default, when near the viewport), `click`, or `eager`. */
  connect: ConnectMode = 'visible';
  /**
   * A signed session token from your site's backend, for servers that require one. It starts one
   * session; set {@link tokenProvider} instead to let the element fetch a fresh one when it needs it.
   */
  token = '';
  /** Fetches a fresh signed session token each time the element starts a session (wins over `token`). */
  tokenProvider: (() => string | Promise<string>) | undefined;
  /** `light`, `dark`, or `auto` (default: follow the reader's `prefers-color-scheme`). */
  theme: 'light' | 'dark' | 'auto' | undefined;
  /** Screen-reader mode (attribute `screen-reader`): xterm.js keeps an accessible copy of the output that screen readers read. */
  screenReader = false;
  /**
   * Attribute `session`: elements with the same value (and server and playground) share one
   * sandbox; each shows its own terminal on that machine.
   */
  sessionName = '';

  #status: PlaygroundStatus = 'idle';
  #message = '';
  #notice: Notice | undefined;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #controller: TerminalController | undefined;
  #booting = false;
  #visibility: IntersectionObserver | undefined;
  #queue: string[] = [];
  #code = '';
  #focused = false;
  #retries = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** The xterm.js Terminal of the active tab, once booted. */
  get terminal(): Terminal | undefined {
    return this.#controller?.terminal;
  }

  /** The SDK session, once connected. */
  get session(): TerminalSession | undefined {
    return this.#controller?.session;
  }

  /**
   * Assigning a string sets {@link sessionName}: frameworks that set properties rather than
   * attributes (React 19, `@lit/react`) turn `session="machine-a"` into this assignment.
   */
  set session(name: string) {
    if (typeof name === 'string') this.sessionName = name;
  }

  /** `idle`, `connecting`, `ready`, `reconnecting`, `ended` or `error`; reflected as an attribute. */
  get status(): PlaygroundStatus {
    return this.#status;
  }

  /** Types a command into the terminal and presses Enter (held until the session is ready). */
  run(command: string): void {
    if (this.#status === 'ready' && this.#controller) {
      this.#controller.write(command + '\r');
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_COMMANDS) {
      this.#error(new PlaygroundError(ErrorCode.Limit, `too many commands waiting for the terminal (${MAX_QUEUED_COMMANDS})`), true);
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
    this.#controller?.openTab();
  }

  /** Shows the tab of terminal `id`. */
  selectTab(id: number): void {
    this.#controller?.selectTab(id);
  }

  /** Ends this element's connection and starts a fresh session. */
  restart(): void {
    this.#controller?.forgetSession();
    this.#retry();
  }

  /** Tries again: connects anew, resuming the same session where it still exists. */
  #retry(): void {
    clearTimeout(this.#retryTimer);
    this.#controller?.dispose();
    void this.#boot();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#setStatus(this.#status);
    if (this.hasUpdated) this.#arm(); // moved in the page: wait for the viewport again
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#visibility?.disconnect();
    this.#visibility = undefined;
    this.#controller?.dispose();
    clearTimeout(this.#noticeTimer);
    clearTimeout(this.#retryTimer);
    this.#setStatus('idle');
  }

  protected override firstUpdated(_changed: PropertyValues): void {
    this.#arm();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('theme') || changed.has('screenReader')) this.#controller?.configure();
  }

  /** Starts now (`eager`) or once the element nears the viewport (`visible`); `click` waits. */
  #arm(): void {
    if (this.#status !== 'idle' || this.#visibility) return;
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
        { rootMargin: NEAR_VIEWPORT },
      );
      this.#visibility.observe(this);
    }
  }

  protected override render() {
    const status = this.#status;
    // An error's title and button come with the terminal code; without it (it failed to load), a plain Retry.
    const [title, fix] =
      status === 'error'
        ? (this.#controller?.problem(this.#code) ?? ['The playground could not start', this.#code === 'bad-request' ? undefined : 'retry'])
        : [''];
    const action = status === 'idle' ? (this.connect === 'click' ? 'start' : undefined) : status === 'ended' ? 'new' : fix;
    const hidden = status === 'ready' || (status === 'idle' && !action);
    return html`
      ${this.#controller?.toolbar() ?? nothing}
      <div class="terminal" part="terminal" @focusin=${() => this.#focus(true)} @focusout=${() => this.#focus(false)}>
        ${this.terminal ? nothing : html`<div class="placeholder" part="placeholder" aria-hidden="true"><span>$</span><span class="cursor"></span></div>`}
      </div>
      <div class="hint" part="hint" id="hint" ?hidden=${!this.#focused}>Esc then Tab leaves the terminal</div>
      ${
        this.#notice
          ? html`<div class="notice ${this.#notice.level}" part="notice" role=${this.#notice.level === 'error' ? 'alert' : 'status'}>
            <span>${this.#notice.text}</span>
            <button aria-label="Dismiss" @click=${() => this.#showNotice(undefined)}>×</button>
          </div>`
          : nothing
      }
      <div class="overlay" part="overlay" data-code=${this.#code} ?hidden=${hidden}>
        ${title ? html`<strong>${title}</strong>` : nothing}
        <div class="message">${this.#message}</div>
        ${
          action
            ? html`<button part="overlay-button" @click=${() => (action === 'retry' ? this.#retry() : action === 'new' ? this.restart() : void this.#boot())}>
              ${action === 'retry' ? 'Retry' : action === 'new' ? 'Start a new session' : 'Start terminal'}
            </button>`
            : nothing
        }
      </div>
      <div class="visually-hidden" role="status">${status === 'ready' ? 'Terminal ready.' : `${title} ${this.#message}`}</div>
    `;
  }

  #focus(on: boolean): void {
    this.#focused = on && !!this.terminal;
    this.requestUpdate();
  }

  /** The key this element's session is remembered under, so a reload resumes the same shell. */
  #storeKey(): string {
    const siblings = [...document.querySelectorAll('ix-playground')].filter((e) => e.getAttribute('playground') === this.playground);
    return `${this.#serverUrl()}|${this.playground}|${this.id || String(siblings.indexOf(this))}`;
  }

  #sessionOptions(): CreateSessionOptions {
    const token = this.tokenProvider ?? (this.token || undefined);
    return token ? { token } : {};
  }

  #serverUrl(): string {
    return new URL(this.server || '/', document.baseURI).toString().replace(/\/$/, '');
  }

  async #boot(): Promise<void> {
    if (this.#booting || this.#controller?.session) return;
    clearTimeout(this.#retryTimer);
    this.#booting = true;
    this.#visibility?.disconnect();
    this.#visibility = undefined;
    await this.updateComplete; // boot may be called from an update; change status after it
    try {
      if (this.protocol !== 'ix' && this.protocol !== 'ttyd')
        throw new PlaygroundError(ErrorCode.BadRequest, `protocol="${this.protocol}" is not one this element speaks: use "ix" or "ttyd"`);
      if (this.protocol === 'ttyd' && !/^wss?:\/\//.test(this.server))
        throw new PlaygroundError(ErrorCode.BadRequest, 'with protocol="ttyd", set server to the ttyd WebSocket URL, like ws://host:7681/ws');
      if (this.protocol === 'ix' && !this.playground)
        throw new PlaygroundError(ErrorCode.BadRequest, 'set the playground attribute to the name of a playground');
      this.#setStatus('connecting', 'Starting your machine…');
      this.#controller ??= await loadController(this.#host());
      if (!this.isConnected) return;
      const server = this.#serverUrl();
      const shared = this.sessionName && `${server}|${this.playground}|${this.sessionName}`;
      const ready =
        this.protocol === 'ttyd'
          ? await this.#controller.startTtyd(this.server, this.token)
          : await this.#controller.start(server, this.playground, this.#storeKey(), this.#sessionOptions(), shared);
      if (ready && this.isConnected) this.#ready();
    } catch (error) {
      this.#controller?.dispose();
      // Taken out of the page while starting: nothing went wrong, it starts again if it comes back.
      if (!this.isConnected || (error instanceof PlaygroundError && error.code === ErrorCode.Cancelled)) return;
      this.#error(error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Internal, String(error)), false);
    } finally {
      this.#booting = false;
      // Moved in the page while starting (the start was cancelled): start again where it is now.
      if (this.isConnected && this.#status === 'idle') this.#arm();
    }
  }

  /** What the lazily loaded terminal controller may do to this element. */
  #host(): TerminalHost {
    return {
      element: this,
      root: this.renderRoot,
      status: () => this.#status,
      update: () => this.requestUpdate(),
      setStatus: (status, message, reason) => (status === 'ready' ? this.#ready() : this.#setStatus(status, message, reason)),
      notice: (notice) => this.#showNotice(notice),
      error: (error, recoverable) => this.#error(error, recoverable),
    };
  }

  /** The session is ready: hide the overlay and type the commands `run()` held. */
  #ready(): void {
    this.#retries = 0;
    this.#setStatus('ready', '');
    for (const command of this.#queue.splice(0)) this.#controller?.write(command + '\r');
  }

  /** Shows a dismissable banner; info and warnings fade after a while, errors stay. */
  #showNotice(notice: Notice | undefined): void {
    clearTimeout(this.#noticeTimer);
    this.#notice = notice;
    if (notice && notice.level !== 'error') this.#noticeTimer = setTimeout(() => this.#showNotice(undefined), 10_000);
    this.requestUpdate();
  }

  /**
   * Announces an error as `ix-error`; unless `recoverable`, the element shows it. An unreachable
   * server is tried again by itself, a few times, further and further apart.
   */
  #error(error: PlaygroundError, recoverable: boolean): void {
    this.dispatchEvent(new IxErrorEvent({ code: error.code, message: error.message }));
    if (recoverable) return;
    let message = error.message;
    if (error.code === ErrorCode.Network && this.#retries < MAX_AUTO_RETRIES) {
      const seconds = Math.min(30, 2 ** ++this.#retries);
      message += `\nTrying again in ${seconds} s.`;
      this.#retryTimer = setTimeout(() => this.#retry(), seconds * 1000);
    }
    this.#setStatus('error', message, error.code);
  }

  #setStatus(status: PlaygroundStatus, message?: string, reason?: string): void {
    const changed = status !== this.#status;
    this.#status = status;
    this.#code = reason ?? '';
    if (message !== undefined) this.#message = message;
    if (this.getAttribute('status') !== status) this.setAttribute('status', status);
    this.requestUpdate();
    if (changed) this.dispatchEvent(new IxStatusEvent({ status, ...(reason ? { reason } : {}) }));
  }
}

/** Fetches the terminal code, and xterm.js in parallel (two lazy chunks), and makes a controller. */
async function loadController(host: TerminalHost): Promise<TerminalController> {
  const failed = (cause: unknown) => {
    throw new PlaygroundError(ErrorCode.Network, 'could not load the terminal code; check the connection and try again', { cause });
  };
  const xterm = loadXterm().catch(failed);
  xterm.catch(() => {}); // reported by start(), which awaits it
  const { TerminalController } = await import('./terminal-controller.js').catch(failed);
  return new TerminalController(host, xterm);
}

declare global {
  interface HTMLElementTagNameMap {
    'ix-playground': IxPlayground;
  }
}
