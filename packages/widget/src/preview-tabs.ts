import type { DisposableLike, TerminalSession } from '@ix-playground/sdk';
import type { PreviewPanel } from './preview-panel.js';
import type { TerminalHost } from './terminal-host.js';
import type { TerminalTabs } from './terminal-tabs.js';
import type { PreviewTab } from './toolbar-model.js';

/**
 * A session's web previews as tabs after the terminals': which one is shown instead of a
 * terminal, and asking the server for one. Their panels are a chunk of their own, loaded when the
 * first preview is shown.
 */
export class PreviewTabs {
  readonly #host: TerminalHost;
  /** The session followed, whose previews these are. */
  #session: TerminalSession | undefined;
  readonly #terminals: TerminalTabs;
  /** The preview shown instead of a terminal (its URL), if any. */
  #shown: string | undefined;
  /** The panels of the previews, made when the first one is shown. */
  #panel: Promise<PreviewPanel> | undefined;
  /** A preview was asked for: show it when it arrives. */
  #wanted = false;

  /** `terminals` are hidden while a preview is shown. */
  constructor(host: TerminalHost, terminals: TerminalTabs) {
    this.#host = host;
    this.#terminals = terminals;
  }

  /** The URL of the preview shown instead of a terminal, if any. */
  get shown(): string | undefined {
    return this.#shown;
  }

  /** The session's previews, as tabs (none for spectators). */
  list(): PreviewTab[] {
    const session = this.#session;
    if (session?.grantedMode === 'ro') return [];
    return (session?.previews ?? []).map((p) => ({ ...p, active: p.url === this.#shown }));
  }

  /** Shows the preview at `url` (one of {@link list}) instead of a terminal. */
  select(url: string): void {
    if (!this.#session?.previews.some((p) => p.url === url)) return;
    this.#terminals.hide();
    this.show(url);
    this.#host.update();
  }

  /** Shows a preview's panel, or (`undefined`) hides the panels; loads their code on first use. */
  show(url: string | undefined): void {
    this.#shown = url;
    if (!url && !this.#panel) return;
    const area = this.#host.root.querySelector('.terminal') as HTMLElement;
    this.#panel ??= import('./preview-panel.js').then(({ PreviewPanel }) => new PreviewPanel(area));
    void this.#panel.then(
      (panel) => panel.show(this.#session?.previews ?? [], this.#shown),
      (cause: unknown) => {
        this.#panel = undefined;
        this.#host.notice({ level: 'error', text: `Could not load the preview: ${(cause as Error)?.message ?? String(cause)}` });
      },
    );
  }

  /** Asks the session for a preview of `port` (on `machine`, where it has several) and shows it once granted. */
  open(port: number, machine?: string): void {
    const session = this.#session!;
    const known = session.previews.find((p) => p.port === port && (!machine || p.machine === machine));
    if (known) this.select(known.url);
    else {
      this.#wanted = true;
      session.openPreview(port, machine);
    }
  }

  /** Shows a preview asked for once `session` grants it, and says so when it refuses. */
  follow(session: TerminalSession): DisposableLike[] {
    this.#session = session;
    return [
      session.on('preview', (preview) => {
        if (this.#wanted) {
          this.#wanted = false;
          this.select(preview.url);
        } else if (this.#shown) this.show(this.#shown);
        this.#host.update();
      }),
      session.on('error', (error) => {
        // A preview the server refused (a machine that does not exist, previews off): say so.
        if (this.#wanted && session.status !== 'error') {
          this.#wanted = false;
          this.#host.notice({ level: 'error', text: `No preview: ${error.message}` });
        }
      }),
    ];
  }

  /** Removes the panels; nothing is shown or asked for any more. */
  dispose(): void {
    this.#session = undefined;
    this.#wanted = false;
    this.#shown = undefined;
    void this.#panel?.then((panel) => panel.dispose());
    this.#panel = undefined;
  }
}
