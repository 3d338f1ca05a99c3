import { closeSync, constants, openSync, writeSync } from 'node:fs';

/**
 * The sandbox's pid 1 until the session is ready for the learner: closes what bwrap left open
 * (it leaks a descriptor with `--as-pid-1`), waits, silent, for a line on the go fifo, then
 * becomes the login shell on the same pty and pid.
 */
export const WAIT_FOR_GO = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && exec {n}>&-; done; read -r _ </run/ix-go && exec /bin/bash -l';

/** Makes the go fifo (readable by the sandbox's uid, writable by the server) before the rest of the command runs. */
export const MAKE_GO_FIFO = 'mkfifo -m 0604 "$0" || exit 125; exec "$@"';

/**
 * Writes the go line once pid 1 reads the fifo (it may still be on its way there). Resolves true
 * when it was written, false when `stop()` says to give up or pid 1 never came within `timeoutMs`.
 */
export async function sendGo(fifo: string, timeoutMs: number, stop: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!stop()) {
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, '\n');
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      // ENXIO: nobody reads the fifo yet.
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) return false;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}
