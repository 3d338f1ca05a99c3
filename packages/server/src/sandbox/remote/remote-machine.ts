import { Duplex, PassThrough, type Readable } from 'node:stream';
import WebSocket, { type RawData } from 'ws';
import { decodeTunnel, encodeTunnel } from '@ix-playground/sdk/protocol';
import { ErrorCode, PlaygroundError, SandboxError } from '../../errors.js';
import type { Pty } from '../pty.js';
import type { ExecResult, Machine, MachineSpec, SandboxUsage } from '../sandbox.js';
import { goneError, goneResult } from '../sandbox.js';
import { MACHINE_PROTOCOL, MachineFeature, decodeMachineReply, type MachineReply, type MachineRequest } from './machine-protocol.js';
import { RemotePty } from './remote-pty.js';

/** How long past a script's own timeout an answer may take before the agent counts as gone. */
const ANSWER_GRACE_MS = 10_000;

/** What waits for a reply on a channel (a shell or stream being opened, a stream being read). */
interface ChannelUser {
  opened?: (error?: PlaygroundError) => void;
  bytes?: (data: Uint8Array) => void;
  end?: () => void;
  exit?: (code: number | null) => void;
  fail?: (error: PlaygroundError) => void;
}

/**
 * A machine across a network: every call goes to the agent beside it over one WebSocket (the
 * machine protocol). When the connection is lost, shells exit, streams fail, and the machine
 * refuses further work with `sandbox` errors, which the session shows.
 */
export class RemoteMachine implements Machine {
  readonly name: string;
  readonly home: string;
  /** A TCP connection into the machine, where its agent can make one. */
  readonly connect?: (port: number) => Promise<Duplex>;
  /** A tar of the machine's files, where its agent can make one. */
  readonly exportFiles?: () => Promise<Readable>;
  /** What the machine uses, where its agent can tell. */
  readonly usage?: () => Promise<SandboxUsage>;
  /** File changes in the home, where its agent watches. */
  readonly watchFiles?: (onChange: () => void) => () => void;
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, (reply: Extract<MachineReply, { op: 'result' | 'error' }>) => void>();
  readonly #channels = new Map<number, ChannelUser>();
  readonly #watchers = new Set<() => void>();
  #nextId = 0;
  #nextChannel = 0;
  #lost: PlaygroundError | undefined;

