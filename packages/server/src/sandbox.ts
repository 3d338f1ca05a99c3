import type { IPty } from 'node-pty';

/** What a sandbox is made from: the manifest's files, init script and limits. */
export interface SandboxSpec {
  /** Used in directory names and logs. */
  sessionId: string;
  /** Host name shown in the prompt. */
  hostname: string;
  /** Files seeded into the learner's home. */
  files: { path: string; content: string; mode?: string | undefined }[];
  /** Shell script run once before the first prompt. */
  init?: string | undefined;
  /** Resource limits (bytes, processes, CPU weight; see docs/manifest.md). */
  limits: { memory: number; pids: number; cpu: number; disk: number; network: boolean };
}

/** The result of running a script in a sandbox. */
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

/** What a sandbox uses now. */
export interface SandboxUsage {
  /** Bytes of memory of all its processes and RAM-backed files. */
  memoryBytes: number;
  /** Processes and threads. */
  processes: number;
  /** Processes the kernel killed for going over the memory limit, so far. */
  oomKills: number;
}

/** One isolated machine: a home folder, processes, a network namespace. */
export interface Sandbox {
  /** The learner's home inside the sandbox. */
  readonly home: string;
  /** Starts an interactive shell on a new pty inside the sandbox. */
  spawnShell(size: { cols: number; rows: number }): IPty;
  /** Runs a script inside the sandbox as the learner, killed at `timeoutMs`. */
  exec(script: string, timeoutMs: number): Promise<ExecResult>;
  /** What the sandbox uses now, where the driver can tell (kernel-enforced limits). */
  usage?(): Promise<SandboxUsage>;
  /** Kills every process of the sandbox and deletes its files. Idempotent. */
  dispose(): Promise<void>;
}

/** Makes sandboxes. */
export interface SandboxDriver {
  /** Driver name (`bwrap`, `host`). */
  readonly name: string;
  /** Creates a sandbox and runs its init script. */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** One line for the startup log: which limits the kernel enforces on this host, and which not. */
  describeLimits?(): Promise<string>;
  /** Releases what the driver holds (after every sandbox is disposed). */
  close?(): Promise<void>;
}

/** The most output of a check or init script we keep. */
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
