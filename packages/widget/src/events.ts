import type { SessionStatus, SnapshotInfo, TaskState } from '@ix-playground/sdk';

const init = { bubbles: true, composed: true } as const;

/** Detail of `ix-status`. */
export interface StatusDetail {
  /** The new status. */
  status: SessionStatus;
  /** Why, for `ended` and `error`. */
  reason?: string;
}

/** Detail of `ix-task`. */
export interface TaskDetail {
  /** Task id from the manifest. */
  id: string;
  /** Task title. */
  title: string;
  /** New state. */
  state: TaskState;
  /** What the check said (first lines of its output), if anything. */
  message?: string;
}

/** Detail of `ix-progress`. */
export interface ProgressDetail {
  /** Tasks done. */
  done: number;
  /** Tasks in all. */
  total: number;
}

/** Detail of `ix-complete`. */
export interface CompleteDetail {
  /** Tasks in all (all done). */
  total: number;
}

/** Detail of `ix-error`. */
export interface ErrorDetail {
  /** Stable error code (see the SDK's ErrorCode). */
  code: string;
  /** Human-readable message. */
  message: string;
}

/** Detail of `ix-saved`: the saved playground (its `id` is what `fork` needs to copy it). */
export type SavedDetail = SnapshotInfo;

/** `ix-status`: the element's status changed. */
export class IxStatusEvent extends CustomEvent<StatusDetail> {
  constructor(detail: StatusDetail) {
    super('ix-status', { ...init, detail });
  }
}

/** `ix-task`: a task changed state. */
export class IxTaskEvent extends CustomEvent<TaskDetail> {
  constructor(detail: TaskDetail) {
    super('ix-task', { ...init, detail });
  }
}

/** `ix-progress`: progress over all tasks changed. */
export class IxProgressEvent extends CustomEvent<ProgressDetail> {
  constructor(detail: ProgressDetail) {
    super('ix-progress', { ...init, detail });
  }
}

/** `ix-complete`: every task is done. */
export class IxCompleteEvent extends CustomEvent<CompleteDetail> {
  constructor(detail: CompleteDetail) {
    super('ix-complete', { ...init, detail });
  }
}

/** `ix-error`: something went wrong; `code` says what. */
export class IxErrorEvent extends CustomEvent<ErrorDetail> {
  constructor(detail: ErrorDetail) {
    super('ix-error', { ...init, detail });
  }
}

/** Every `ix-*` event and its class: what `addEventListener('ix-…', e => …)` hands you. */
export interface IxEventMap {
  'ix-status': IxStatusEvent;
  'ix-task': IxTaskEvent;
  'ix-progress': IxProgressEvent;
  'ix-complete': IxCompleteEvent;
  'ix-error': IxErrorEvent;
  'ix-saved': IxSavedEvent;
}

// The events bubble and are composed, so listeners on any element, the document or the window
// hear them: all three maps know their types.
declare global {
  /* eslint-disable @typescript-eslint/no-empty-object-type -- declaration merging adds the ix-* events */
  interface HTMLElementEventMap extends IxEventMap {}
  interface DocumentEventMap extends IxEventMap {}
  interface WindowEventMap extends IxEventMap {}
  /* eslint-enable @typescript-eslint/no-empty-object-type */
}

/** `ix-saved`: the reader saved the playground (and it stopped); the reader is offered it on return. */
export class IxSavedEvent extends CustomEvent<SavedDetail> {
  constructor(detail: SavedDetail) {
    super('ix-saved', { ...init, detail });
  }
}
