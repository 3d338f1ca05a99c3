import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CloseCode,
  END_REASON_CLOSE_CODES,
  MAX_TERMINALS,
  ErrorCode,
  MAX_FRAME_BYTES,
  PROTOCOL,
  PlaygroundError,
  decodeClientMessage,
  decodeInput,
  decodeTunnel,
  frameKind,
  FrameKind,
  encodeMessage,
  type AttachMode,
  type ClientMessage,
  type PreviewInfo,
  type ServerMessage,
} from '@ix-playground/sdk/protocol';
import { asPlaygroundError } from '../errors.js';
import { ProxyTrust } from '../http/client-address.js';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import { ClientStream } from './client-stream.js';
import { ConnectionCounter } from '../http/connection-counter.js';
import { RateLimiter } from './rate-limiter.js';
import type { SnapshotStore } from '../session/snapshot-store.js';
import { SessionProxy, type RemoteSessions } from './session-proxy.js';
import { Tunnels } from './tunnels.js';
import type { OriginPolicy } from '../http/origin-policy.js';
import type { PlaygroundSession } from '../session/playground-session.js';
import type { SessionManager } from '../session/session-manager.js';
import type { Terminal } from '../terminal/terminal.js';

/** Frames per second per connection (keystrokes, acks, resizes, pings) before the server stops reading it for a while. */
const MESSAGE_RATE = 200;
/** A terminal follows at most one client resize per this period (and the last one after it). */
const RESIZE_SETTLE_MS = 50;

/** Limits the gateway applies to connections. */
export interface GatewayLimits {
  /** WebSockets that have not attached yet, in total (0: no cap). */
  maxUnattached: number;
  /** WebSockets that have not attached yet, per client address (0: no cap). */
  maxUnattachedPerClient: number;
  /** Inbound bytes per second per connection; past it the server stops reading for a while. */
  inputRate: number;
  /** Inbound frames per second per connection (default 200; twice that may come at once). */
  messageRate?: number;
  /** How long a new connection has to send `attach` before it is dropped (default 10 s). */
  attachTimeoutMs?: number;
  /** Reverse proxies whose forwarding headers name the client (default: none). */
  proxies?: ProxyTrust;
}

/** What the gateway needs of web previews: a URL for one port of one machine of a session. */
export interface PreviewGrants {
  /** The preview of `port` on `machine` (the same every time for one session). */
  grant(session: PlaygroundSession, machine: string, port: number, title?: string): PreviewInfo;
}
/** Server-side WebSocket ping period; a client that has not answered the previous ping is dropped (dead within 15-30 s). */
const HEARTBEAT_MS = 15_000;

/** One socket attached to one session. */
interface Attachment {
  session: PlaygroundSession;
  mode: AttachMode;
  /** Output streams to this client, by terminal id. */
  streams: Map<number, ClientStream>;
  /** Per terminal, the settle period after a resize and the size that came during it. */
  resizes: Map<number, { size?: { cols: number; rows: number }; timer: ReturnType<typeof setTimeout> }>;
  /** Everything the attachment holds: subscriptions, streams, timers. */
  held: DisposableStore;
  /** The client's forwarded connections. */
  tunnels: Tunnels;
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
  #limits: GatewayLimits;
  #previews: PreviewGrants | undefined;
  #snapshots: SnapshotStore | undefined;
  #remote: RemoteSessions | undefined;
  #unattached: ConnectionCounter;
  #heartbeat: ReturnType<typeof setInterval>;
  #alive = new WeakMap<WebSocket, boolean>();
  /** Connections carried to a session that lives in its pod (their session outlives this server). */
  #proxied = new WeakSet<WebSocket>();

