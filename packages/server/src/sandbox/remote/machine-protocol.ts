/**
 * The machine protocol: a {@link Machine} over one WebSocket, between a driver (the client) and
 * the agent that runs beside the machine's processes (a pod, a VM). Control messages are JSON text
 * frames validated here; bytes of shells and streams travel in the SDK's tunnel frames (1-byte
 * kind, 2-byte channel), so there is one binary codec. docs/drivers.md describes it.
 */
import * as v from 'valibot';
import { PlaygroundError } from '@ix-playground/sdk/protocol';
import { ErrorCode } from '../../errors.js';

/** The WebSocket subprotocol of this version; an agent refuses others. */
export const MACHINE_PROTOCOL = 'ix-machine.v1';

const channel = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff));
const id = v.pipe(v.number(), v.integer(), v.minValue(0));
const size = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000));
const execResult = v.object({ code: v.nullable(v.number()), output: v.string(), timedOut: v.boolean(), durationMs: v.number() });
const usage = v.object({ memoryBytes: v.number(), memoryPeakBytes: v.number(), processes: v.number(), oomKills: v.number() });
const file = v.object({ path: v.string(), content: v.string(), mode: v.optional(v.string()) });

/** What a driver asks of an agent. Requests with an `id` are answered by a `result` or `error` of that id. */
const requestSchema = v.variant('op', [
  /** Writes the manifest's files into the home (before the first shell). */
  v.object({ op: v.literal('seed'), id, files: v.array(file) }),
  /** Unpacks the tar that the client streams on `channel` (ended by `end`) into the home. */
  v.object({ op: v.literal('restore'), id, channel }),
  v.object({ op: v.literal('exec'), id, script: v.string(), timeoutMs: v.pipe(v.number(), v.minValue(1)) }),
  v.object({ op: v.literal('usage'), id }),
  /** A login shell on `channel`: its output comes back on it, then `exit`. */
  v.object({ op: v.literal('shell'), channel, cols: size, rows: size }),
  v.object({ op: v.literal('resize'), channel, cols: size, rows: size }),
  v.object({ op: v.literal('pause'), channel }),
  v.object({ op: v.literal('resume'), channel }),
  /** Kills a shell, or closes a stream. */
  v.object({ op: v.literal('close'), channel }),
  /** A TCP connection to `port` inside the machine on `channel`. */
  v.object({ op: v.literal('connect'), channel, port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)) }),
  /** The machine's files as a tar on `channel`, ended by `end`. */
  v.object({ op: v.literal('export'), channel }),
  /** The client's stream on `channel` is complete. */
  v.object({ op: v.literal('end'), channel }),
  /** Tell the client, with `changed`, when files in the home change. */
  v.object({ op: v.literal('watch') }),
]);

/** What an agent says. */
const replySchema = v.variant('op', [
  /** The agent is ready for requests; `home` is the learner's home inside. */
  v.object({ op: v.literal('hello'), name: v.string(), home: v.string(), features: v.array(v.string()) }),
  v.object({ op: v.literal('result'), id, exec: v.optional(execResult), usage: v.optional(usage) }),
  /** A request failed: `id` for requests, `channel` for shells and streams. */
  v.object({ op: v.literal('error'), id: v.optional(id), channel: v.optional(channel), code: v.string(), message: v.string() }),
  /** A shell or stream on `channel` is open. */
  v.object({ op: v.literal('opened'), channel }),
  /** The shell on `channel` exited, after every byte of its output was sent. */
  v.object({ op: v.literal('exit'), channel, code: v.nullable(v.number()) }),
  /** The stream on `channel` is complete (export done, or the connection inside closed). */
  v.object({ op: v.literal('end'), channel }),
  v.object({ op: v.literal('changed') }),
]);

/** A request from a driver to an agent. */
export type MachineRequest = v.InferOutput<typeof requestSchema>;
/** A message from an agent to a driver. */
export type MachineReply = v.InferOutput<typeof replySchema>;

function decode<T>(schema: v.GenericSchema<unknown, T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PlaygroundError(ErrorCode.Protocol, `${what} is not JSON`);
  }
  const result = v.safeParse(schema, value);
  if (!result.success) throw new PlaygroundError(ErrorCode.Protocol, `bad ${what}: ${result.issues[0]?.message ?? 'invalid'}`);
  return result.output;
}

/** Decodes and validates a request (agent side); throws a `protocol` error. */
export function decodeMachineRequest(text: string): MachineRequest {
  return decode(requestSchema, text, 'machine request');
}

/** Decodes and validates a reply (driver side); throws a `protocol` error. */
export function decodeMachineReply(text: string): MachineReply {
  return decode(replySchema, text, 'machine reply');
}

/** What an agent can do beyond the contract's required parts. */
export const MachineFeature = { Connect: 'connect', Export: 'export', Usage: 'usage', Watch: 'watch' } as const;
