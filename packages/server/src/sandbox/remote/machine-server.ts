import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { decodeTunnel, encodeTunnel, frameKind, FrameKind } from '@ix-playground/sdk/protocol';
import { asPlaygroundError, ErrorCode, PlaygroundError } from '../../errors.js';
import type { Pty } from '../pty.js';
import type { Machine, MachineSpec } from '../sandbox.js';
import { decodeMachineRequest, MachineFeature, type MachineReply, type MachineRequest } from './machine-protocol.js';

/** A machine an agent serves: the contract's machine, plus what a driver's `create` does to it. */
export interface ServedMachine extends Machine {
  /** Writes the manifest's files into the home. */
  seed(files: MachineSpec['files']): Promise<void>;
  /** Unpacks a tar of saved files into the home. */
  restore(tar: Readable): Promise<void>;
}

/** An open shell, stream or upload of one connection. */
type Channel = { kind: 'shell'; pty: Pty } | { kind: 'stream'; stream: Duplex | Readable } | { kind: 'upload'; stream: PassThrough };

/**
 * The agent side of the machine protocol: serves one {@link ServedMachine} to each connection
 * given to {@link handle}. What a connection opened (shells, streams) ends with it.
 */
export class MachineServer {
  readonly #machine: ServedMachine;

  constructor(machine: ServedMachine) {
    this.#machine = machine;
  }

  /** Serves one client on an open WebSocket. */
  handle(ws: WebSocket): void {
    const machine = this.#machine;
    const channels = new Map<number, Channel>();
    let unwatch: (() => void) | undefined;
    const send = (reply: MachineReply) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    };
    const sendBytes = (channel: number, data: Uint8Array) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeTunnel(channel, data));
    };
    const fail = (where: { id?: number; channel?: number }, error: unknown) => {
      const err = asPlaygroundError(error, ErrorCode.Sandbox, (error as Error)?.message ?? String(error));
      send({ op: 'error', ...where, code: err.code, message: err.message });
    };
    const features = [
      ...(machine.connect ? [MachineFeature.Connect] : []),
      ...(machine.exportFiles ? [MachineFeature.Export] : []),
      ...(machine.usage ? [MachineFeature.Usage] : []),
      ...(machine.watchFiles ? [MachineFeature.Watch] : []),
    ];
    send({ op: 'hello', name: machine.name, home: machine.home, features });

    /** Sends a readable's bytes on `channel`, then `end` (or `error`). */
    const stream = (channel: number, source: Duplex | Readable) => {
      channels.set(channel, { kind: 'stream', stream: source });
      source.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length; at += 64 * 1024) sendBytes(channel, chunk.subarray(at, at + 64 * 1024));
      });
      source.on('end', () => {
        if (channels.delete(channel)) send({ op: 'end', channel });
      });
      source.on('error', (error) => {
        if (channels.delete(channel)) fail({ channel }, error);
      });
    };

    const request = async (message: MachineRequest): Promise<void> => {
      switch (message.op) {
        case 'seed':
          await machine.seed(message.files);
          return send({ op: 'result', id: message.id });
        case 'restore': {
          const upload = new PassThrough();
          channels.set(message.channel, { kind: 'upload', stream: upload });
          await machine.restore(upload);
          return send({ op: 'result', id: message.id });
        }
        case 'exec':
          return send({ op: 'result', id: message.id, exec: await machine.exec(message.script, message.timeoutMs) });
        case 'usage':
          return send({ op: 'result', id: message.id, ...(machine.usage ? { usage: await machine.usage() } : {}) });
        case 'shell': {
          const pty = await machine.spawnShell({ cols: message.cols, rows: message.rows });
          channels.set(message.channel, { kind: 'shell', pty });
          send({ op: 'opened', channel: message.channel });
          pty.onData((data) => sendBytes(message.channel, data));
          pty.onExit((code) => {
            channels.delete(message.channel);
            send({ op: 'exit', channel: message.channel, code });
          });
          return;
        }
        case 'resize':
        case 'pause':
        case 'resume': {
          const open = channels.get(message.channel);
          if (open?.kind !== 'shell') return;
          if (message.op === 'resize') open.pty.resize(message.cols, message.rows);
          else if (message.op === 'pause') open.pty.pause();
          else open.pty.resume();
          return;
        }
        case 'close':
          return close(message.channel);
        case 'connect': {
          if (!machine.connect) throw new PlaygroundError(ErrorCode.Sandbox, `the ${machine.name} machine cannot be reached on its ports`);
          const socket = await machine.connect(message.port);
          stream(message.channel, socket);
          return send({ op: 'opened', channel: message.channel });
        }
        case 'export': {
          if (!machine.exportFiles) throw new PlaygroundError(ErrorCode.Sandbox, `the ${machine.name} machine cannot be saved`);
          const tar = await machine.exportFiles();
          send({ op: 'opened', channel: message.channel });
          return stream(message.channel, tar);
        }
        case 'end': {
          const open = channels.get(message.channel);
          if (open?.kind === 'upload' || open?.kind === 'stream') (open.stream as Duplex).end?.();
          if (open?.kind === 'upload') channels.delete(message.channel);
          return;
        }
        case 'watch':
          unwatch ??= machine.watchFiles?.(() => send({ op: 'changed' }));
          return;
      }
    };

    const close = (channel: number) => {
      const open = channels.get(channel);
      channels.delete(channel);
      if (open?.kind === 'shell') open.pty.kill();
      else open?.stream.destroy();
    };

    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
      if (isBinary) {
        if (frameKind(bytes) !== FrameKind.Tunnel) return ws.close(4400, 'unexpected binary frame');
        const { channel, data } = decodeTunnel(bytes);
        const open = channels.get(channel);
        if (open?.kind === 'shell') open.pty.write(data);
        else if (open?.kind === 'upload' || open?.kind === 'stream') (open.stream as Duplex).write?.(data);
        return;
      }
      let message: MachineRequest;
      try {
        message = decodeMachineRequest(bytes.toString('utf8'));
      } catch (error) {
        fail({}, error);
        return ws.close(4400, 'protocol error');
      }
      const where = 'id' in message ? { id: message.id } : 'channel' in message ? { channel: message.channel } : {};
      request(message).catch((error: unknown) => {
        if ('channel' in message) channels.delete(message.channel);
        fail(where, error);
      });
    });
    ws.on('close', () => {
      unwatch?.();
      for (const channel of [...channels.keys()]) close(channel);
    });
  }
}
