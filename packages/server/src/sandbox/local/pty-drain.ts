import { closeSync, constants, openSync } from 'node:fs';
import type { IPty } from 'node-pty';

/**
 * Keeps the last output of a pty from being lost when its process exits.
 *
 * When the last descriptor of a pty's slave side closes while the reader is behind (a loaded
 * server, a big `cat` just before `exit`), Linux lets the master's read fail with EIO before the
 * buffered output has been read; node-pty then reports the exit and the tail of the output is
 * gone (microsoft/node-pty#72 and #726; seen here losing ~10 KiB of a 129 KiB `seq` under load).
 * Holding one slave descriptor open until node-pty reports the exit means the master never sees
 * that early EIO: node-pty keeps reading until its own exit timer (200 ms after the process
 * exits), long after the kernel buffer has been drained.
 */
export function drainOnExit(term: IPty): void {
  const name = (term as { ptsName?: unknown }).ptsName;
  if (typeof name !== 'string' || !name.startsWith('/dev/pts/')) return;
  let fd: number;
  try {
    fd = openSync(name, constants.O_RDWR | constants.O_NOCTTY);
  } catch {
    return; // best effort: without it the pty still works, it may only lose a tail under load
  }
  term.onExit(() => closeSync(fd));
}
