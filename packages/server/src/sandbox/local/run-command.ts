import { execFile } from 'node:child_process';

/** Runs a host program to completion; rejects with its stderr (bounded in time). */
export function run(command: string, args: string[], timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      execFile(command, args, { timeout: timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`${command} failed: ${String(stderr).trim() || error.message}`));
        else resolve();
      });
    } catch (error) {
      reject(error as Error); // spawn can throw synchronously (EMFILE, EAGAIN)
    }
  });
}
