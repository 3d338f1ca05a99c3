/**
 * The ix-playground wire format (docs/protocol.md), the only implementation of it: the SDK uses it
 * to talk to servers and the reference server imports it from here.
 *
 * Terminal bytes travel in binary frames with a 1-byte kind and a 2-byte terminal id; control
 * messages travel as JSON text frames validated against the schemas below.
 */
import * as v from 'valibot';
import { ErrorCode, PlaygroundError } from './errors.js';

export { ErrorCode, PlaygroundError } from './errors.js';

/** The WebSocket subprotocol name of this version. The server selects it or refuses the upgrade. */
export const PROTOCOL = 'ix-playground.v1';

/** Subprotocols this codec speaks, newest first. */
export const PROTOCOLS: readonly string[] = [PROTOCOL];

/** Terminals (tabs) a session may have at most, exited ones included. */
export const MAX_TERMINALS = 8;

/** The largest frame either side accepts, in bytes. */
export const MAX_FRAME_BYTES = 256 * 1024;

/** Binary frame kinds (the first byte of a binary frame). */
export const FrameKind = {
  /** Server to client: terminal output with the offset of its first byte. */
  Output: 0x01,
  /** Client to server: keyboard input for a terminal. */
  Input: 0x02,
  /** Both ways: bytes of a forwarded TCP connection (port forwarding), tagged with its channel. */
  Tunnel: 0x03,
} as const;

/** Bytes before the payload of a tunnel frame: kind, channel id. */
export const TUNNEL_HEADER_BYTES = 3;

/** Forwarded connections one client may have open at once. */
export const MAX_TUNNELS = 16;

/** Bytes before the payload of an output frame: kind, terminal id, 8-byte offset. */
export const OUTPUT_HEADER_BYTES = 11;
/** Bytes before the payload of an input frame: kind, terminal id. */
export const INPUT_HEADER_BYTES = 3;

/** WebSocket close codes and what they mean. */
export const CloseCode = {
  /** The session ended normally (its shell exited); an `ended` message precedes it. */
  Ended: 4000,
  /** Another client took over this read-write attachment, or an operator kicked it. */
  Kicked: 4001,
  /** The server is shutting down. */
  Shutdown: 4002,
  /** The session outlived its time limit. */
  Expired: 4003,
  /** The client broke the protocol; an `error` message precedes it. */
  ProtocolError: 4400,
  /** Wrong or missing session token. */
  Unauthorized: 4401,
  /** The session does not exist. */
  NotFound: 4404,
  /** No heartbeat from the client in time. */
  Timeout: 4408,
  /** A limit was exceeded (frame size, input rate, clients per session). */
  Limit: 4429,
  /** The client fell too far behind; it should reconnect and resume (it will get a snapshot). */
  Lagging: 4503,
  /** The server failed. */
  Internal: 4500,
} as const;

/**
 * The error a close code stands for, for a client to report: undefined for a normal close (1000,
 * `Ended`), where the `ended` message or the caller already says what happened. `reason` is the
 * close frame's text; `url` names the gateway when the connection never opened (1006).
 */
export function closeError(code: number, reason: string, url: string): PlaygroundError | undefined {
  const why = reason ? `: ${reason}` : '';
  switch (code) {
    case 1000:
    case CloseCode.Ended:
      return undefined;
    case CloseCode.Unauthorized:
      return new PlaygroundError(ErrorCode.Unauthorized, `the server refused the session token${why}`);
    case CloseCode.NotFound:
      return new PlaygroundError(ErrorCode.SessionNotFound, `the session no longer exists${why}`);
    case CloseCode.ProtocolError:
      return new PlaygroundError(ErrorCode.Protocol, `protocol error${why}`);
    case CloseCode.Limit:
      return new PlaygroundError(ErrorCode.Limit, `a server limit was exceeded${why}`);
    case CloseCode.Expired:
    case CloseCode.Shutdown:
    case CloseCode.Kicked:
      return new PlaygroundError(ErrorCode.Ended, `the session ended${why}`);
    case 1006:
      return new PlaygroundError(ErrorCode.Network, `connection to ${url} failed or was refused`);
    default:
      return new PlaygroundError(ErrorCode.Network, `connection closed (code ${code})${why}`);
  }
}

/** Why a session ended. */
export const END_REASONS = ['exited', 'expired', 'shutdown', 'kicked', 'evicted', 'stopped', 'error'] as const;
const endReason = v.picklist(END_REASONS);
/** Why a session ended: one of {@link END_REASONS}. */
export type EndReason = v.InferOutput<typeof endReason>;

