import type { Terminal } from '@xterm/xterm';
import { nothing, type LitElement } from 'lit';
import type { FitAddon } from '@xterm/addon-fit';
import {
  ErrorCode,
  MAX_TERMINALS,
  PlaygroundError,
  Session,
  createSession,
  gatewayUrl,
  listSnapshots,
  type CreateSessionOptions,
  type EndReason,
  type NoticeLevel,
  type PreviewInfo,
  type SessionStatus,
  type SessionTicket,
  type SnapshotInfo,
  type TerminalSession,
} from '@ix-playground/sdk';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import { IxCompleteEvent, IxProgressEvent, IxSavedEvent, IxTaskEvent } from './events.js';
import { localSaves } from './local-saves.js';
import type { PreviewPanel } from './preview-panel.js';
import type { ResumeOffer } from './resume-offer.js';
import { dropSharedSession, ownerOf, requestTerminal, sharedSession, type SharedSession } from './shared-session.js';
import { TicketStore } from './ticket-store.js';
import { onMediaChange, terminalOptions } from './terminal-options.js';
import { problem, toolbar, toolbarCss } from './toolbar.js';
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

/** How long a shared session's new terminal may take to open. */
const OPEN_TIMEOUT_MS = 10_000;

/** How long the list of saved playgrounds may take before the element starts without offering one. */
const LIST_TIMEOUT_MS = 3000;

