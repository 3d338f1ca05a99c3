import type { Unsubscribe } from 'nanoevents';
import type { AttachMode, PreviewInfo, SnapshotInfo, TaskInfo, TerminalInfo } from './protocol.js';
import type { SessionEvents, SessionStatus } from './session.js';

/** What a server behind a {@link TerminalSession} can do. */
export interface SessionFeatures {
  /** Task checks and progress (ix-playground servers). */
  tasks: boolean;
  /** Resuming after a lost connection without losing output. */
  resume: boolean;
  /** More than one terminal (tabs). */
  tabs: boolean;
  /** Saving the playground's files, to restore or fork later. */
  save: boolean;
  /** Previews of web servers in the playground, on any port (see {@link TerminalSession.openPreview}). */
  preview: boolean;
}

/**
 * A terminal session as a UI uses it, whatever the wire protocol: the ix-playground protocol
 * ({@link Session}) or a stock ttyd server ({@link TtydSession}). Events and methods are the
 * session's; `features` says which of them a server actually supports.
 */
export interface TerminalSession {
  /** Session id. */
  readonly id: string;
  /** The token the session attaches with. */
  readonly token: string;
  /** Current status. */
  readonly status: SessionStatus;
  /** The access the server granted. */
  readonly grantedMode: AttachMode | undefined;
  /** The terminals by id. */
  readonly terminals: ReadonlyMap<number, TerminalInfo>;
  /** The latest state of every task (empty without task support). */
  readonly tasks: readonly TaskInfo[];
  /** What this server supports. */
  readonly features: SessionFeatures;
  /** The playground's name and title (for ttyd: `ttyd` and its window title). */
  readonly playground: { name: string; title: string };
  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SessionEvents>(event: E, callback: SessionEvents[E]): Unsubscribe;
  /** Connects; resolves once the session is ready. */
  open(): Promise<void>;
  /** Disconnects; a pending {@link open} rejects with `cancelled`. */
  close(): void;
  /** Keyboard input for a terminal. */
  write(terminal: number, data: string | Uint8Array): void;
  /** Resizes a terminal. */
  resize(terminal: number, cols: number, rows: number): void;
  /** The page rendered a terminal's output up to `offset` (flow control). */
  ack(terminal: number, offset: number): void;
  /** Opens another terminal (on `machine`, where the session has several), where {@link SessionFeatures.tabs} allows. */
  openTerminal(name?: string, machine?: string): void;
  /** The session's machines (empty with a single unnamed one). */
  readonly machines: readonly string[];
  /** Web servers in the session a page can show. */
  readonly previews: readonly PreviewInfo[];
  /** Asks for a preview of a port; a `preview` event answers (ix-playground servers only). */
  openPreview(port: number, machine?: string): void;
  /** Saves the playground's files (processes are not saved); with `stop`, the session ends after. */
  save(options?: { stop?: boolean }): Promise<SnapshotInfo>;
  /** Runs the task checks now, where {@link SessionFeatures.tasks} allows. */
  runChecks(): void;
}