/** Task states, in the order a task usually moves through them. */
export const TASK_STATES = ['blocked', 'pending', 'running', 'done', 'failed'] as const;
const taskState = v.picklist(TASK_STATES);
/** A task's state: one of {@link TASK_STATES}. */
export type TaskState = v.InferOutput<typeof taskState>;

/** How a client is attached: read-write, or a read-only spectator. */
export const ATTACH_MODES = ['rw', 'ro'] as const;
const attachMode = v.picklist(ATTACH_MODES);
/** `rw` or `ro`. */
export type AttachMode = v.InferOutput<typeof attachMode>;

/** How important a notice for the people at the page is. */
export const NOTICE_LEVELS = ['info', 'warning', 'error'] as const;
const noticeLevel = v.picklist(NOTICE_LEVELS);
/** `info`, `warning` or `error`. */
export type NoticeLevel = v.InferOutput<typeof noticeLevel>;

/** The close code a server uses when a session ends, for each reason. */
export const END_REASON_CLOSE_CODES: Readonly<Record<EndReason, number>> = {
  exited: CloseCode.Ended,
  expired: CloseCode.Expired,
  shutdown: CloseCode.Shutdown,
  kicked: CloseCode.Kicked,
  evicted: CloseCode.Kicked,
  stopped: CloseCode.Ended,
  error: CloseCode.Internal,
};

/** The end reason a close code says, for the codes that end a session for good (undefined for the others). */
export function endReasonOf(code: number): EndReason | undefined {
  switch (code) {
    case CloseCode.Ended:
      return 'exited';
    case CloseCode.Expired:
      return 'expired';
    case CloseCode.Shutdown:
      return 'shutdown';
    case CloseCode.Kicked:
      return 'kicked';
    default:
      return undefined;
  }
}

/** Close codes after which a client should reconnect and resume; every other code is final. */
export const RETRYABLE_CLOSE_CODES: readonly number[] = [
  1001, // going away (a proxy or server restarting)
  1005, // no status
  1006, // abnormal: the connection dropped
  1011, // server error
  1012, // service restart
  1013, // try again later
  CloseCode.Timeout,
  CloseCode.Internal,
  CloseCode.Lagging,
];

const errorCode = v.picklist(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

/** An error code from the wire: known codes as they are, anything else (a newer server) as `internal`. */
export function errorCodeOf(code: unknown): ErrorCode {
  return v.is(errorCode, code) ? code : ErrorCode.Internal;
}

const terminalId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff));
const offset = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
/** The widest terminal either side accepts, in columns (wider than any real screen at a readable size). */
export const MAX_COLS = 500;
/** The tallest terminal either side accepts, in rows. */
export const MAX_ROWS = 200;

/** A size brought into 1…`max` (whole numbers; anything not a number becomes 1). */
export function clampSize(n: number, max: number): number {
  return Math.min(max, Math.max(1, Math.round(Number.isFinite(n) ? n : 1)));
}

const cols = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_COLS));
const rows = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ROWS));
const shortText = v.pipe(v.string(), v.maxLength(200));

const taskSchema = v.object({
  id: shortText,
  title: v.pipe(v.string(), v.maxLength(1000)),
  hint: v.optional(v.pipe(v.string(), v.maxLength(10000))),
  needs: v.array(shortText),
  state: taskState,
  message: v.optional(v.pipe(v.string(), v.maxLength(4000))),
  exitCode: v.optional(v.nullable(v.number())),
  durationMs: v.optional(v.number()),
});

/** One task as the server reports it. */
export type TaskInfo = v.InferOutput<typeof taskSchema>;

const terminalInfo = v.object({ id: terminalId, name: shortText, cols, rows, machine: v.optional(shortText) });

/** A terminal of a session as the server reports it (`machine`: the machine it runs on, when the session has several). */
export type TerminalInfo = v.InferOutput<typeof terminalInfo>;

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));
const snapshotInfo = v.object({ id: shortText, playground: shortText, createdAt: shortText, expiresAt: shortText, sizeBytes: v.number() });

/** A saved playground: its id (what restore and fork need), playground, when it was saved and when it expires. */
export type SnapshotInfo = v.InferOutput<typeof snapshotInfo>;
const previewInfo = v.object({ machine: shortText, port, title: shortText, url: v.pipe(v.string(), v.maxLength(2000)) });