/** What the toolbar asks in its strip: a port to preview, or whether to save and stop. */
export type Asking = 'preview' | 'save' | undefined;

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
  /** What this element is remembered under (its session for a reload, its last save for a return). */
  #storeKey = '';
  /** The shared session (elements with one `session` attribute) and its key, if any. */
  #group: SharedSession | undefined;
  #groupKey = '';
  /** The terminals this element shows; undefined: all of the session's (it is not shared). */
  #own: Set<number> | undefined;
  /** Set by start() when the manifest's terminals are this element's to show. */
  #takesManifest = false;
  /** Resolves start() once a terminal this element asked for is open. */
  #claimed: (() => void) | undefined;
  #media = new DisposableStore();
  /** The preview shown instead of a terminal (its URL), if any. */
  #preview: string | undefined;
  /** The panels of the previews, made when the first one is shown (a chunk of its own). */
  #panel: Promise<PreviewPanel> | undefined;
  /** A preview was asked for: show it when it arrives. */
  #previewWanted = false;
  /** The offer to resume a saved playground, while shown. */
  #offer: ResumeOffer | undefined;
  /** The last save of this session. */
  #saved: SnapshotInfo | undefined;
  /** Stylesheets of lazily loaded parts, adopted once. */
  #adopted = new Set<string>();
  /** What the toolbar's strip asks, if anything. */
  asking: Asking;
  /** The strip's code, loaded when it first opens. */
  #strip: typeof import('./toolbar-strip.js') | undefined;

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
  get tabs(): { id: number; name: string; machine?: string; active: boolean }[] {
    // Spectators and one-terminal servers (ttyd) get no tab bar.
    if (this.#session?.grantedMode === 'ro' || this.#session?.features.tabs === false) return [];
    return [...this.#tabs.keys()].map((id) => {
      const info = this.#session?.terminals.get(id);
      const machine = info?.machine && info.machine !== info.name ? info.machine : undefined;
      return { id, name: info?.name ?? `shell ${id + 1}`, ...(machine ? { machine } : {}), active: id === this.#active && !this.#preview };
    });
  }

  /** The session's web previews, as tabs after the terminals' (none for spectators). */
  get previews(): (PreviewInfo & { active: boolean })[] {
    if (this.#session?.grantedMode === 'ro') return [];
    return (this.#session?.previews ?? []).map((p) => ({ ...p, active: p.url === this.#preview }));
  }

  /** The bar above the terminal (tabs, new tab, screen-reader toggle), or nothing before the first terminal. */
  toolbar() {
    return toolbar(this, this.#host.element as LitElement);
  }

  /** The overlay's title and button for an error code. */
  problem(code: string): [string, ('retry' | 'new')?] {
    return problem(code);
  }

  /** Whether this element shows terminal `id` (a shared session's other terminals are other elements'). */
  #owns(id: number): boolean {
    return !this.#own || this.#own.has(id);
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
    const owner = localSaves.owner();
    const create = (restore?: string) => createSession(server, playground, { ...options, ...(owner ? { owner } : {}), ...(restore ? { restore } : {}) });
    this.#store = new TicketStore(storeKey);
    this.#storeKey = storeKey;
    const stored = this.#store.load();
    this.#groupKey = shared ?? '';
    this.#group = shared ? sharedSession(shared, create) : undefined;
    // The reader saved in this element before (and no signed token names another owner): offer to resume.
    const last = localSaves.last(storeKey);
    const offer = () => (owner && last && options.token === undefined ? this.#offerSaved(server, playground, owner, last, create) : create());
    const [xterm, ticket] = await Promise.all([this.#loadingXterm, this.#group?.ticket ?? stored ?? offer()]);
    if (!this.#host.element.isConnected) return false;
    this.#useXterm(xterm);
    this.#own = undefined;
    if (this.#group) this.#share(stored?.id === ticket.id ? stored.terminals : undefined);
    else this.#tab(0);
    try {
      await this.#attach(url, ticket);
    } catch (error) {
      const stale = error instanceof PlaygroundError && (error.code === ErrorCode.SessionNotFound || error.code === ErrorCode.Unauthorized);
      // Ended while the reader was away (expired, evicted): the element says so and offers a new session.
      if (this.#session?.status === 'ended') return false;
      if (!(stale || (error as PlaygroundError).code === ErrorCode.Ended) || !(stored || this.#group)) throw error;
      // The remembered session is gone (the server restarted, say): start a new one.
      this.#store.clear();
      this.dispose();
      if (this.#group) this.#group = sharedSession(shared!, create, ticket.id);
      const fresh = await (this.#group?.ticket ?? create());
      if (this.#group) this.#share();
      else this.#tab(0);
      await this.#attach(url, fresh);
    }
    const session = this.#session!;
    if ((this.#own as Set<number> | undefined)?.size === 0) {
      // Sharing a machine another element started: open a terminal of its own on it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#claimed = resolve;
          this.openTab();
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new PlaygroundError(ErrorCode.Limit, `could not open a terminal on the shared machine (at most ${MAX_TERMINALS} terminals per session)`)),
            OPEN_TIMEOUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
    this.#remember();
    return session.status !== 'ended' && session.status !== 'error';
  }

  /**
   * Creates the session, restoring save `id` (the last one made in this element) if the reader
   * chooses so and it is still kept. The list is asked for briefly: unreachable or slow, the
   * element starts fresh rather than wait.
   */
  async #offerSaved(
    server: string,
    playground: string,
    owner: string,
    id: string,
    create: (restore?: string) => Promise<SessionTicket>,
  ): Promise<SessionTicket> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), LIST_TIMEOUT_MS);
    const saved = await listSnapshots(server, owner, playground, (input, init) => fetch(input, { ...init, signal: abort.signal }))
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    const newest = saved?.find((s) => s.id === id);
    if (saved && !newest) localSaves.remember(this.#storeKey, undefined); // expired, or the server forgot it
    if (!newest || !this.#host.element.isConnected) return create();
    const { ResumeOffer, resumeOfferCss, savedDate } = await import('./resume-offer.js');
    this.#adopt('offer', resumeOfferCss);
    this.#offer = new ResumeOffer(this.#host.root);
    this.#host.setStatus('connecting', `You saved this playground on ${savedDate(newest.createdAt)}: resume it, or start fresh.`);
    try {
      const resume = await this.#offer.ask(newest);
      if (!resume) localSaves.remember(this.#storeKey, undefined); // asked once: fresh it is, from now on
      this.#host.setStatus('connecting', 'Starting your machine…');
      return await create(resume ? newest.id : undefined);
    } finally {
      this.#offer = undefined;
    }
  }

  /** Adopts the stylesheet of a lazily loaded part into the element, once. */
  #adopt(name: string, css: string): void {
    if (this.#adopted.has(name)) return;
    this.#adopted.add(name);
    adoptStylesheet(this.#host.root, css);
  }

  /** Starts showing a shared session: the terminals shown before a reload, or the manifest's if this page just created it. */
  #share(terminals?: number[]): void {
    const group = this.#group!;
    this.#own = new Set(terminals);
    this.#takesManifest = !terminals && group.fresh;
    if (this.#takesManifest) group.fresh = false;
    for (const id of this.#own) group.owners.set(id, this);
    const first = this.#takesManifest ? 0 : terminals?.[0];
    if (first !== undefined) {
      this.#active = first;
      this.#tab(first);
    }
  }

  /** Remembers the session (and, when shared, which terminals this element shows) for a reload. */
  #remember(): void {
    const session = this.#session;
    if (session) this.#store?.save({ id: session.id, token: session.token, ...(this.#own ? { terminals: [...this.#own] } : {}) });
  }

  /** Applies the element's theme and screen-reader mode and the reader's motion preference to every terminal. */
  configure(): void {
    for (const { term } of this.#tabs.values()) Object.assign(term.options, terminalOptions(this.#host.element));
    this.#fit(this.#active);
  }

  /** Types text into the active terminal's shell. */
  write(data: string): void {
    this.#session?.write(this.#active, data);
  }

  /** Opens a new tab: another shell on the same machine (in a shared session, this element's). */
  openTab(): void {
    const session = this.#session;
    const names = [...(session?.terminals.values() ?? [])].map((t) => t.name);
    session?.openTerminal(this.#group && requestTerminal(this.#group, this, names));
  }

  /** Shows the tab of terminal `id`, and focuses its terminal unless `focus` is false. */
  selectTab(id: number, focus = true): void {
    if (!this.#tabs.has(id)) return;
    this.#active = id;
    this.#showPreview(undefined);
    for (const [tid, tab] of this.#tabs) tab.box.hidden = tid !== id;
    this.#fit(id);
    this.#host.update();
    if (focus) this.terminal?.focus();
  }

  /** Shows the preview at `url` (one of {@link previews}) instead of a terminal. */
  selectPreview(url: string): void {
    if (!this.#session?.previews.some((p) => p.url === url)) return;
    for (const tab of this.#tabs.values()) tab.box.hidden = true;
    this.#showPreview(url);
    this.#host.update();
  }

  /** Shows a preview's panel, or (`undefined`) hides the panels; loads their code on first use. */
  #showPreview(url: string | undefined): void {
    this.#preview = url;
    if (!url && !this.#panel) return;
    const area = this.#host.root.querySelector('.terminal') as HTMLElement;
    this.#panel ??= import('./preview-panel.js').then(({ PreviewPanel, previewCss }) => {
      this.#adopt('preview', previewCss);
      return new PreviewPanel(area);
    });
    void this.#panel.then(
      (panel) => panel.show(this.#session?.previews ?? [], this.#preview),
      (cause: unknown) => {
        this.#panel = undefined;
        this.#host.notice({ level: 'error', text: `Could not load the preview: ${(cause as Error)?.message ?? String(cause)}` });
      },
    );
  }

  /** Asks the server for a preview of `port` (on `machine`, where the session has several) and shows it once granted. */
  openPreview(port: number, machine?: string): void {
    const session = this.#session;
    if (!session) return;
    const known = session.previews.find((p) => p.port === port && (!machine || p.machine === machine));
    this.asking = undefined;
    if (known) this.selectPreview(known.url);
    else {
      this.#previewWanted = true;
      session.openPreview(port, machine);
    }
    this.#host.update();
  }

  /** Opens or closes the toolbar's strip (a port to preview; whether to save and stop). */
  ask(what: Asking): void {
    this.asking = what;
    const focus = () => {
      this.#host.update();
      // Into the strip's first control, so a keyboard user answers at once.
      void (this.#host.element as LitElement).updateComplete.then(() => this.#host.root.querySelector<HTMLElement>('.strip input, .strip button')?.focus());
    };
    if (!what || this.#strip) return focus();
    import('./toolbar-strip.js').then(
      (code) => {
        this.#strip = code;
        focus();
      },
      () => this.#host.notice({ level: 'error', text: 'Could not load this part of the playground; check the connection and try again.' }),
    );
  }

  /** The strip under the toolbar, when open and loaded. */
  strip() {
    return (this.asking && this.#strip?.strip(this)) || nothing;
  }

  /**
   * Saves the playground's files on the server under the reader's owner key and ends the session
   * (running programs stop). The element then says until when the files are kept; on the reader's
   * return it offers to resume them. Announced as `ix-saved`.
   */
  async saveAndStop(): Promise<void> {
    this.ask(undefined);
    const session = this.#session;
    if (!session) return;
    this.#host.notice({ level: 'info', text: 'Saving your files…' });
    try {
      const snapshot = await session.save({ stop: true });
      this.#saved = snapshot;
      localSaves.remember(this.#storeKey, snapshot.id);
      this.#host.notice(undefined);
      this.#host.element.dispatchEvent(new IxSavedEvent(snapshot));
    } catch (error) {
      this.#host.notice({ level: 'error', text: `Could not save: ${(error as Error).message}` });
    }
  }

  /** Forgets the remembered session, so the next start is a fresh one. */
  forgetSession(): void {
    this.#store?.clear();
    dropSharedSession(this.#groupKey, this.#session?.id);
  }

  /** Closes the session and removes every terminal; nothing is left running. */
  dispose(): void {
    this.#offer?.cancel();
    this.#offer = undefined;
    this.asking = undefined;
    this.#previewWanted = false;
    this.#preview = undefined;
    void this.#panel?.then((panel) => panel.dispose());
    this.#panel = undefined;
    this.#held.clear();
    this.#session?.close();
    this.#session = undefined;
    this.#resize?.disconnect();
    this.#resize = undefined;
    this.#media.clear();
    for (const [name, owner] of this.#group?.requests ?? []) if (owner === this) this.#group!.requests.delete(name);
    this.#claimed = undefined;
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
    box.id = `panel-${id}`;
    box.role = 'tabpanel';
    box.setAttribute('aria-labelledby', `tab-${id}`);
    box.hidden = id !== this.#active;
    const xterm = this.#xterm!; // loaded by start() before any tab exists
    const term = new xterm.Terminal({ scrollback: 5000, ...terminalOptions(this.#host.element) });
    const fit = new xterm.FitAddon();
    term.loadAddon(fit);
    const styles = openTerminal(term, box, area, this.#host.root);
    term.textarea?.setAttribute('aria-describedby', 'hint');
    // Escape then Tab (or Shift+Tab) leaves the terminal: Tab is left to the browser, which moves
    // the focus. Escape still reaches the shell (vim needs it); Tab alone stays the shell's.
    let escaped = false;
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== 'keydown' || event.key === 'Shift') return true; // Shift+Tab: Shift comes down first
      const leave = escaped && event.key === 'Tab';
      escaped = event.key === 'Escape';
      return !leave;
    });
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
      this.#media.add(onMediaChange(() => this.configure()));
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
   * has one). ttyd has no tasks, no tabs and no resume; the page is told so. Resolves true once connected.
   */
  async startTtyd(url: string, token: string): Promise<boolean> {
    const [xterm, { TtydSession }] = await Promise.all([this.#loadingXterm, import('@ix-playground/sdk/ttyd')]);
    if (!this.#host.element.isConnected) return false;
    this.#useXterm(xterm);
    this.#own = undefined;
    const { term } = this.#tab(0);
    const session = new TtydSession({ url, token, cols: term.cols, rows: term.rows, manualAck: true });
    this.#listen(session);
    await session.open();
    this.#host.notice({
      level: 'info',
      text: 'This terminal runs on a ttyd server: no task checks, and a lost connection cannot resume (it starts a new shell).',
    });
    return true;
  }

  /** Takes xterm.js once loaded, and adopts its stylesheet (and the toolbar's) into the element. */
  #useXterm(xterm: XtermModules): void {
    if (this.#xterm) return;
    this.#xterm = xterm;
    adoptStylesheet(this.#host.root, xterm.css + toolbarCss);
  }

  /** Follows a session: its output into the tabs, its events into the element's status and DOM events. */
  #listen(session: TerminalSession): void {
    const host = this.#host;
    this.#session = session;
    this.#completed = false;
    this.#held.add(
      session.on('output', ({ terminal, offset, data }) => {
        // Another element's terminal of a shared session: acknowledged unseen, so it never stalls.
        if (!this.#owns(terminal)) return session.ack(terminal, offset + data.byteLength);
        this.#tab(terminal).term.write(data, () => session.ack(terminal, offset + data.byteLength));
      }),
      session.on('snapshot', ({ terminal, data }) => {
        if (!this.#owns(terminal)) return;
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
      session.on('terminal', ({ id, name }) => {
        if (this.#group && ownerOf(this.#group, id, name) !== this) return;
        this.#own?.add(id);
        this.#tab(id);
        this.selectTab(id, !this.#claimed);
        this.#claimed?.();
        this.#claimed = undefined;
        this.#remember();
      }),
      session.on('reconnecting', ({ attempt }) => host.setStatus('reconnecting', `Connection lost. Reconnecting (attempt ${attempt})…`)),
      session.on('status', (status) => {
        if (status === 'ready' && host.status() === 'reconnecting') host.setStatus('ready', '');
        else if (status === 'connecting' || status === 'idle') host.setStatus(status);
      }),
      session.on('preview', (preview) => {
        if (this.#previewWanted) {
          this.#previewWanted = false;
          this.selectPreview(preview.url);
        } else if (this.#preview) this.#showPreview(this.#preview);
        host.update();
      }),
      session.on('ended', (reason) => {
        const saved = this.#saved;
        const text =
          reason === 'stopped' && saved
            ? `Your files are saved (kept until ${new Date(saved.expiresAt).toLocaleDateString()}); programs that were running have stopped. Start again to resume.`
            : ENDED_TEXT[reason];
        host.setStatus('ended', text, reason);
        if (reason !== 'exited') host.error(new PlaygroundError(ErrorCode.Ended, ENDED_TEXT[reason]), true);
      }),
      session.on('error', (error) => {
        // A preview the server refused (a machine that does not exist, previews off): say so.
        if (this.#previewWanted && session.status !== 'error') {
          this.#previewWanted = false;
          host.notice({ level: 'error', text: `No preview: ${error.message}` });
        }
        host.error(error, session.status !== 'error');
      }),
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

  /**
   * Tells the server the size each terminal this element shows has on the page. In a shared
   * session this page created, the element that started it first takes the manifest's terminals.
   */
  #fitSession(session: TerminalSession): void {
    for (const [id, { name }] of session.terminals) {
      // The manifest's terminals: every one no other element of this page asked for or shows.
      if (this.#takesManifest && !this.#group!.owners.has(id) && !this.#group!.requests.has(name)) {
        this.#own!.add(id);
        this.#group!.owners.set(id, this);
      }
      if (!this.#owns(id)) continue;
      const { term } = this.#tab(id);
      session.resize(id, term.cols, term.rows);
    }
    this.#takesManifest = false;
  }
}
