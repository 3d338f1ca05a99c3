import { spawn, type ChildProcess } from 'node:child_process';
import { MAX_EXEC_OUTPUT, type ExecResult } from '../sandbox.js';

/**
 * Runs a command in its own process group, collects bounded output and kills the whole group
 * at the timeout, so a hanging script never blocks its caller.
 */
export function execProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs: number; onSpawn?: (pid: number) => void },
): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let done = false;
    // eslint-disable-next-line prefer-const -- set once the child is spawned; finish() clears it
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, output: Buffer.concat(chunks).toString('utf8'), timedOut, durationMs: Math.round(performance.now() - started) });
    };
    const failed = (error: Error) => {
      chunks.push(Buffer.from(`cannot run the script: ${error.message}`));
      finish(null);
    };
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      failed(error as Error); // some spawn failures throw at once
      return;
    }
    // Listen for 'error' first: after a failed spawn (EMFILE, EAGAIN) there are no stdio streams.
    child.on('error', failed);
    if (child.pid) options.onSpawn?.(child.pid); // its own session and group: detached
    const collect = (chunk: Buffer) => {
      if (size >= MAX_EXEC_OUTPUT) return;
      chunks.push(chunk.subarray(0, MAX_EXEC_OUTPUT - size));
      size += Math.min(chunk.length, MAX_EXEC_OUTPUT - size);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on('close', finish);
  });
}

/** Sends SIGKILL to a process group, ignoring groups that are already gone. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already exited
  }
}
