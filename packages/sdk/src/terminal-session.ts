import type { Unsubscribe } from 'nanoevents';
import type { PlaygroundError } from './errors.js';
import type { AttachMode, EndReason, NoticeLevel, PreviewInfo, SnapshotInfo, TaskInfo, TerminalInfo } from './protocol.js';

/** Where a session is in its life. */
export type SessionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'ended' | 'error';

/** Output bytes for one terminal, with the stream offset of the first byte. */
export interface OutputEvent {
  /** Terminal id. */
  terminal: number;
  /** Stream offset of `data[0]`. */
  offset: number;
  /** The bytes, exactly as the pty produced them. */
  data: Uint8Array;
}

/** A terminal's screen as the server serialized it, standing in for output the client can no longer get. */
export interface SnapshotEvent {
  /** Terminal id. */
  terminal: number;
  /** Stream offset at which output continues after the snapshot. */
  offset: number;
  /** The serialized screen, to write into a cleared terminal. */
  data: string;
}

/** Events a {@link TerminalSession} emits; subscribe with `session.on(name, cb)`. */
export interface SessionEvents {
  /** The status changed. */
  status(status: SessionStatus): void;
  /** The connection was lost; attempt `attempt` to resume starts after `delayMs`. */
  reconnecting(event: { attempt: number; delayMs: number }): void;
  /** A terminal produced output. Every byte arrives exactly once, in order, across reconnects. */
  output(event: OutputEvent): void;
  /**
   * The output since the last byte this client had is gone from the server's replay buffer:
   * replace the terminal's screen with `data` (a serialized screen); output continues at `offset`.
   */
  snapshot(event: SnapshotEvent): void;
  /** A terminal was opened. */
  terminal(info: TerminalInfo): void;
  /** A preview of a web server in the session is available (listed by the manifest, or asked for). */
  preview(preview: PreviewInfo): void;
  /** A terminal's process exited. */
  exit(event: { terminal: number; code: number | null }): void;
  /** A task changed state. */
  task(task: TaskInfo): void;
  /** The whole task list was replaced (on attach, or after a manifest reload). */
  tasks(tasks: TaskInfo[]): void;
  /** Progress over all tasks. */
  progress(progress: { done: number; total: number }): void;
  /** A message for the person at the page (for example: the manifest was reloaded, or is invalid). */
  notice(notice: { level: NoticeLevel; message: string }): void;
  /** The session ended for good. */
  ended(reason: EndReason): void;
  /** Something went wrong; the session may still be usable unless status is `error`. */
  error(error: PlaygroundError): void;
}

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
