import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import type { DisposableLike, TerminalSession } from '@ix-playground/sdk';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import type { TerminalHost } from './terminal-host.js';
import { onMediaChange, terminalOptions } from './terminal-options.js';
import { toolbarCss } from './toolbar.js';
import type { TerminalTab } from './toolbar-model.js';
import { adoptStylesheet, openTerminal, type AdoptedStyles } from './xterm-open.js';
import type { XtermModules } from './xterm-loader.js';

/** One terminal of the session, shown as a tab. */
interface Tab {
  term: Terminal;
  fit: FitAddon;
  box: HTMLElement;
  styles: AdoptedStyles;
}

/**
 * The terminals an element shows, one xterm.js terminal per tab: made on first use, fitted to the
 * element (again whenever it resizes), restyled when the reader's colour scheme or motion
 * preference changes; their keystrokes and sizes go to the session, its output into them.
 */
export class TerminalTabs {
  readonly #host: TerminalHost;
  /** The session followed, whose terminals these are. */
  #session: TerminalSession | undefined;
  #xterm: XtermModules | undefined;
  #tabs = new Map<number, Tab>();
  #resize: ResizeObserver | undefined;
  #media = new DisposableStore();
  /** The terminal whose tab is shown (or is shown once a preview is closed). */
  active = 0;

  constructor(host: TerminalHost) {
    this.#host = host;
  }

  /** The xterm.js Terminal of the active tab. */
  get terminal(): Terminal | undefined {
    return this.#tabs.get(this.active)?.term;
  }

  /** The tabs in order; `covered` when a preview is shown instead of a terminal. */
  list(covered: boolean): TerminalTab[] {
    const session = this.#session;
    // Spectators and one-terminal servers (ttyd) get no tab bar.
    if (session?.grantedMode === 'ro' || session?.features.tabs === false) return [];
    return [...this.#tabs.keys()].map((id) => {
      const info = session?.terminals.get(id);
      const machine = info?.machine && info.machine !== info.name ? info.machine : undefined;
      return { id, name: info?.name ?? `shell ${id + 1}`, ...(machine ? { machine } : {}), active: id === this.active && !covered };
    });
  }

  /** Takes xterm.js once loaded, and adopts its stylesheet (and the toolbar's) into the element. */
  use(xterm: XtermModules): void {
    if (this.#xterm) return;
    this.#xterm = xterm;
    adoptStylesheet(this.#host.root, xterm.css + toolbarCss);
  }

  /** The tab of terminal `id`, made on first use: its own xterm, fitted to the element. */
  tab(id: number): Tab {
    const existing = this.#tabs.get(id);
    if (existing) return existing;
    const area = this.#host.root.querySelector('.terminal') as HTMLElement;
    const box = document.createElement('div');
    box.className = 'screen';
    box.id = `panel-${id}`;
    box.role = 'tabpanel';
    box.setAttribute('aria-labelledby', `tab-${id}`);
    box.hidden = id !== this.active;
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
      this.#resize = new ResizeObserver(() => this.#fit(this.active));
      this.#resize.observe(area);
      this.#media.add(onMediaChange(() => this.configure()));
    }
    this.#fit(id);
    this.#host.update();
    return tab;
  }

  /** Shows the tab of terminal `id` and hides the others; false if there is no such tab. */
  select(id: number): boolean {
    if (!this.#tabs.has(id)) return false;
    this.active = id;
    for (const [tid, tab] of this.#tabs) tab.box.hidden = tid !== id;
    this.#fit(id);
    return true;
  }

  /** Hides every terminal (a preview is shown instead). */
  hide(): void {
    for (const tab of this.#tabs.values()) tab.box.hidden = true;
  }

  /** Applies the element's theme and screen-reader mode and the reader's motion preference to every terminal. */
  configure(): void {
    for (const { term } of this.#tabs.values()) Object.assign(term.options, terminalOptions(this.#host.element));
    this.#fit(this.active);
  }

  /**
   * Sends the terminals' keystrokes and sizes to `session` and writes its output into the tabs of
   * the terminals this element shows (`owns`); the others' output is acknowledged unseen, so a
   * shared session never stalls on it.
   */
  follow(session: TerminalSession, owns: (id: number) => boolean): DisposableLike[] {
    this.#session = session;
    return [
      session.on('output', ({ terminal, offset, data }) => {
        if (!owns(terminal)) return session.ack(terminal, offset + data.byteLength);
        this.tab(terminal).term.write(data, () => session.ack(terminal, offset + data.byteLength));
      }),
      session.on('snapshot', ({ terminal, data }) => {
        if (!owns(terminal)) return;
        const { term } = this.tab(terminal);
        const resumed = term.buffer.active.length > term.rows || term.buffer.active.cursorY > 0;
        term.reset();
        term.write(data);
        if (resumed)
          this.#host.notice({
            level: 'info',
            text: 'You were away longer than the replay buffer lasts: showing the current screen; some older output is not shown.',
          });
      }),
    ];
  }

  #fit(id: number): void {
    try {
      this.#tabs.get(id)?.fit.fit();
    } catch {
      // not laid out (display: none): nothing to fit
    }
  }

  /** Removes every terminal and stops following the element's size and the reader's preferences. */
  dispose(): void {
    this.#session = undefined;
    this.#resize?.disconnect();
    this.#resize = undefined;
    this.#media.clear();
    for (const tab of this.#tabs.values()) {
      tab.term.dispose();
      tab.styles.dispose();
      tab.box.remove();
    }
    this.#tabs.clear();
    this.active = 0;
  }
}
