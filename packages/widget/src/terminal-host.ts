import type { NoticeLevel, PlaygroundError, SessionStatus } from '@ix-playground/sdk';

/** A banner for the person at the page. */
export interface Notice {
  /** How it is shown; errors stay until dismissed. */
  level: NoticeLevel;
  /** The text. */
  text: string;
}

/** What the terminal controller and its parts need from their element (`<ix-playground>`). */
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
