/**
 * @ix-playground/sdk: connect to ix-playground sessions from browsers or Node.
 * @packageDocumentation
 */
export { connect, createSession, gatewayUrl, type ConnectOptions, type CreateSessionOptions, type SessionTicket, type TokenSource } from './connect.js';
export { Session, type SessionEvents, type SessionOptions, type SessionStatus, type OutputEvent } from './session.js';
export { ErrorCode, PlaygroundError } from './errors.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export {
  PROTOCOL,
  CloseCode,
  RETRYABLE_CLOSE_CODES,
  type AttachMode,
  type EndReason,
  type TaskInfo,
  type TaskState,
  type TerminalInfo,
} from './protocol.js';
export type { EventHandler, WebSocketConstructor, WebSocketLike } from './websocket.js';
