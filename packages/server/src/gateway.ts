import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  MAX_FRAME_BYTES,
  PROTOCOL,
  PlaygroundError,
  decodeClientMessage,
  decodeInput,
  encodeMessage,
  type AttachMode,
  type ClientMessage,
  type ServerMessage,
} from '@ix-playground/sdk/protocol';
import { ClientStream } from './client-stream.js';
import type { OriginPolicy } from './origin-policy.js';
import type { Session } from './session.js';
import type { SessionManager } from './session-manager.js';
import type { Terminal } from './terminal.js';

/** How long a new connection has to send `attach`. */
const ATTACH_TIMEOUT_MS = 10_000;
/** Server-side WebSocket ping period; a client that has not answered the previous ping is dropped (dead within 15-30 s). */
const HEARTBEAT_MS = 15_000;

/** One socket attached to one session. */
interface Attachment {
  session: Session;
  mode: AttachMode;
  /** Output streams to this client, by terminal id. */
  streams: Map<number, ClientStream>;
  cleanup: () => void;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/**
 * The WebSocket gateway: checks the origin before upgrading, speaks docs/protocol.md, and
 * connects each socket to one session.
 */
export class Gateway {
  #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false) });
  #sessions: SessionManager;
  #origins: OriginPolicy;
  #heartbeat: ReturnType<typeof setInterval>;
  #alive = new WeakMap<WebSocket, boolean>();

