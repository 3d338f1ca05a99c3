import type { LitElement } from 'lit';
import type { Terminal } from '@xterm/xterm';
import { ErrorCode, PlaygroundError, Session, gatewayUrl, type CreateSessionOptions, type SessionTicket, type TerminalSession } from '@ix-playground/sdk';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import { PreviewTabs } from './preview-tabs.js';
import { SaveAndResume } from './save-and-resume.js';
import { reportSession } from './session-status.js';
import { StripQuestion } from './strip-question.js';
import type { TerminalHost } from './terminal-host.js';
import { allTerminals, type ShownTerminals } from './shown-terminals.js';
import { TerminalTabs } from './terminal-tabs.js';
import { TicketStore } from './ticket-store.js';
import { problem, toolbar } from './toolbar.js';
import type { Asking, PreviewTab, TerminalTab, ToolbarModel } from './toolbar-model.js';
import type { XtermModules } from './xterm-loader.js';

/**
 * The terminal side of `<ix-playground>`: starts (or resumes) the SDK session and coordinates its
 * parts: the terminals' tabs, which of them a shared session's element shows, the previews, save
 * and resume, the toolbar's strip, and the session's events as the element's status and DOM
 * events. It lives in a lazily loaded chunk with the SDK session code, so a page pays for it only
 * when a playground boots.
 */
export class TerminalController implements ToolbarModel {
  readonly #host: TerminalHost;
  readonly #loadingXterm: Promise<XtermModules>;
  #session: TerminalSession | undefined;
  /** Subscriptions to the current session. */
  #held = new DisposableStore();
  /** Where the session is remembered for a reload. */
  #store: TicketStore | undefined;
  readonly #tabs: TerminalTabs;
  /** Which of the session's terminals this element shows (a shared session's others are other elements'). */
  #sharing: ShownTerminals = allTerminals;
  readonly #previews: PreviewTabs;
  readonly #saves: SaveAndResume;
  readonly #strip: StripQuestion;

  /** `xterm` may still be loading: the session is requested meanwhile, so both waits overlap. */
  constructor(host: TerminalHost, xterm: Promise<XtermModules>) {
    this.#host = host;
    this.#loadingXterm = xterm;
    this.#tabs = new TerminalTabs(host);
    this.#previews = new PreviewTabs(host, this.#tabs);
    this.#saves = new SaveAndResume(host);
    this.#strip = new StripQuestion(host);
  }

  /** The SDK session, once attached. */
  get session(): TerminalSession | undefined {
    return this.#session;
  }

  /** The xterm.js Terminal of the active tab. */
  get terminal(): Terminal | undefined {
    return this.#tabs.terminal;
  }

  /** The tabs to show, in order, and which one is active; none for read-only spectators. */
  get tabs(): TerminalTab[] {
    return this.#tabs.list(!!this.#previews.shown);
  }

  /** The session's web previews, as tabs after the terminals' (none for spectators). */
  get previews(): PreviewTab[] {
    return this.#previews.list();
  }

  /** What the toolbar's strip asks, if anything. */
  get asking(): Asking {
    return this.#strip.asking;
  }

