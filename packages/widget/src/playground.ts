import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { Terminal } from '@xterm/xterm';
import {
  ErrorCode,
  PlaygroundError,
  Session,
  createSession,
  gatewayUrl,
  type EndReason,
  type SessionStatus,
  type SessionTicket,
} from '@ix-playground/sdk';
import { IxCompleteEvent, IxErrorEvent, IxProgressEvent, IxStatusEvent, IxTaskEvent } from './events.js';
import { playgroundStyles } from './playground.styles.js';
import { TicketStore } from './ticket-store.js';
import { loadXterm } from './xterm-loader.js';

/** When the element starts its terminal. */
export type ConnectMode = 'visible' | 'click' | 'eager';

/** Status of the element (the SDK's session status, plus `idle` before it boots). */
export type PlaygroundStatus = SessionStatus;

/** Unacknowledged bytes after which the element acknowledges at once rather than on its timer. */
const ACK_BYTES = 32 * 1024;
const ACK_DELAY_MS = 100;
/** Commands `run()` holds while the session is not ready yet. */
const MAX_QUEUED_COMMANDS = 32;

const ENDED_TEXT: Record<EndReason, string> = {
  exited: 'The shell exited.',
  expired: 'The session expired.',
  shutdown: 'The server shut down.',
  kicked: 'The session was taken over elsewhere.',
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
 * @csspart terminal - The box xterm.js renders into.
 * @csspart overlay - The status overlay (connecting, ended, error).
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
  };

  /** Base URL of the playground server; defaults to this page's origin. */
  server = '';
  /** Name of the playground manifest to start. */
  playground = '';
  /** Wire protocol: `ix` (default). `ttyd` is planned. */
  protocol = 'ix';
  /** When to start: `visible` (default, when near the viewport), `click`, or `eager`. */
  connect: ConnectMode = 'visible';

  #status: PlaygroundStatus = 'idle';
  #message = '';
  #terminal: Terminal | undefined;
  #session: Session | undefined;
  #booting = false;
  #completed = false;
  #visibility: IntersectionObserver | undefined;
  #resize: ResizeObserver | undefined;
  #unsubscribe: (() => void)[] = [];
  #queue: string[] = [];
  #acked = 0;
  #rendered = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  /** The xterm.js Terminal, once booted. */
  get terminal(): Terminal | undefined {
    return this.#terminal;
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
      this.#session.write(0, command + '\r');
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
    this.#terminal?.focus();
  }

  /** Ends this element's connection and starts a fresh session. */
  restart(): void {
    this.#teardown();
    this.#store().clear();
    this.#terminal?.reset();
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
    this.#resize?.disconnect();
    this.#resize = undefined;
    this.#terminal?.dispose();
    this.#terminal = undefined;
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
    return html`
      <div class="terminal" part="terminal"></div>
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
      const [xterm, ticket] = await Promise.all([loadXterm(), stored ?? createSession(server, this.playground)]);
      if (!this.isConnected) return;
      this.#ensureTerminal(xterm);
      try {
        await this.#attach(url, ticket);
      } catch (error) {
        const stale = error instanceof PlaygroundError && (error.code === ErrorCode.SessionNotFound || error.code === ErrorCode.Unauthorized);
        if (!stored || !stale) throw error;
        // The remembered session is gone (expired or server restarted): start a new one.
        store.clear();
        this.#teardown();
        this.#terminal?.reset();
        await this.#attach(url, await createSession(server, this.playground));
      }
      store.save({ id: this.#session!.id, token: this.#session!.token });
    } catch (error) {
      this.#teardown();
      this.#error(error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Internal, String(error)));
    } finally {
      this.#booting = false;
    }
  }

  #ensureTerminal(xterm: Awaited<ReturnType<typeof loadXterm>>): void {
    if (this.#terminal) return;
    const container = this.renderRoot.querySelector('.terminal') as HTMLElement;
    const term = new xterm.Terminal({
      cursorBlink: true,
      fontSize: 14,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      theme: { background: getComputedStyle(this).backgroundColor || '#1e1e1e' },
    });
    const fit = new xterm.FitAddon();
    term.loadAddon(fit);
    term.open(container);
    fit.fit();
    term.onData((data) => this.#session?.write(0, data));
    term.onBinary((data) => this.#session?.write(0, Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    term.onResize(({ cols, rows }) => this.#session?.resize(0, cols, rows));
    this.#resize = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // not laid out (display: none): nothing to fit
      }
    });
    this.#resize.observe(container);
    this.#terminal = term;
  }

  async #attach(url: string, ticket: SessionTicket): Promise<void> {
    const session = new Session({ url, id: ticket.id, token: ticket.token });
    const term = this.#terminal!;
    this.#session = session;
    this.#acked = 0;
    this.#rendered = 0;
    this.#unsubscribe.push(
      session.on('output', ({ terminal, offset, data }) => {
        if (terminal !== 0) return;
        term.write(data, () => this.#ack(offset + data.byteLength));
      }),
      session.on('snapshot', ({ terminal, data }) => {
        if (terminal !== 0) return;
        term.reset();
        term.write(data);
      }),
      session.on('status', (status) => {
        if (status === 'ready') return; // announced after the size is sent, below
        if (status !== 'error') this.#setStatus(status);
      }),
      session.on('ended', (reason) => this.#setStatus('ended', `${ENDED_TEXT[reason]}`, reason)),
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
    session.resize(0, term.cols, term.rows);
    this.#setStatus('ready', '');
    for (const command of this.#queue.splice(0)) session.write(0, command + '\r');
  }

  #ack(end: number): void {
    this.#rendered = end;
    if (this.#rendered - this.#acked >= ACK_BYTES) this.#flushAck();
    else this.#ackTimer ??= setTimeout(() => this.#flushAck(), ACK_DELAY_MS);
  }

  #flushAck(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#rendered > this.#acked) {
      this.#acked = this.#rendered;
      this.#session?.ack(0, this.#acked);
    }
  }

  #teardown(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
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