/** A web server in the session that a page can show: its own origin, not the server's. */
export type PreviewInfo = v.InferOutput<typeof previewInfo>;

const clientSchema = v.variant('type', [
  v.object({
    type: v.literal('attach'),
    session: shortText,
    token: shortText,
    mode: v.optional(attachMode),
    /** Per terminal, the offset the client has already rendered; the server replays from there. */
    resume: v.optional(v.pipe(v.array(v.object({ terminal: terminalId, offset })), v.maxLength(64))),
  }),
  v.object({ type: v.literal('resize'), terminal: terminalId, cols, rows }),
  v.object({ type: v.literal('ack'), terminal: terminalId, offset }),
  v.object({ type: v.literal('open'), name: v.optional(shortText), machine: v.optional(shortText) }),
  /** Opens forwarded connection `channel` to a port (of the first machine unless `machine` says); `tunnel` answers. */
  v.object({
    type: v.literal('tunnel-open'),
    channel: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff)),
    port,
    machine: v.optional(shortText),
  }),
  /** Saves the playground's files (and ends the session with `stop`); `saved` answers. */
  v.object({ type: v.literal('save'), stop: v.optional(v.boolean()) }),
  /** Closes a forwarded connection. */
  v.object({ type: v.literal('tunnel-close'), channel: terminalId }),
  /** Asks for a preview of a port (of the first machine unless `machine` says); the answer is a `preview` message. */
  v.object({ type: v.literal('preview'), port, machine: v.optional(shortText) }),
  v.object({ type: v.literal('run-checks') }),
  v.object({ type: v.literal('ping'), t: v.number() }),
  v.object({ type: v.literal('pong'), t: v.number() }),
]);

/** A control message a client sends. */
export type ClientMessage = v.InferOutput<typeof clientSchema>;

const serverSchema = v.variant('type', [
  v.object({
    type: v.literal('welcome'),
    protocol: v.string(),
    session: shortText,
    mode: attachMode,
    playground: v.object({ name: shortText, title: v.string() }),
    terminals: v.array(terminalInfo),
    tasks: v.array(taskSchema),
    /** The session's machines, when it has several. */
    machines: v.optional(v.pipe(v.array(shortText), v.maxLength(64))),
    /** The previews the manifest lists, and any opened since. */
    previews: v.optional(v.pipe(v.array(previewInfo), v.maxLength(64))),
    /** This client may save the playground (the server keeps saved playgrounds and the session has an owner). */
    save: v.optional(v.boolean()),
    /** This client may ask for a preview of any port. */
    preview: v.optional(v.boolean()),
  }),
  v.object({ type: v.literal('preview'), preview: previewInfo }),
  /** The playground was saved. */
  v.object({ type: v.literal('saved'), snapshot: snapshotInfo }),
  /** A forwarded connection is open (`open: true`), or closed (with `error` if it failed). */
  v.object({ type: v.literal('tunnel'), channel: terminalId, open: v.boolean(), error: v.optional(v.pipe(v.string(), v.maxLength(1000))) }),
  v.object({ type: v.literal('terminal'), terminal: terminalInfo }),
  v.object({
    type: v.literal('snapshot'),
    terminal: terminalId,
    offset,
    data: v.string(),
  }),
  v.object({ type: v.literal('exit'), terminal: terminalId, code: v.nullable(v.number()) }),
  v.object({ type: v.literal('task'), task: taskSchema }),
  v.object({ type: v.literal('tasks'), tasks: v.array(taskSchema) }),
  v.object({ type: v.literal('progress'), done: v.number(), total: v.number() }),
  v.object({ type: v.literal('ended'), reason: endReason }),
  v.object({ type: v.literal('error'), code: v.string(), message: v.string() }),
  v.object({
    type: v.literal('notice'),
    level: noticeLevel,
    message: v.pipe(v.string(), v.maxLength(4000)),
  }),
  v.object({ type: v.literal('ping'), t: v.number() }),
  v.object({ type: v.literal('pong'), t: v.number() }),
]);

/** A control message the server sends. */
export type ServerMessage = v.InferOutput<typeof serverSchema>;

/** A decoded output frame. */
export interface OutputFrame {
  /** Terminal the bytes belong to. */
  terminal: number;
  /** Offset of the first payload byte in the terminal's output stream. */
  offset: number;
  /** The bytes. */
  data: Uint8Array;
}

/** A decoded input frame. */
export interface InputFrame {
  /** Terminal the bytes are for. */
  terminal: number;
  /** The bytes. */
  data: Uint8Array;
}