  /** The bar above the terminal (tabs, new tab, screen-reader toggle), or nothing before the first terminal. */
  toolbar() {
    return toolbar(this, this.#host.element as LitElement);
  }

  /** The overlay's title and button for an error code. */
  problem(code: string): [string, ('retry' | 'new')?] {
    return problem(code);
  }

  /**
   * Starts a session of `playground` on `server` (or resumes the one remembered under `storeKey`
   * after a page reload) and shows its terminals. Resolves true once the session is ready, false if
   * the remembered session has ended meanwhile (the element shows why and offers a new one).
   * `options` carry the signed session token, for servers that require one. Elements passing the
   * same `shared` key share one session, each with a terminal of its own. Sessions carry the
   * reader's anonymous owner key, so they can be saved; a reader who saved in this element before is
   * offered to resume that save.
   */
  async start(server: string, playground: string, storeKey: string, options: CreateSessionOptions = {}, shared?: string): Promise<boolean> {
    const url = gatewayUrl(server);
    // What the server says while the machines start ("downloading the image …") replaces "Starting your machine…".
    const onProgress = (line: string) => this.#host.setStatus('connecting', line[0]?.toUpperCase() + line.slice(1) + '…');
    const [create, offer] = this.#saves.start(server, playground, storeKey, { onProgress, ...options });
    this.#store = new TicketStore(storeKey);
    const stored = this.#store.load();
    // Sharing is a chunk of its own, which only pages with shared sessions load.
    const sharing = shared ? new (await import('./shared-terminals.js')).SharedTerminals(shared, create) : undefined;
    this.#sharing = sharing ?? allTerminals;
    const [xterm, ticket] = await Promise.all([this.#loadingXterm, sharing?.ticket ?? stored ?? offer()]);
    if (!this.#host.element.isConnected) return false;
    this.#tabs.use(xterm);
    this.#show(stored?.id === ticket.id ? stored.terminals : undefined);
    try {
      await this.#attach(url, ticket);
    } catch (error) {
      const stale = error instanceof PlaygroundError && (error.code === ErrorCode.SessionNotFound || error.code === ErrorCode.Unauthorized);
      // Ended while the reader was away (expired, evicted): the element says so and offers a new session.
      if (this.#session?.status === 'ended') return false;
      if (!(stale || (error as PlaygroundError).code === ErrorCode.Ended) || !(stored || shared)) throw error;
      // The remembered session is gone (the server restarted, say): start a new one.
      this.#store.clear();
      this.dispose();
      const fresh = await (this.#sharing.replace(create, ticket.id) ?? create());
      this.#show();
      await this.#attach(url, fresh);
    }
    const session = this.#session!;
    await this.#sharing.claim(() => this.openTab());
    this.#remember();
    return session.status !== 'ended' && session.status !== 'error';
  }

  /** Makes the tab shown first: of every terminal's, or a shared session's `terminals` shown before a reload. */
  #show(terminals?: number[]): void {
    const first = this.#sharing.show(terminals);
    if (first === undefined) return;
    this.#tabs.active = first;
    this.#tabs.tab(first);
  }

  /** Remembers the session (and, when shared, which terminals this element shows) for a reload. */
  #remember(): void {
    const session = this.#session;
    const terminals = this.#sharing.terminals;
    if (session) this.#store?.save({ id: session.id, token: session.token, ...(terminals ? { terminals } : {}) });
  }

  /** Applies the element's theme and screen-reader mode and the reader's motion preference to every terminal. */
  configure(): void {
    this.#tabs.configure();
  }

  /** Types text into the active terminal's shell. */
  write(data: string): void {
    this.#session?.write(this.#tabs.active, data);
  }

  /** Opens a new tab: another shell on the same machine (in a shared session, this element's). */
  openTab(): void {
    const session = this.#session;
    const names = [...(session?.terminals.values() ?? [])].map((t) => t.name);
    session?.openTerminal(this.#sharing.request(names));
  }

  /** Shows the tab of terminal `id`, and focuses its terminal unless `focus` is false. */
  selectTab(id: number, focus = true): void {
    if (!this.#tabs.select(id)) return;
    this.#previews.show(undefined);
    this.#host.update();
    if (focus) this.terminal?.focus();
  }

  /** Shows the preview at `url` (one of {@link previews}) instead of a terminal. */
  selectPreview(url: string): void {
    this.#previews.select(url);
  }

  /** Asks the server for a preview of `port` (on `machine`, where the session has several) and shows it once granted. */
  openPreview(port: number, machine?: string): void {
    const session = this.#session;
    if (!session) return;
    this.#strip.asking = undefined;
    this.#previews.open(port, machine);
    this.#host.update();
  }

  /** Opens or closes the toolbar's strip (a port to preview; whether to save and stop). */
  ask(what: Asking): void {
    this.#strip.ask(what);
  }

  /** The strip under the toolbar, when open and loaded. */
  strip() {
    return this.#strip.render(this);
  }

  /**
   * Saves the playground's files on the server under the reader's owner key and ends the session
   * (running programs stop). The element then says until when the files are kept; on the reader's
   * return it offers to resume them. Announced as `ix-saved`.
   */
  async saveAndStop(): Promise<void> {
    this.ask(undefined);
    if (this.#session) await this.#saves.save(this.#session);
  }

  /** Forgets the remembered session, so the next start is a fresh one. */
  forgetSession(): void {
    this.#store?.clear();
    this.#sharing.forget(this.#session?.id);
  }

  /** Closes the session and removes every terminal; nothing is left running. */
  dispose(): void {
    this.#saves.dispose();
    this.#strip.dispose();
    this.#previews.dispose();
    this.#held.clear();
    this.#session?.close();
    this.#session = undefined;
    this.#sharing.dispose();
    this.#tabs.dispose();
  }

  /**
   * Shows a terminal of a stock ttyd server (`url`: its WebSocket URL, `token`: its AuthToken, if it
   * has one). ttyd has no tasks, no tabs and no resume; the page is told so. Resolves true once connected.
   */
  async startTtyd(url: string, token: string): Promise<boolean> {
    const [xterm, { TtydSession }] = await Promise.all([this.#loadingXterm, import('@ix-playground/sdk/ttyd')]);
    if (!this.#host.element.isConnected) return false;
    this.#tabs.use(xterm);
    this.#sharing = allTerminals;
    const { term } = this.#tabs.tab(0);
    const session = new TtydSession({ url, token, cols: term.cols, rows: term.rows, manualAck: true });
    this.#listen(session);
    await session.open();
    this.#host.notice({
      level: 'info',
      text: 'This terminal runs on a ttyd server: no task checks, and a lost connection cannot resume (it starts a new shell).',
    });
    return true;
  }

  /** Follows a session: each part its events, and a terminal opened for this element as its new tab. */
  #listen(session: TerminalSession): void {
    this.#session = session;
    this.#held.add(
      session.on('terminal', ({ id, name }) => {
        const claimed = this.#sharing.take(id, name);
        if (claimed === undefined) return;
        this.#tabs.tab(id);
        this.selectTab(id, !claimed);
        this.#remember();
      }),
      ...this.#tabs.follow(session, (id) => this.#sharing.owns(id)),
      // Before the status's: a refused preview is explained before the error is reported.
      ...this.#previews.follow(session),
      ...reportSession(session, this.#host, () => this.#saves.saved),
    );
  }

  async #attach(url: string, ticket: SessionTicket): Promise<void> {
    const session = new Session({ url, id: ticket.id, token: ticket.token, manualAck: true });
    this.#listen(session);
    await session.open();
    // Tell the server the size each terminal this element shows has on the page.
    for (const id of this.#sharing.shown(session.terminals)) {
      const { term } = this.#tabs.tab(id);
      session.resize(id, term.cols, term.rows);
    }
  }
}
