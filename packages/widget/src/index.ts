/**
 * @ix-playground/widget: the `<ix-playground>`, `<ix-tasks>` and `<ix-run>` elements. Import
 * `@ix-playground/widget/define` to register the tags, or this module for the classes alone.
 * @packageDocumentation
 */
export { IxPlayground, type ConnectMode, type PlaygroundStatus } from './playground.js';
export { IxTasks } from './tasks.js';
export { IxRun } from './run.js';
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
  type StatusDetail,
  type TaskDetail,
  type ProgressDetail,
  type CompleteDetail,
  type ErrorDetail,
} from './events.js';
