/**
 * @ix-playground/widget: the `<ix-playground>` element. Import `@ix-playground/widget/define`
 * to register the tag, or this module for the class alone.
 * @packageDocumentation
 */
export { IxPlayground, type ConnectMode, type PlaygroundStatus } from './playground.js';
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