const encoder = new TextEncoder();

function protocolError(message: string): PlaygroundError {
  return new PlaygroundError(ErrorCode.Protocol, message);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes terminal output; `offset` is the stream offset of `data[0]`. */
export function encodeOutput(terminal: number, offset: number, data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(OUTPUT_HEADER_BYTES + data.byteLength);
  const dv = view(frame);
  dv.setUint8(0, FrameKind.Output);
  dv.setUint16(1, terminal);
  dv.setUint32(3, Math.floor(offset / 2 ** 32));
  dv.setUint32(7, offset >>> 0);
  frame.set(data, OUTPUT_HEADER_BYTES);
  return frame;
}

/**
 * A frame whose header is its kind and a 16-bit id (input: the terminal; tunnel: the channel),
 * `header` bytes in all, then `data`.
 */
function idFrame(kind: number, header: number, id: number, data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(header + data.byteLength);
  const dv = view(frame);
  dv.setUint8(0, kind);
  dv.setUint16(1, id);
  frame.set(data, header);
  return frame;
}

/** Encodes keyboard input; strings are sent as UTF-8. */
export function encodeInput(terminal: number, data: Uint8Array | string): Uint8Array {
  return idFrame(FrameKind.Input, INPUT_HEADER_BYTES, terminal, typeof data === 'string' ? encoder.encode(data) : data);
}

function checkBinary(frame: Uint8Array, kind: number, header: number): void {
  if (frame.byteLength > MAX_FRAME_BYTES) throw protocolError(`frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  if (frame.byteLength < header) throw protocolError(`binary frame of ${frame.byteLength} bytes is shorter than its ${header}-byte header`);
  if (frame[0] !== kind) throw protocolError(`unexpected binary frame kind 0x${(frame[0] ?? 0).toString(16)}`);
}

/** Decodes an output frame, throwing a `protocol` {@link PlaygroundError} if it is malformed. */
export function decodeOutput(frame: Uint8Array): OutputFrame {
  checkBinary(frame, FrameKind.Output, OUTPUT_HEADER_BYTES);
  const dv = view(frame);
  const offset = dv.getUint32(3) * 2 ** 32 + dv.getUint32(7);
  if (offset > Number.MAX_SAFE_INTEGER) throw protocolError('output offset out of range');
  return { terminal: dv.getUint16(1), offset, data: frame.subarray(OUTPUT_HEADER_BYTES) };
}

/** Decodes an input frame, throwing a `protocol` {@link PlaygroundError} if it is malformed. */
export function decodeInput(frame: Uint8Array): InputFrame {
  checkBinary(frame, FrameKind.Input, INPUT_HEADER_BYTES);
  return { terminal: view(frame).getUint16(1), data: frame.subarray(INPUT_HEADER_BYTES) };
}

/** Encodes bytes of forwarded connection `channel`. */
export function encodeTunnel(channel: number, data: Uint8Array): Uint8Array {
  return idFrame(FrameKind.Tunnel, TUNNEL_HEADER_BYTES, channel, data);
}

/** Decodes a tunnel frame, throwing a `protocol` {@link PlaygroundError} if it is malformed. */
export function decodeTunnel(frame: Uint8Array): { channel: number; data: Uint8Array } {
  checkBinary(frame, FrameKind.Tunnel, TUNNEL_HEADER_BYTES);
  return { channel: view(frame).getUint16(1), data: frame.subarray(TUNNEL_HEADER_BYTES) };
}

/** The kind of a binary frame (its first byte), or undefined for an empty frame. */
export function frameKind(frame: Uint8Array): number | undefined {
  return frame[0];
}

/** Encodes a control message as the text of a WebSocket text frame. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

function decodeWith<T extends v.GenericSchema>(schema: T, text: string): v.InferOutput<T> {
  if (text.length > MAX_FRAME_BYTES) throw protocolError(`message of ${text.length} characters exceeds ${MAX_FRAME_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw protocolError('control message is not valid JSON');
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') || 'message';
    throw protocolError(`invalid control message: ${path}: ${issue.message}`);
  }
  return result.output;
}

/** Decodes and validates a control message from a client. */
export function decodeClientMessage(text: string): ClientMessage {
  return decodeWith(clientSchema, text);
}

/** Decodes and validates a control message from a server. */
export function decodeServerMessage(text: string): ServerMessage {
  return decodeWith(serverSchema, text);
}
