import type { Duplex, Readable } from 'node:stream';
import { SandboxError } from '../errors.js';
import type { ImageSpec } from '../manifest/manifest-schema.js';
import type { Pty } from './pty.js';

/** One machine of a session: its name, files to seed, and the limits it runs under. */
export interface MachineSpec {
  /** The machine's name in the session (terminals and checks name it). */
  name: string;
  /** Host name shown in the prompt. */
  hostname: string;
  /** Files seeded into the learner's home. */
  files: { path: string; content: string; mode?: string | undefined }[];
  /** Resource limits (bytes, processes, CPU weight; see docs/manifest.md). */
  limits: { memory: number; pids: number; cpu: number; disk: number; network: boolean };
  /** Its root filesystem; without one, the host's system, read-only (the bwrap driver). */
  image?: ImageSpec;
  /**
   * A tar stream of saved files (what {@link Machine.exportFiles} gave) to start from instead of
   * `files`. The driver reads it to the end or not at all; the session destroys it afterwards.
   */
  restore?: Readable | undefined;
}

/** What a sandbox is made of: one or more machines. */
export interface SandboxSpec {
  /** Used in folder names and logs. */
  sessionId: string;
  /** The machines, first one first (terminals and checks that name none run there). */
  machines: MachineSpec[];
}

/** The result of running a script on a machine. */
export interface ExecResult {
  /** Exit code, or null if killed. */
  code: number | null;
  /** Combined stdout and stderr, truncated to a bounded size. */
  output: string;
  /** True if the script was killed at its timeout. */
  timedOut: boolean;
  /** Wall time in ms. */
  durationMs: number;
}

/** What a machine uses now. */
export interface SandboxUsage {
  /** Bytes of memory of all its processes and RAM-backed files. */
  memoryBytes: number;
  /** The most bytes of memory it has used so far (0 if unknown). */
  memoryPeakBytes: number;
  /** Processes and threads. */
  processes: number;
  /** Processes the kernel killed for going over the memory limit, so far. */
  oomKills: number;
}

/** What a machine uses while it can tell nothing (or nothing yet). */
export const NO_USAGE: Readonly<SandboxUsage> = Object.freeze({ memoryBytes: 0, memoryPeakBytes: 0, processes: 0, oomKills: 0 });

/** What `exec` answers on a machine that is gone (its session is ending). */
export function goneResult(): ExecResult {
  return { code: null, output: 'the machine is gone', timedOut: false, durationMs: 0 };
}

/** The error of a shell asked of a machine that is gone (its session is ending). */
export function goneError(): SandboxError {
  return new SandboxError('the machine is gone');
}

/**
 * One isolated machine: a home folder, processes, a network namespace. It may be on this host
 * or across a network (a pod, a microVM), so everything that can wait is asynchronous.
 */
export interface Machine {
  /** Its name in the session. */
  readonly name: string;
  /** The learner's home inside the machine. */
  readonly home: string;
  /**
   * Starts an interactive login shell on a new terminal. Rejects with a `PlaygroundError` the
   * page is shown (`sandbox`, or `unavailable` when the host is out of resources for now).
   */
  spawnShell(size: { cols: number; rows: number }): Promise<Pty>;
  /**
   * Runs a script as the learner. The timeout is the driver's promise: at `timeoutMs` the script
   * and everything it started are killed, however the driver reaches them, and it resolves with
   * `timedOut`. Output printed before the exit is all in `output` (bounded).
   */
  exec(script: string, timeoutMs: number): Promise<ExecResult>;
  /** What the machine uses now, where the driver can tell (kernel-enforced limits). */
  usage?(): Promise<SandboxUsage>;
  /** A TCP connection to a port inside the machine (web previews), where the driver can make one. */
  connect?(port: number): Promise<Duplex>;
  /** A tar of the files the learner changed (home, or the machine's writable layer), for saving. */
  exportFiles?(): Promise<Readable>;
  /**
   * Calls `onChange` when files in the learner's home change (best effort: the drivers that can
   * watch do, so checks follow file changes without a timer); returns a function that stops watching.
   */
  watchFiles?(onChange: () => void): () => void;
}

/** A session's machines, made and torn down together. */
export interface Sandbox {
  /** The machines by name, in the order of the spec. */
  readonly machines: ReadonlyMap<string, Machine>;
  /** Kills every process of every machine and deletes their files. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Makes sandboxes. A driver is a folder under sandbox/ that implements this and a line in
 * drivers.ts that registers it by name (`IX_SANDBOX=<name>`); docs/drivers.md says what it must do,
 * and testing/driver-contract.ts is the test suite every driver passes.
 */
export interface SandboxDriver {
  /** Driver name (`bwrap`, `host`, …). */
  readonly name: string;
  /**
   * Whether this driver can run a machine of this image (undefined: the host's own system,
   * read-only). The server picks, per playground, a driver that runs all of its machines.
   */
  supportsImage(image: ImageSpec | undefined): boolean;
  /**
   * Gets images ready ahead of sessions (builds, pulls), so the first learner rarely waits; a
   * session of an image not prepared yet waits for it in `create`. Rejects with what went wrong.
   */
  prepare?(images: readonly ImageSpec[]): Promise<void>;
  /** Creates the machines of a spec and seeds their files (the session runs the init script). */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** One line for the startup log: which limits the kernel enforces on this host, and which not. */
  describeLimits?(): Promise<string>;
  /** Releases what the driver holds (after every sandbox is disposed). */
  close?(): Promise<void>;
}

/** The most output of a check or init script that is kept. */
export const MAX_EXEC_OUTPUT = 64 * 1024;

/** The environment every sandboxed shell starts with; nothing of the server's leaks in. */
export function learnerEnv(home: string, user: string): Record<string, string> {
  return {
    HOME: home,
    USER: user,
    LOGNAME: user,
    SHELL: '/bin/bash',
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin',
  };
}

/** A sandbox of one machine, for drivers that make one machine per session. */
export function singleMachine<M extends Machine & { dispose(): Promise<void> }>(machine: M): Sandbox {
  return { machines: new Map([[machine.name, machine]]), dispose: () => machine.dispose() };
}