  private constructor(ws: WebSocket, hello: Extract<MachineReply, { op: 'hello' }>) {
    this.#ws = ws;
    this.name = hello.name;
    this.home = hello.home;
    const has = (feature: string) => hello.features.includes(feature);
    if (has(MachineFeature.Connect)) this.connect = (port) => this.#connect(port);
    if (has(MachineFeature.Export)) this.exportFiles = () => this.#export();
    if (has(MachineFeature.Usage)) this.usage = () => this.#usage();
    if (has(MachineFeature.Watch)) this.watchFiles = (onChange) => this.#watch(onChange);
    ws.on('message', (raw: RawData, isBinary: boolean) => this.#receive(raw, isBinary));
    ws.on('close', (code, reason) => this.#lose(new SandboxError(`the ${this.name} machine's agent went away (${code}${reason.length ? `: ${reason}` : ''})`)));
    ws.on('error', () => {}); // 'close' follows and says it
  }

  /**
   * Connects to the agent at `url` (ws://host:port/…) with its `token`; resolves once the agent
   * has said hello, rejects with a `sandbox` error when it cannot be reached within `timeoutMs`.
   */
  static open(url: string, token: string, timeoutMs = 10_000): Promise<RemoteMachine> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, MACHINE_PROTOCOL, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs, maxPayload: 1 << 20 });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new SandboxError(`the machine's agent at ${url} did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      ws.once('message', (raw: RawData) => {
        clearTimeout(timer);
        try {
          const hello = decodeMachineReply(raw.toString());
          if (hello.op !== 'hello') throw new PlaygroundError(ErrorCode.Protocol, `expected hello, got ${hello.op}`);
          resolve(new RemoteMachine(ws, hello));
        } catch (error) {
          ws.terminate();
          reject(new SandboxError(`the machine's agent at ${url} spoke no machine protocol: ${(error as Error).message}`));
        }
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(new SandboxError(`cannot reach the machine's agent at ${url}: ${error.message}`));
      });
    });
  }

  /** Writes the manifest's files into the machine's home. */
  async seed(files: MachineSpec['files']): Promise<void> {
    await this.#request({ op: 'seed', id: this.#id(), files }, 60_000);
  }

  /** Unpacks a tar of saved files into the machine's home. */
  async restore(tar: Readable): Promise<void> {
    const channel = this.#channel();
    this.#channels.set(channel, {});
    const done = this.#request({ op: 'restore', id: this.#id(), channel }, 10 * 60_000);
    try {
      for await (const chunk of tar as AsyncIterable<Buffer>)
        for (let at = 0; at < chunk.length; at += 64 * 1024) this.#sendBytes(channel, chunk.subarray(at, at + 64 * 1024));
      this.#send({ op: 'end', channel });
    } catch (error) {
      this.#send({ op: 'close', channel });
      throw new SandboxError(`cannot restore the ${this.name} machine: ${(error as Error).message}`);
    } finally {
      this.#channels.delete(channel);
    }
    await done;
  }

  async spawnShell(size: { cols: number; rows: number }): Promise<Pty> {
    const channel = this.#channel();
    const pty = new RemotePty({
      write: (data) => this.#sendBytes(channel, data),
      resize: (cols, rows) => this.#send({ op: 'resize', channel, cols, rows }),
      pause: () => this.#send({ op: 'pause', channel }),
      resume: () => this.#send({ op: 'resume', channel }),
      kill: () => this.#send({ op: 'close', channel }),
    });
    await this.#open(
      channel,
      { op: 'shell', channel, ...size },
      { bytes: (data) => pty.push(data), exit: (code) => pty.exit(code), fail: () => pty.exit(null) },
    );
    return pty;
  }

  async exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.#lost) return goneResult();
    try {
      const reply = await this.#request({ op: 'exec', id: this.#id(), script, timeoutMs }, timeoutMs + ANSWER_GRACE_MS);
      return reply.exec ?? goneResult();
    } catch (error) {
      return { code: null, output: (error as Error).message, timedOut: error instanceof AnswerTimeout, durationMs: timeoutMs };
    }
  }

  async #connect(port: number): Promise<Duplex> {
    const channel = this.#channel();
    const socket = new Duplex({
      read: () => {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.#sendBytes(channel, chunk);
        callback();
      },
      final: (callback) => {
        this.#send({ op: 'end', channel });
        callback();
      },
      destroy: (error, callback) => {
        if (this.#channels.delete(channel)) this.#send({ op: 'close', channel });
        callback(error);
      },
    });
    await this.#open(
      channel,
      { op: 'connect', channel, port },
      {
        bytes: (data) => socket.push(data),
        // The connection inside closed: so does this one, once its last bytes are read (no half-open sockets).
        end: () => {
          socket.once('end', () => socket.destroy());
          socket.push(null);
        },
        fail: (error) => socket.destroy(error),
      },
    );
    return socket;
  }

  async #export(): Promise<Readable> {
    const channel = this.#channel();
    const tar = new PassThrough();
    await this.#open(channel, { op: 'export', channel }, { bytes: (data) => tar.write(data), end: () => tar.end(), fail: (error) => tar.destroy(error) });
    return tar;
  }

  async #usage(): Promise<SandboxUsage> {
    const reply = await this.#request({ op: 'usage', id: this.#id() }, ANSWER_GRACE_MS);
    return reply.usage ?? { memoryBytes: 0, memoryPeakBytes: 0, processes: 0, oomKills: 0 };
  }

  #watch(onChange: () => void): () => void {
    if (!this.#watchers.size) this.#send({ op: 'watch' });
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  /** Closes the connection: the agent ends what it opened for this client. */
  close(): void {
    this.#lose(goneError());
    this.#ws.close(1000);
  }

  #id(): number {
    return this.#nextId++;
  }

  #channel(): number {
    for (let i = 0; i < 0xffff; i++) {
      this.#nextChannel = (this.#nextChannel % 0xffff) + 1;
      if (!this.#channels.has(this.#nextChannel)) return this.#nextChannel;
    }
    throw new PlaygroundError(ErrorCode.Limit, `the ${this.name} machine has too many open channels`);
  }

  #send(request: MachineRequest): void {
    if (!this.#lost && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(request));
  }

  #sendBytes(channel: number, data: Uint8Array): void {
    if (!this.#lost && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(encodeTunnel(channel, data));
  }

  /** Sends a request with an id; resolves with its result, rejects with its error or when no answer comes in `answerMs`. */
  #request(request: Extract<MachineRequest, { id: number }>, answerMs: number): Promise<Extract<MachineReply, { op: 'result' }>> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(request.id);
        reject(new AnswerTimeout(`the ${this.name} machine did not answer within ${Math.round(answerMs / 1000)} s`));
      }, answerMs);
      this.#pending.set(request.id, (reply) => {
        clearTimeout(timer);
        this.#pending.delete(request.id);
        if (reply.op === 'result') resolve(reply);
        else reject(new PlaygroundError(reply.code as ErrorCode, reply.message));
      });
      this.#send(request);
    });
  }

  /** Opens a shell or stream on `channel`; resolves once the agent says it is open. */
  #open(channel: number, request: MachineRequest, user: ChannelUser): Promise<void> {
    if (this.#lost) return Promise.reject(goneError());
    return new Promise((resolve, reject) => {
      this.#channels.set(channel, {
        ...user,
        opened: (error) => {
          if (!error) return resolve();
          this.#channels.delete(channel);
          reject(error);
        },
      });
      this.#send(request);
    });
  }

  #receive(raw: RawData, isBinary: boolean): void {
    const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
    if (isBinary) {
      const { channel, data } = decodeTunnel(bytes);
      this.#channels.get(channel)?.bytes?.(data);
      return;
    }
    let reply: MachineReply;
    try {
      reply = decodeMachineReply(bytes.toString('utf8'));
    } catch (error) {
      this.#ws.close(4400, 'protocol error');
      this.#lose(error as PlaygroundError);
      return;
    }
    switch (reply.op) {
      case 'result':
        return this.#pending.get(reply.id)?.(reply);
      case 'error': {
        if (reply.id !== undefined) return this.#pending.get(reply.id)?.(reply);
        if (reply.channel === undefined) return;
        const user = this.#channels.get(reply.channel);
        const error = new PlaygroundError(reply.code as ErrorCode, reply.message);
        if (user?.opened) {
          const opened = user.opened;
          delete user.opened;
          return opened(error);
        }
        this.#channels.delete(reply.channel);
        return user?.fail?.(error);
      }
      case 'opened': {
        const user = this.#channels.get(reply.channel);
        const opened = user?.opened;
        if (user) delete user.opened;
        return opened?.();
      }
      case 'exit': {
        const user = this.#channels.get(reply.channel);
        this.#channels.delete(reply.channel);
        return user?.exit?.(reply.code);
      }
      case 'end': {
        const user = this.#channels.get(reply.channel);
        this.#channels.delete(reply.channel);
        return user?.end?.();
      }
      case 'changed':
        for (const watcher of this.#watchers) watcher();
        return;
      case 'hello':
        return;
    }
  }

  /** The connection is gone: everything waiting hears why, and later calls are refused. */
  #lose(error: PlaygroundError): void {
    if (this.#lost) return;
    this.#lost = error;
    for (const answer of [...this.#pending.values()]) answer({ op: 'error', code: error.code, message: error.message });
    for (const user of [...this.#channels.values()]) {
      if (user.opened) user.opened(error);
      else if (user.exit) user.exit(null);
      else user.fail?.(error);
    }
    this.#channels.clear();
    this.#watchers.clear();
  }
}

/** A request got no answer in time: the agent is there but stuck, or the network is. */
class AnswerTimeout extends SandboxError {}

/**
 * A machine of a spec, reached through its agent at `url`: connected, then its files seeded (or
 * its saved files restored). What a driver whose machines run agents (pods, VMs) does in `create`.
 */
export async function openMachine(url: string, token: string, spec: MachineSpec, timeoutMs?: number): Promise<RemoteMachine> {
  const machine = await RemoteMachine.open(url, token, timeoutMs);
  try {
    if (spec.restore) await machine.restore(spec.restore);
    else await machine.seed(spec.files);
  } catch (error) {
    machine.close();
    throw error;
  }
  return machine;
}