  constructor(sessions: SessionManager, origins: OriginPolicy) {
    this.#sessions = sessions;
    this.#origins = origins;
    this.#heartbeat = setInterval(() => {
      for (const ws of this.#wss.clients) {
        if (this.#alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        this.#alive.set(ws, false);
        ws.ping();
      }
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Handles an HTTP upgrade request; refuses bad origins with 403 before anything is spawned. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.#origins.allows(req.headers.origin)) {
      refuse(socket, 403, 'Forbidden: origin not allowed');
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(PROTOCOL)) {
      refuse(socket, 400, `Bad Request: use the WebSocket subprotocol ${PROTOCOL}`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connection(ws));
  }

  /** Closes every socket with the shutdown code. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.close(CloseCode.Shutdown, 'server shutdown');
    this.#wss.close();
  }

  #connection(ws: WebSocket): void {
    this.#alive.set(ws, true);
    ws.on('pong', () => this.#alive.set(ws, true));
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message));
    };
    const fail = (code: number, error: PlaygroundError) => {
      send({ type: 'error', code: error.code, message: error.message });
      ws.close(code, error.message.slice(0, 120));
    };
    let attached: Attachment | undefined;
    const attachTimer = setTimeout(() => fail(CloseCode.ProtocolError, new PlaygroundError(ErrorCode.Protocol, 'no attach message in time')), ATTACH_TIMEOUT_MS);

    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const bytes = toBytes(raw);
      try {
        if (isBinary) {
          if (!attached) throw new PlaygroundError(ErrorCode.Protocol, 'attach first');
          const frame = decodeInput(bytes);
          if (attached.mode === 'ro') {
            send({ type: 'error', code: ErrorCode.ReadOnly, message: 'this client is attached read-only; input refused' });
            return;
          }
          attached.session.input(frame.terminal, frame.data);
          return;
        }
        const message = decodeClientMessage(bytes.toString('utf8'));
        if (message.type === 'attach') {
          if (attached) throw new PlaygroundError(ErrorCode.Protocol, 'already attached');
          clearTimeout(attachTimer);
          attached = this.#attach(ws, message, send, fail);
          return;
        }
        if (message.type === 'ping') return send({ type: 'pong', t: message.t });
        if (message.type === 'pong') return;
        if (!attached) throw new PlaygroundError(ErrorCode.Protocol, 'attach first');
        this.#control(attached, message, send);
      } catch (error) {
        const err = error instanceof PlaygroundError ? error : new PlaygroundError(ErrorCode.Internal, String(error));
        fail(err.code === ErrorCode.Protocol ? CloseCode.ProtocolError : CloseCode.Internal, err);
      }
    });
    ws.on('close', () => {
      clearTimeout(attachTimer);
      attached?.cleanup();
    });
    ws.on('error', () => ws.terminate());
  }

  #attach(
    ws: WebSocket,
    message: Extract<ClientMessage, { type: 'attach' }>,
    send: (m: ServerMessage) => void,
    fail: (code: number, e: PlaygroundError) => void,
  ): Attachment | undefined {
    const session = this.#sessions.get(message.session);
    if (!session || session.endReason) {
      fail(CloseCode.NotFound, new PlaygroundError(ErrorCode.SessionNotFound, 'no such session (it may have ended or expired)'));
      return undefined;
    }
    const granted = session.verifyToken(message.token);
    if (!granted) {
      fail(CloseCode.Unauthorized, new PlaygroundError(ErrorCode.Unauthorized, 'wrong session token'));
      return undefined;
    }
    // A spectator token only ever gives read-only access, whatever the client asks for.
    const mode: AttachMode = granted === 'ro' || message.mode === 'ro' ? 'ro' : 'rw';
    const resume = new Map((message.resume ?? []).map((r) => [r.terminal, r.offset]));
    send({
      type: 'welcome',
      protocol: PROTOCOL,
      session: session.id,
      mode,
      playground: { name: session.manifest.name, title: session.manifest.title },
      terminals: session.terminalInfo,
      tasks: session.runner.tasks,
    });
    const unsubscribe: (() => void)[] = [];
    const streams = new Map<number, ClientStream>();
    const stream = (terminal: Terminal) => {
      const out = new ClientStream(ws, terminal, { flowControl: mode === 'rw' });
      streams.set(terminal.id, out);
      unsubscribe.push(() => out.dispose());
      void out.start(resume.get(terminal.id) ?? 0).then(() => {
        if (terminal.exitCode !== undefined) send({ type: 'exit', terminal: terminal.id, code: terminal.exitCode });
      });
    };
    for (const terminal of session.terminals.values()) stream(terminal);
    unsubscribe.push(
      session.on('terminal', (t) => {
        send({ type: 'terminal', terminal: { id: t.id, name: t.name, cols: t.cols, rows: t.rows } });
        stream(t);
      }),
      session.on('exit', (terminal, code) => send({ type: 'exit', terminal, code })),
      session.on('task', (task) => {
        send({ type: 'task', task });
        send({ type: 'progress', ...session.runner.progress });
      }),
      session.on('tasks', (tasks) => {
        send({ type: 'tasks', tasks });
        send({ type: 'progress', ...session.runner.progress });
      }),
      session.on('notice', (level, message) => send({ type: 'notice', level, message: message.slice(0, 4000) })),
      session.on('ended', (reason) => {
        send({ type: 'ended', reason });
        const code = { exited: CloseCode.Ended, expired: CloseCode.Expired, shutdown: CloseCode.Shutdown, kicked: CloseCode.Kicked, error: CloseCode.Internal }[reason];
        ws.close(code, `session ${reason}`);
      }),
    );
    send({ type: 'progress', ...session.runner.progress });
    session.attachClient();
    return {
      session,
      mode,
      streams,
      cleanup: () => {
        for (const u of unsubscribe) u();
        session.detachClient();
      },
    };
  }

  #control(attached: Attachment, message: ClientMessage, send: (m: ServerMessage) => void): void {
    const { session, mode } = attached;
    switch (message.type) {
      case 'resize':
        if (mode === 'rw') session.terminals.get(message.terminal)?.resize(message.cols, message.rows);
        break;
      case 'ack':
        attached.streams.get(message.terminal)?.ack(message.offset);
        break;
      case 'run-checks':
        void session.runner.run({ announce: true });
        break;
      case 'open':
        if (mode !== 'rw') return send({ type: 'error', code: ErrorCode.ReadOnly, message: 'read-only clients cannot open terminals' });
        if (session.terminals.size >= 8) return send({ type: 'error', code: ErrorCode.Limit, message: 'at most 8 terminals per session' });
        session.openTerminal(message.name ?? `shell ${session.terminals.size + 1}`);
        break;
      default:
        break;
    }
  }
}

function toBytes(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw as ArrayBuffer);
}
