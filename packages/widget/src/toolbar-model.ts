import type { PreviewInfo, TerminalSession } from '@ix-playground/sdk';

/** What the toolbar asks in its strip: a port to preview, or whether to save and stop. */
export type Asking = 'preview' | 'save' | undefined;

/** A terminal's tab in the toolbar. */
export interface TerminalTab {
  /** The terminal's id in the session. */
  id: number;
  /** Its name, e.g. `main` or `shell 2`. */
  name: string;
  /** The machine it runs on, where the session has several (and it is not named after it). */
  machine?: string;
  /** Whether it is the one shown. */
  active: boolean;
}

/** A web preview's tab in the toolbar. */
export type PreviewTab = PreviewInfo & {
  /** Whether it is the one shown. */
  active: boolean;
};

/**
 * What the toolbar and its strip read and do: the tabs to show and the actions behind their
 * buttons. The terminal controller is one; the toolbar knows nothing else of it.
 */
export interface ToolbarModel {
  /** The session's features, access and machines, once attached. */
  readonly session: Pick<TerminalSession, 'features' | 'grantedMode' | 'machines'> | undefined;
  /** Whether a terminal is shown yet: there is no toolbar before the first. */
  readonly terminal: unknown;
  /** The terminals' tabs, in order (none for read-only spectators and one-terminal servers). */
  readonly tabs: readonly TerminalTab[];
  /** The previews' tabs, after the terminals' (none for spectators). */
  readonly previews: readonly PreviewTab[];
  /** What the strip asks, if it is open. */
  readonly asking: Asking;
  /** Shows the tab of terminal `id`, and focuses its terminal unless `focus` is false. */
  selectTab(id: number, focus?: boolean): void;
  /** Shows the preview at `url` instead of a terminal. */
  selectPreview(url: string): void;
  /** Opens a new tab: another shell on the same machine. */
  openTab(): void;
  /** Asks for a preview of `port` (on `machine`, where the session has several) and shows it once granted. */
  openPreview(port: number, machine?: string): void;
  /** Opens the strip to ask `what`, or (`undefined`) closes it. */
  ask(what: Asking): void;
  /** The strip under the toolbar, when open and loaded. */
  strip(): unknown;
  /** Saves the playground's files and ends the session. */
  saveAndStop(): Promise<void>;
}
