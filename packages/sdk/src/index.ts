/**
 * @ix-playground/sdk: connect to ix-playground sessions from browsers or Node.
 * @packageDocumentation
 */
export {
  connect,
  createSession,
  listSnapshots,
  gatewayUrl,
  type ConnectOptions,
  type CreateSessionOptions,
  type SessionTicket,
  type TokenSource,
} from './connect.js';
export { Session, type SessionOptions } from './session.js';
export { ErrorCode, PlaygroundError } from './errors.js';
export type { TerminalSession, SessionFeatures, SessionEvents, SessionStatus, OutputEvent } from './terminal-session.js';
export { Tunnel, type TunnelEvents } from './tunnel.js';
export { TtydSession, TtydCommand, TTYD_PROTOCOL, type TtydSessionOptions } from './ttyd-session.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { DisposableStore, type Disposable, type DisposableLike } from './disposable.js';
export {
  PROTOCOL,
  CloseCode,
  RETRYABLE_CLOSE_CODES,
  END_REASONS,
  END_REASON_CLOSE_CODES,
  TASK_STATES,
  ATTACH_MODES,
  NOTICE_LEVELS,
  MAX_COLS,
  MAX_ROWS,
  MAX_TERMINALS,
  endReasonOf,
  errorCodeOf,
  type AttachMode,
  type EndReason,
  type NoticeLevel,
  type TaskInfo,
  type TaskState,
  type TerminalInfo,
  type PreviewInfo,
  type SnapshotInfo,
} from './protocol.js';
export type { EventHandler, WebSocketConstructor, WebSocketLike } from './websocket.js';