  /**
   * `previews`: where web previews come from (none: previews are off); `snapshots`: where
   * playgrounds are saved (none: no saving); `remote`: where sessions this process does not hold
   * live (their pods), for attachments to be carried there.
   */
  constructor(
    sessions: SessionManager,
    origins: OriginPolicy,
    limits: GatewayLimits,
    previews?: PreviewGrants,
    snapshots?: SnapshotStore,
    remote?: RemoteSessions,
  ) {
    this.#previews = previews;
    this.#snapshots = snapshots;
    this.#remote = remote;
    this.#sessions = sessions;
    this.#origins = origins;
    this.#limits = limits;
    this.#unattached = new ConnectionCounter(limits.maxUnattached, limits.maxUnattachedPerClient);
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
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!offered.includes(PROTOCOL)) {
      refuse(socket, 400, `Bad Request: use the WebSocket subprotocol ${PROTOCOL}`);
      return;
    }
    // Every socket that has not attached yet holds a descriptor for nothing: cap them, per client and in all.
    const client = this.#limits.proxies?.clientOf(req) ?? req.socket.remoteAddress ?? 'unknown';
    if (!this.#unattached.tryAdd(client)) {
      refuse(socket, 429, 'Too Many Requests: too many connections waiting to attach');
      return;
    }
    let counted = true;
    const uncount = () => {
      if (counted) this.#unattached.remove(client);
      counted = false;
    };
    socket.once('close', uncount);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connection(ws, uncount));
  }

  /** Closes every socket with the shutdown code. */
  close(): void {
    clearInterval(this.#heartbeat);
    // A page carried to its session's pod resumes through another replica (1012: service restart); elsewhere the session ends with this server.
    for (const ws of this.#wss.clients) {
      if (this.#proxied.has(ws)) ws.close(1012, 'gateway restarting: resume through another');
      else ws.close(CloseCode.Shutdown, 'server shutdown');
    }
    this.#wss.close();
  }

  #connection(ws: WebSocket, attachedOrGone: () => void): void {
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
    const attachTimer = setTimeout(() => {
      send({ type: 'error', code: ErrorCode.Protocol, message: 'no attach message in time' });
      ws.terminate(); // destroyed, not closed politely: a client that never attaches holds nothing longer
    }, this.#limits.attachTimeoutMs ?? 10_000);
    const bytesIn = new RateLimiter(this.#limits.inputRate, this.#limits.inputRate);
    const messageRate = this.#limits.messageRate ?? MESSAGE_RATE;
    const messagesIn = new RateLimiter(messageRate, messageRate * 2);
    let throttled: ReturnType<typeof setTimeout> | undefined;
    let proxy: SessionProxy | undefined;

    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const bytes = toBytes(raw);
      // Past the input rate, stop reading this socket until the debt is paid off: TCP pushes back
      // on the client, nothing is dropped, and nobody else waits.
      bytesIn.take(bytes.byteLength);
      messagesIn.take(1);
      const wait = Math.max(bytesIn.delayMs, messagesIn.delayMs);
      if (wait > 0 && !throttled) {
        ws.pause();
        throttled = setTimeout(() => {
          throttled = undefined;
          ws.resume();
        }, wait);
      }
      if (proxy) return proxy.fromClient(raw, isBinary);
      try {
        if (isBinary) {
          if (!attached) throw new PlaygroundError(ErrorCode.Protocol, 'attach first');
          if (attached.mode === 'ro') {
            send({ type: 'error', code: ErrorCode.ReadOnly, message: 'this client is attached read-only; input refused' });
            return;
          }
          if (frameKind(bytes) === FrameKind.Tunnel) {
            const tunnel = decodeTunnel(bytes);
            attached.tunnels.data(tunnel.channel, tunnel.data);
            return;
          }
          const frame = decodeInput(bytes);
          attached.session.input(frame.terminal, frame.data);
          return;
        }
        const message = decodeClientMessage(bytes.toString('utf8'));
        if (message.type === 'attach') {
          if (attached) throw new PlaygroundError(ErrorCode.Protocol, 'already attached');
          clearTimeout(attachTimer);
          if (this.#remote && !this.#sessions.get(message.session) && !this.#sessions.endedReason(message.session)) {
            // Not a session of this process: it lives in its pod; carry the connection there.
            const remote = this.#remote;
            proxy = new SessionProxy(ws, bytes.toString('utf8'), () => remote.locate(message.session), fail);
            this.#proxied.add(ws);
            attachedOrGone();
            return;
          }
          attached = this.#attach(ws, message, send, fail);
          if (attached) attachedOrGone();
          return;
        }
        if (message.type === 'ping') return send({ type: 'pong', t: message.t });
        if (message.type === 'pong') return;
        if (!attached) throw new PlaygroundError(ErrorCode.Protocol, 'attach first');
        this.#control(attached, message, send);
      } catch (error) {
        const err = asPlaygroundError(error, ErrorCode.Internal, String(error));
        fail(err.code === ErrorCode.Protocol ? CloseCode.ProtocolError : CloseCode.Internal, err);
      }
    });
    ws.on('close', () => {
      clearTimeout(attachTimer);
      clearTimeout(throttled);
      proxy?.close();
      attachedOrGone();
      attached?.held.dispose();
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
    // A session that ended a moment ago (it expired, or was closed for the reader's newer one): say why.
    const ended = session?.endReason ?? this.#sessions.endedReason(message.session);
    if (ended && (!session || session.verifyToken(message.token))) {
      send({ type: 'ended', reason: ended });
      ws.close(END_REASON_CLOSE_CODES[ended], `session ${ended}`);
      return undefined;
    }
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
      tasks: session.tasks,
      ...(session.machines.length > 1 ? { machines: session.machines } : {}),
      ...(this.#previews
        ? { previews: session.manifest.ports.map((p) => this.#previews!.grant(session, p.machine ?? session.machines[0] ?? '', p.port, p.title)) }
        : {}),
      save: mode === 'rw' && !!this.#snapshots && session.canSave,
      preview: mode === 'rw' && !!this.#previews,
    });
    const held = new DisposableStore();
    const streams = new Map<number, ClientStream>();
    const stream = (terminal: Terminal) => {
      const out = new ClientStream(ws, terminal, { flowControl: mode === 'rw' });
      streams.set(terminal.id, out);
      held.add(out);
      void out.start(resume.get(terminal.id) ?? 0).then(() => {
        if (terminal.exitCode !== undefined) send({ type: 'exit', terminal: terminal.id, code: terminal.exitCode });
      });
    };
    for (const terminal of session.terminals.values()) stream(terminal);
    held.add(
      session.on('terminal', (t) => {
        send({ type: 'terminal', terminal: session.describe(t) });
        stream(t);
      }),
      session.on('exit', (terminal, code) => send({ type: 'exit', terminal, code })),
      session.on('task', (task) => {
        send({ type: 'task', task });
        send({ type: 'progress', ...session.progress });
      }),
      session.on('tasks', (tasks) => {
        send({ type: 'tasks', tasks });
        send({ type: 'progress', ...session.progress });
      }),
      session.on('notice', (level, message) => send({ type: 'notice', level, message: message.slice(0, 4000) })),
      session.on('ended', (reason) => {
        send({ type: 'ended', reason });
        ws.close(END_REASON_CLOSE_CODES[reason], `session ${reason}`);
      }),
    );
    send({ type: 'progress', ...session.progress });
    session.attachClient();
    const resizes: Attachment['resizes'] = new Map();
    held.add(() => {
      for (const { timer } of resizes.values()) clearTimeout(timer);
    });
    held.add(() => session.detachClient());
    const tunnels = held.add(new Tunnels(ws, session, send));
    return { session, mode, streams, resizes, held, tunnels };
  }

  #control(attached: Attachment, message: ClientMessage, send: (m: ServerMessage) => void): void {
    const { session, mode } = attached;
    const refused = mode === 'rw' ? undefined : READ_ONLY_REFUSALS[message.type];
    if (refused) {
      const text = `read-only clients cannot ${refused}`;
      if (message.type === 'tunnel-open') return send({ type: 'tunnel', channel: message.channel, open: false, error: text });
      return send({ type: 'error', code: ErrorCode.ReadOnly, message: text });
    }
    const sendError = (fallback: string) => (error: unknown) => {
      const err = asPlaygroundError(error, ErrorCode.Internal, fallback);
      send({ type: 'error', code: err.code, message: err.message });
    };
    switch (message.type) {
      case 'resize': {
        if (mode !== 'rw') return;
        // A dragged window sends many sizes: follow at most one per settle period, and the last one.
        const { terminal, cols, rows } = message;
        const pending = attached.resizes.get(terminal);
        if (pending) {
          pending.size = { cols, rows };
          return;
        }
        session.resize(terminal, cols, rows);
        const entry: { size?: { cols: number; rows: number }; timer: ReturnType<typeof setTimeout> } = {
          timer: setTimeout(() => {
            attached.resizes.delete(terminal);
            if (entry.size) session.resize(terminal, entry.size.cols, entry.size.rows);
          }, RESIZE_SETTLE_MS),
        };
        attached.resizes.set(terminal, entry);
        break;
      }
      case 'ack':
        attached.streams.get(message.terminal)?.ack(message.offset);
        break;
      case 'run-checks':
        void session.runChecks({ announce: true });
        break;
      case 'open':
        if (session.terminals.size + session.openingTerminals >= MAX_TERMINALS)
          return send({ type: 'error', code: ErrorCode.Limit, message: `at most ${MAX_TERMINALS} terminals per session` });
        session
          .openTerminal(message.name ?? `${message.machine ?? 'shell'} ${session.terminals.size + session.openingTerminals + 1}`, message.machine)
          .catch(sendError('cannot open a terminal'));
        break;
      case 'save': {
        if (!this.#snapshots) return send({ type: 'error', code: ErrorCode.BadRequest, message: 'this server does not save playgrounds' });
        const stop = message.stop === true;
        session
          .save(this.#snapshots)
          .then((snapshot) => {
            send({ type: 'saved', snapshot });
            if (stop) void session.end('stopped');
          })
          .catch(sendError('cannot save the playground'));
        break;
      }
      case 'tunnel-open':
        attached.tunnels.open(message.channel, message.port, message.machine);
        break;
      case 'tunnel-close':
        attached.tunnels.close(message.channel);
        break;
      case 'preview': {
        if (!this.#previews) return send({ type: 'error', code: ErrorCode.BadRequest, message: 'this server has web previews turned off' });
        const machine = message.machine ?? session.machines[0] ?? '';
        if (!session.machines.includes(machine))
          return send({ type: 'error', code: ErrorCode.BadRequest, message: `this playground has no machine named "${machine}"` });
        const declared = session.manifest.ports.find((p) => p.port === message.port && (p.machine ?? session.machines[0]) === machine);
        send({ type: 'preview', preview: this.#previews.grant(session, machine, message.port, declared?.title) });
        break;
      }
      default:
        break;
    }
  }
}

/** What read-only clients (spectators) may not do, by control message: the rest of "read-only clients cannot …". */
const READ_ONLY_REFUSALS: Partial<Record<ClientMessage['type'], string>> = {
  'run-checks': 'run the checks',
  open: 'open terminals',
  save: 'save the playground',
  'tunnel-open': 'forward ports',
  preview: 'open previews',
};

function toBytes(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw as ArrayBuffer);
}
