/**
 * `@ix-playground/widget/elements`: the element classes and event types without registering any
 * tag (no side effects), for pages that define the tags themselves.
 * @packageDocumentation
 */
export { IxPlayground, type ConnectMode, type PlaygroundStatus } from './playground.js';
export { IxTasks } from './tasks.js';
export { IxRun } from './run.js';
export { defineElement } from './define-element.js';
export {
  enableParentBridge,
  BRIDGED_EVENTS,
  type BridgedEventType,
  type BridgeMessage,
  type BridgeRunMessage,
  type ParentBridge,
  type ParentBridgeOptions,
} from './bridge.js';
export {
  IxStatusEvent,
  IxTaskEvent,
  IxProgressEvent,
  IxCompleteEvent,
  IxErrorEvent,
  IxSavedEvent,
  type StatusDetail,
  type TaskDetail,
  type ProgressDetail,
  type CompleteDetail,
  type ErrorDetail,
  type SavedDetail,
  type IxEventMap,
} from './events.js';
